using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli;

/// <summary>
/// The REST client side for scripts (README "HTTP API"): mint, stamp, fetch a proof bundle, and the online
/// <c>POST /v1/verify</c>. The API key comes from <c>ATTEST_API_KEY</c> only. Each prints the server's JSON answer to
/// stdout; an error answer goes to stderr as <c>error: &lt;code&gt;: &lt;message&gt;</c> with exit code 1.
/// </summary>
public static class ClientCommands
{
    private const int MaxStampContent = 100_000; // the server's limit on "content", in UTF-16 units
    private const int MaxEncodedPayload = 50 * 1000 * 1000; // the server's limit on the base64url "payload"

    public static Command Mint()
    {
        var url = Common.UrlOption();
        var issuer = new Option<string>("--issuer") { Description = "the issuer id (UUID)", Required = true };
        var kid = new Option<string>("--kid") { Description = "the issuer key that signs", Required = true };
        var schema = new Option<string>("--schema") { Description = "the credential schema (GET /v1/schemas), e.g. degree", Required = true };
        var claims = new Option<string>("--claims") { Description = "the claims: a JSON object, or @file to read it from a file", Required = true };
        var document = new Option<string?>("--document") { Description = "a file to attest: only its SHA-256 is sent, as document_hash" };
        var payload = new Option<string?>("--payload") { Description = "a file to upload and keep with the attestation (sent whole, base64url)" };
        var contentType = new Option<string?>("--content-type") { Description = "the payload's content type (default application/json)" };
        var email = new Option<string?>("--recipient-email") { Description = "mail the attestation to the holder at this address (the server needs Attest:Mail; kept private, never logged)" };
        var pack = new Option<string?>("--pack") { Description = "an active attestation pack id" };
        var idempotency = new Option<string?>("--idempotency-key") { Description = "reuse to retry a mint safely (default: a new one, printed on stderr)" };
        var command = new Command("mint", $"Mint an attestation (POST /v1/attestations/mint) with the API key in ${Common.ApiKeyVariable}; prints the attestation JSON.")
        {
            url, issuer, kid, schema, claims, document, payload, contentType, email, pack, idempotency,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            var body = new JsonObject
            {
                ["issuer_id"] = parse.GetValue(issuer), ["kid"] = parse.GetValue(kid), ["alg"] = "Ed25519", ["schema"] = parse.GetValue(schema),
                ["claims"] = Claims(parse.GetValue(claims)!),
            };
            if (parse.GetValue(document) is { } doc) body["document_hash"] = Common.Sha256File(doc, "--document").ToHex();
            if (parse.GetValue(payload) is { } file) body["payload"] = Payload(file);
            if (parse.GetValue(contentType) is { } ct) body["content_type"] = ct;
            if (parse.GetValue(email) is { } e) body["recipient_email"] = e;
            if (parse.GetValue(pack) is { } p) body["pack_id"] = p;
            string key = parse.GetValue(idempotency) ?? Guid.NewGuid().ToString();
            if (parse.GetValue(idempotency) is null) Console.Error.WriteLine($"idempotency key: {key}");
            return await Send(HttpMethod.Post, Common.BaseUrl(parse.GetValue(url)), "v1/attestations/mint", body, Common.ApiKey(), key, token);
        }));
        return command;
    }

    public static Command Stamp()
    {
        var url = Common.UrlOption();
        var file = new Option<string?>("--file") { Description = "stamp this file: it is hashed here and only its SHA-256 is sent (unless --public)" };
        var hash = new Option<string?>("--hash") { Description = "stamp this SHA-256 (64 hex digits)" };
        var text = new Option<string?>("--text") { Description = "stamp this text (UTF-8): only its SHA-256 is sent (unless --public)" };
        var isPublic = new Option<bool>("--public") { Description = "send the content itself (the file as UTF-8 text, or --text) and make it public" };
        var title = new Option<string?>("--title") { Description = "a display title (public stamps)" };
        var sealedUntil = new Option<long?>("--sealed-until")
        {
            Description = "seal the content (the file as UTF-8 text, or --text) until this Unix time (seconds): only its hash is public until attest reveal",
        };
        var tags = new Option<string[]>("--tag") { Description = "a tag (up to 5)", AllowMultipleArgumentsPerToken = false };
        var idempotency = new Option<string?>("--idempotency-key") { Description = "reuse to retry a stamp safely" };
        var command = new Command("stamp",
            $"Stamp content (POST /v1/stamps) with the API key in ${Common.ApiKeyVariable}: proof that it existed by now. Give one of --file, --text, --hash; prints the stamp JSON.")
        {
            url, file, hash, text, isPublic, title, tags, idempotency, sealedUntil,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            string? f = parse.GetValue(file), h = parse.GetValue(hash), t = parse.GetValue(text);
            if (new[] { f, h, t }.Count(x => x is not null) != 1) throw new UsageException("give exactly one of --file, --text, --hash");
            bool publicStamp = parse.GetValue(isPublic);
            long? seal = parse.GetValue(sealedUntil);
            if (publicStamp && seal is not null) throw new UsageException("give --public or --sealed-until, not both");
            var body = new JsonObject();
            if (publicStamp || seal is not null)
            {
                if (h is not null) throw new UsageException($"{(publicStamp ? "--public" : "--sealed-until")} sends the content, which --hash does not have");
                string content = t ?? ReadText(f!);
                if (content.Length is 0 or > MaxStampContent) throw new UsageException($"the content is 1 to {MaxStampContent} characters");
                body["content"] = content;
                body["visibility"] = publicStamp ? "public" : "sealed";
                if (seal is { } until) body["sealed_until"] = until;
            }
            else
            {
                Hash digest;
                if (h is not null)
                {
                    if (!Hash.TryParseHex(h, out digest)) throw new UsageException("--hash is not 64 hex digits (a SHA-256)");
                }
                else
                {
                    digest = f is not null ? Common.Sha256File(f, "--file") : new Hash(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(t!)));
                }
                body["content_hash"] = digest.ToHex();
            }
            if (parse.GetValue(title) is { } ti) body["display_title"] = ti;
            if (parse.GetValue(tags) is { Length: > 0 } tg) body["tags"] = new JsonArray([.. tg.Select(x => JsonValue.Create(x))]);
            return await Send(HttpMethod.Post, Common.BaseUrl(parse.GetValue(url)), "v1/stamps", body, Common.ApiKey(), parse.GetValue(idempotency), token);
        }));
        return command;
    }

    public static Command Reveal()
    {
        var url = Common.UrlOption();
        var id = new Argument<string>("stamp-id") { Description = "the sealed stamp's id (UUID)" };
        var idempotency = new Option<string?>("--idempotency-key") { Description = "reuse to retry a reveal safely" };
        var command = new Command("reveal",
            $"Reveal a sealed stamp after its sealed_until (POST /v1/stamps/{{id}}/reveal) with the API key in ${Common.ApiKeyVariable}: its content is logged " +
            "in a stamp-reveal/v1 entry; prints the revealed stamp JSON. attest stamp-proof then checks the content against the sealed hash.")
        {
            id, url, idempotency,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            if (!Guid.TryParseExact(parse.GetValue(id), "D", out var guid)) throw new UsageException("the stamp id is a UUID");
            var (status, text) = await Request(HttpMethod.Post, Common.BaseUrl(parse.GetValue(url)), $"v1/stamps/{guid}/reveal", null, Common.ApiKey(), parse.GetValue(idempotency), token);
            if (!IsSuccess(status)) return ServerError(status, text);
            Console.WriteLine(text);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Bundle()
    {
        var url = Common.UrlOption();
        var id = new Argument<string>("attestation-id") { Description = "the attestation's id (UUID)" };
        var output = new Option<string?>("--out", "-o") { Description = "write the bundle to this file (atomically); default stdout" };
        var command = new Command("bundle",
            "Fetch an attestation's proof bundle (GET /v1/attestations/{id}/proof-bundle) for offline verification with attest verify. "
            + $"The payload comes only with the issuer's API key (${Common.ApiKeyVariable}) or the attestation's holder token (${HolderTokenVariable}).")
        {
            id, url, output,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            if (!Guid.TryParseExact(parse.GetValue(id), "D", out var guid)) throw new UsageException("the attestation id is a UUID");
            string? apiKey = Environment.GetEnvironmentVariable(Common.ApiKeyVariable) is { Length: > 0 } k ? k.Trim() : null;
            string? holderToken = Environment.GetEnvironmentVariable(HolderTokenVariable) is { Length: > 0 } h ? h.Trim() : null;
            var (status, text) = await Request(HttpMethod.Get, Common.BaseUrl(parse.GetValue(url)), $"v1/attestations/{guid}/proof-bundle", null, apiKey, null, token, holderToken);
            if (!IsSuccess(status)) return ServerError(status, text);
            try
            {
                ProofBundle.Parse(Encoding.UTF8.GetBytes(text));
            }
            catch (BundleFormatException e) when (e.Message == ProofBundle.PublicBundleMessage)
            {
                throw new UsageException($"the server gave only the public part of the bundle (no payload): set {Common.ApiKeyVariable} to the issuer's API key or {HolderTokenVariable} to the attestation's holder token");
            }
            catch (BundleFormatException e)
            {
                throw new UnavailableException("the server's answer is not a proof bundle: " + e.Message);
            }
            if (parse.GetValue(output) is { } path)
            {
                WriteAtomically(path, text);
                Console.Error.WriteLine($"wrote {path}");
            }
            else
            {
                Console.WriteLine(text);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Check()
    {
        var url = Common.UrlOption();
        var attestation = new Option<string?>("--attestation") { Description = "the attestation with this id" };
        var bundle = new Option<string?>("--bundle") { Description = "a proof bundle file: the server checks its evidence and the attestation's current state" };
        var document = new Option<string?>("--document") { Description = "the attestation of this file, found by its SHA-256 (only the hash is sent)" };
        var stampFile = new Option<string?>("--stamp-file") { Description = "the earliest stamp of this file's SHA-256 (only the hash is sent)" };
        var stampHash = new Option<string?>("--stamp-hash") { Description = "the earliest stamp of this SHA-256" };
        var command = new Command("check",
            "Ask the server (POST /v1/verify) about an attestation or a stamp, online: give one of --attestation, --bundle, --document, --stamp-file, " +
            "--stamp-hash. Prints the server's answer; exit 0 when the verdict is VALID (or the stamp is found), else 1. Public: no API key.")
        {
            url, attestation, bundle, document, stampFile, stampHash,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            string? a = parse.GetValue(attestation), b = parse.GetValue(bundle), d = parse.GetValue(document), sf = parse.GetValue(stampFile), sh = parse.GetValue(stampHash);
            if (new[] { a, b, d, sf, sh }.Count(x => x is not null) != 1) throw new UsageException("give exactly one of --attestation, --bundle, --document, --stamp-file, --stamp-hash");
            var body = new JsonObject();
            if (a is not null) body["attestation_id"] = Guid.TryParseExact(a, "D", out var g) ? g.ToString() : throw new UsageException("--attestation is a UUID");
            if (b is not null) body["bundle"] = BundleJson(b);
            if (d is not null) body["document_hash"] = Common.Sha256File(d, "--document").ToHex();
            if (sf is not null) body["content_hash"] = Common.Sha256File(sf, "--stamp-file").ToHex();
            if (sh is not null) body["content_hash"] = Hash.TryParseHex(sh, out var h) ? h.ToHex() : throw new UsageException("--stamp-hash is not 64 hex digits");
            var (status, text) = await Request(HttpMethod.Post, Common.BaseUrl(parse.GetValue(url)), "v1/verify", body, null, null, token);
            if (!IsSuccess(status)) return ServerError(status, text);
            Console.WriteLine(text);
            using var answer = ParseAnswer(text);
            var root = answer.RootElement;
            bool good = root.TryGetProperty("verdict", out var v) ? v.GetString() == "VALID"
                : root.TryGetProperty("verified", out var s) && s.ValueKind == JsonValueKind.True;
            return good ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static async Task<int> Send(HttpMethod method, Uri server, string path, JsonObject body, string? apiKey, string? idempotencyKey, CancellationToken token)
    {
        var (status, text) = await Request(method, server, path, body, apiKey, idempotencyKey, token);
        if (!IsSuccess(status)) return ServerError(status, text);
        Console.WriteLine(text);
        return ExitCodes.Ok;
    }

    /// <summary>The holder token of one attestation (mint's <c>holder_token</c>): like the API key, never a flag.</summary>
    public const string HolderTokenVariable = "ATTEST_HOLDER_TOKEN";

    private static async Task<(HttpStatusCode Status, string Text)> Request(
        HttpMethod method, Uri server, string path, JsonObject? body, string? apiKey, string? idempotencyKey, CancellationToken token, string? holderToken = null)
    {
        using var http = Common.Http(TimeSpan.FromMinutes(2));
        http.MaxResponseContentBufferSize = ProofBundle.MaxBytes + (1 << 20);
        using var request = new HttpRequestMessage(method, new Uri(server, path));
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (holderToken is not null) request.Headers.Add("X-Holder-Token", holderToken);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        try
        {
            using var response = await http.SendAsync(request, token);
            string text = await response.Content.ReadAsStringAsync(token);
            if (response.Content.Headers.ContentType?.MediaType != "application/json")
                throw new UnavailableException($"{method} {new Uri(server, path)} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not JSON: is this an attest server?");
            return (response.StatusCode, text);
        }
        catch (HttpRequestException e)
        {
            throw new UnavailableException($"cannot reach {server}: {e.Message}");
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            throw new UnavailableException($"{server} did not answer within {http.Timeout.TotalSeconds:0} s");
        }
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    private static int ServerError(HttpStatusCode status, string text)
    {
        string code = "error", message = text;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                code = doc.RootElement.TryGetProperty("error", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : code;
                message = doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : message;
            }
        }
        catch (JsonException)
        {
        }
        Console.Error.WriteLine(Common.Printable($"error: the server answered {(int)status}: {code}: {message}"));
        return ExitCodes.Failed;
    }

    private static JsonDocument ParseAnswer(string text)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new UnavailableException("the server's answer is not JSON");
        }
    }

    private static JsonObject Claims(string value)
    {
        string text = value.StartsWith('@') ? ReadText(value[1..]) : value;
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new UsageException("--claims is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new UsageException($"--claims is not JSON: {e.Message}");
        }
    }

    private static JsonNode BundleJson(string path)
    {
        string text = ReadText(path, ProofBundle.MaxBytes);
        try
        {
            ProofBundle.Parse(Encoding.UTF8.GetBytes(text));
            return JsonNode.Parse(text)!;
        }
        catch (BundleFormatException e)
        {
            throw new UsageException($"{path} is not an attest proof bundle: {e.Message}");
        }
    }

    private static string Payload(string path)
    {
        long length = new FileInfo(path).Exists ? new FileInfo(path).Length : throw new UsageException($"--payload {path}: no such file");
        if ((length + 2) / 3 * 4 > MaxEncodedPayload) throw new UsageException($"--payload {path} is over the server's 50 MB (base64url) limit");
        return Base64Url.Encode(File.ReadAllBytes(path));
    }

    private static string ReadText(string path, long max = 16 << 20)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UsageException($"{path}: no such file");
            if (info.Length > max) throw new UsageException($"{path} is larger than {max} bytes");
            return File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new UsageException($"cannot read {path} as UTF-8 text: {e.Message}");
        }
    }

    internal static void WriteAtomically(string path, string text) => DurableFile.Write(path, Encoding.UTF8.GetBytes(text.EndsWith('\n') ? text : text + "\n"));
}
