using System.CommandLine;
using System.Text.Json;
using Attest.Verification;
using Attest.Verification.Scitt;

namespace Attest.Cli.Scitt;

/// <summary>
/// <c>attest scitt …</c>: the SCITT issuer's and relying party's side of the transparency service (docs/SCITT.md):
/// make an issuer-held key, sign a Signed Statement with it, register it (SCRAPI), fetch the service's keys, and
/// verify a Transparent Statement offline. Nothing here uses the server's code: the statement, the receipt and the
/// key set are read with the strict parsers of <see cref="Attest.Verification.Scitt"/>.
/// </summary>
public static class ScittCommand
{
    public static Command Create() => new("scitt",
        "SCITT (RFC 9943) on an Attest log: issuer-held keys, Signed Statements (COSE_Sign1), registration (SCRAPI POST /entries), " +
        "the transparency service's keys, and offline verification of Transparent Statements and their RFC 9942 receipts.")
    {
        Keygen(), Sign(), ScittRegister.Create(), Keys(), Verify(),
    };

    private static Command Keygen()
    {
        var alg = new Option<string>("--alg") { Description = "ES256 (ECDSA P-256) or EdDSA (Ed25519)", Required = true };
        var kid = new Option<string?>("--kid") { Description = "the key's id (default: its RFC 7638 JWK thumbprint)" };
        var output = new Option<string>("--out") { Description = "the private JWK file to create (mode 0600, never overwritten)", Required = true };
        var command = new Command("keygen",
            "Generate an issuer-held signing key: the private JWK goes to --out (mode 0600) and stays with the issuer; the body of " +
            "POST /v1/issuers/{id}/keys that registers its public half ({\"kid\", \"alg\", \"jwk\"}) is printed.")
        {
            alg, kid, output,
        };
        command.SetAction((parse, _) => Common.Run(() =>
        {
            string? k = parse.GetValue(kid);
            if (k is not null && (k.Length is 0 or > 128 || k.Any(c => c < 0x21 || c > 0x7E))) throw new UsageException("--kid is 1 to 128 printable ASCII characters without spaces");
            using var key = IssuerKeyFile.Generate(parse.GetValue(alg)!, k);
            key.Write(parse.GetValue(output)!);
            Console.Error.WriteLine($"private key: {parse.GetValue(output)} (mode 0600; keep it secret)");
            Console.WriteLine(key.RegistrationBody().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static Command Sign()
    {
        var keyFile = new Option<string>("--key") { Description = "the issuer's private JWK file (attest scitt keygen)", Required = true };
        var kid = new Option<string?>("--kid") { Description = "the kid to put in the statement (default: the key file's kid)" };
        var iss = new Option<string>("--iss") { Description = "the issuer: its Attest issuer id (CWT claim iss)", Required = true };
        var sub = new Option<string>("--sub") { Description = "the subject: what the statement is about, e.g. an artifact's name (CWT claim sub)", Required = true };
        var contentType = new Option<string?>("--content-type") { Description = "the payload's media type (with --hash-envelope: the hashed file's)" };
        var payload = new Option<string?>("--payload") { Description = "the file that is the statement's payload (the statement is at most 64 KiB)" };
        var envelope = new Option<string?>("--hash-envelope") { Description = "a file of any size: the payload is its SHA-256 (draft-ietf-cose-hash-envelope)" };
        var location = new Option<string?>("--location") { Description = "with --hash-envelope: where the hashed file can be found (payload_location, 260)" };
        var output = new Option<string>("--out") { Description = "the Signed Statement file to write (COSE_Sign1, application/cose)", Required = true };
        var command = new Command("sign",
            "Sign a SCITT Signed Statement (RFC 9052 COSE_Sign1) with an issuer-held key: the protected header has alg, kid (bytes), the CWT " +
            "claims iss and sub (label 15) and the content type; the unprotected header is empty, as the log stores it. Give --payload for a " +
            "small payload, or --hash-envelope for a large artifact (its SHA-256 is signed: 258 = -16, 259 = its content type).")
        {
            keyFile, kid, iss, sub, contentType, payload, envelope, location, output,
        };
        command.SetAction((parse, _) => Common.Run(() =>
        {
            string? p = parse.GetValue(payload), h = parse.GetValue(envelope);
            if ((p is null) == (h is null)) throw new UsageException("give one of --payload and --hash-envelope");
            if (parse.GetValue(location) is not null && h is null) throw new UsageException("--location goes with --hash-envelope");
            using var key = IssuerKeyFile.Read(parse.GetValue(keyFile)!);
            string issuer = parse.GetValue(iss)!, subject = parse.GetValue(sub)!;
            if (issuer.Length == 0 || subject.Length == 0) throw new UsageException("--iss and --sub are not empty");
            byte[] body = p is not null ? ReadPayload(p) : Common.Sha256File(h!, "--hash-envelope").ToArray();
            byte[] statement = StatementWriter.Sign(key, parse.GetValue(kid) ?? key.Kid, issuer, subject, parse.GetValue(contentType), body,
                hashEnvelope: h is not null, parse.GetValue(location));
            if (statement.Length > StatementWriter.MaxStatement)
                throw new UsageException($"the statement would be {statement.Length} bytes: a log entry is at most {StatementWriter.MaxStatement}; sign a large file with --hash-envelope");
            string outPath = parse.GetValue(output)!;
            WriteFile(outPath, statement);
            Console.Error.WriteLine($"wrote {outPath}: {statement.Length} bytes, {key.AlgName} by kid {parse.GetValue(kid) ?? key.Kid}");
            // The entry id the service will give it (SCRAPI's locator): its RFC 9162 leaf hash.
            Console.WriteLine(SignedStatement.Parse(CoseSign1.Decode(statement)).LeafHash().ToHex());
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static Command Keys()
    {
        var url = ServerOption();
        var output = new Option<string?>("--out") { Description = "write the key set (COSE_KeySet, CBOR) to this file; default: only print the keys" };
        var kid = new Option<string?>("--kid") { Description = "fetch only this key (/.well-known/scitt-keys/{kid})" };
        var command = new Command("keys",
            "Fetch the transparency service's receipt keys (GET /.well-known/scitt-keys, a COSE_KeySet) and print each kid and key; with --out, " +
            "save them for attest scitt verify --service-key. Compare them with the operator's published keys before trusting them.")
        {
            url, output, kid,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            string path = parse.GetValue(kid) is { } k ? ".well-known/scitt-keys/" + Uri.EscapeDataString(k) : ".well-known/scitt-keys";
            byte[] bytes = await ScittRegister.GetBytes(Common.BaseUrl(parse.GetValue(url)), path, token);
            IReadOnlyList<CoseKey> keys;
            try
            {
                keys = CoseKey.ReadKeySet(bytes);
            }
            catch (CoseFormatException e)
            {
                throw new UnavailableException($"the server's /{path} is not a COSE key set: {e.Message}");
            }
            foreach (var key in keys)
                VerifyCommand.Line($"kid {(key.Kid is { } id ? ScittVerifier.Printable(id) : "(none)")}  {key.AlgName}  {Convert.ToHexStringLower(key.Raw)}");
            if (parse.GetValue(output) is { } file)
            {
                WriteFile(file, bytes);
                Console.Error.WriteLine($"wrote {file}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Verify()
    {
        var input = new Argument<string>("transparent.cose") { Description = "a Transparent Statement (the statement with its receipts in header 394); with --receipt, the entry itself" };
        var serviceKey = new Option<string>("--service-key")
        {
            Description = "the trust root: the transparency service's keys, a COSE_KeySet or COSE_Key file (attest scitt keys --out)", Required = true,
        };
        var issuerKey = new Option<string?>("--issuer-key") { Description = "the issuer's public JWK (a file, or {\"kid\",\"alg\",\"jwk\"}): also check the statement's signature" };
        var receipt = new Option<string?>("--receipt") { Description = "a receipt file (GET /v1/log/entries/{index}/receipt): verify it for the entry given as the argument, which may be any log entry" };
        var json = new Option<bool>("--json") { Description = "print the verdict and every check as JSON" };
        var command = new Command("verify",
            "Verify a Transparent Statement offline: its leaf hash SHA-256(0x00 || statement with an empty unprotected header), each receipt's " +
            "RFC 9162 inclusion path to the root at its tree size, and the receipt's signature over that root by the service key of its kid " +
            "(--service-key); with --issuer-key, the statement's own signature. Exit 0 for VALID, 1 when a check fails, 2 when the input is unusable.")
        {
            input, serviceKey, issuerKey, receipt, json,
        };
        command.SetAction((parse, _) => Common.Run(() =>
        {
            var keys = ReadKeySet(parse.GetValue(serviceKey)!);
            CoseKey? issuer = parse.GetValue(issuerKey) is { } ik ? ReadIssuerKey(ik) : null;
            string path = parse.GetValue(input)!;
            byte[] bytes = ReadFile(path, CoseSign1.MaxBytes);
            byte[] logged;
            SignedStatement? statement = null;
            IReadOnlyList<byte[]> receipts;
            try
            {
                if (parse.GetValue(receipt) is { } receiptPath)
                {
                    // Any entry: a statement is read as one (its issuer signature can then be checked), other entries are their bytes.
                    logged = bytes;
                    if (bytes is [0xD2, ..])
                    {
                        var message = CoseSign1.Decode(bytes);
                        if (!message.Unprotected.IsEmpty) throw new CoseFormatException("a statement as logged has an empty unprotected header; give a Transparent Statement without --receipt");
                        statement = SignedStatement.Parse(message);
                    }
                    receipts = [ReadFile(receiptPath, CoseSign1.MaxBytes)];
                }
                else
                {
                    var message = CoseSign1.Decode(bytes);
                    receipts = TransparentStatement.Receipts(message);
                    statement = SignedStatement.Parse(message);
                    logged = statement.LoggedBytes();
                }
            }
            catch (CoseFormatException e)
            {
                throw new UsageException($"{path} is not a {(parse.GetValue(receipt) is null ? "Transparent Statement" : "log entry")}: {e.Message}");
            }
            if (issuer is not null && statement is null) throw new UsageException("--issuer-key checks a statement's signature, and the entry is not a statement");
            var report = ScittVerifier.Verify(logged, statement, receipts, keys, issuer);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(ToJson(report), new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }));
            else Print(report);
            return Task.FromResult(report.Ok ? ExitCodes.Ok : ExitCodes.Failed);
        }));
        return command;
    }

    internal static Option<string?> ServerOption() => new("--url", "--server")
    {
        Description = $"the transparency service's base URL, e.g. http://localhost:5000 (default: ${Common.UrlVariable})",
    };

    private static void Print(ScittReport report)
    {
        int width = report.Checks.Max(c => c.Name.Length);
        foreach (var c in report.Checks) VerifyCommand.Line($"  {c.Outcome.ToString().ToLowerInvariant(),-4}  {c.Name.PadRight(width)}  {c.Detail}");
        VerifyCommand.Line($"verdict: {report.Sentence()}");
    }

    private static object ToJson(ScittReport report) => new Dictionary<string, object?>
    {
        ["verdict"] = report.Verdict,
        ["ok"] = report.Ok,
        ["sentence"] = report.Sentence(),
        ["leaf_hash"] = report.LeafHashHex,
        ["issuer_checked"] = report.IssuerChecked,
        ["receipts"] = report.Receipts.Select(r => new Dictionary<string, object?>
        {
            ["kid"] = r.Kid, ["iss"] = r.Issuer, ["tree_size"] = r.TreeSize, ["leaf_index"] = r.LeafIndex, ["root_hash"] = r.RootHex,
        }).ToArray(),
        ["checks"] = report.Checks.Select(c => new Dictionary<string, string>
        {
            ["name"] = c.Name, ["result"] = c.Outcome.ToString().ToLowerInvariant(), ["detail"] = c.Detail,
        }).ToArray(),
    };

    private static IReadOnlyList<CoseKey> ReadKeySet(string path)
    {
        byte[] bytes = ReadFile(path, 64 * 1024);
        try
        {
            return CoseKey.ReadKeySet(bytes);
        }
        catch (CoseFormatException e)
        {
            throw new UsageException($"--service-key {path}: {e.Message}");
        }
    }

    private static CoseKey ReadIssuerKey(string path)
    {
        byte[] bytes = ReadFile(path, IssuerKeyFile.MaxBytes);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false });
            var root = doc.RootElement;
            // The body of POST /v1/issuers/{id}/keys carries the kid beside the JWK: the statement's kid must be it.
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("jwk", out var jwk))
            {
                string? kid = root.TryGetProperty("kid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                return CoseKey.FromJwk(jwk, kid);
            }
            return CoseKey.FromJwk(root);
        }
        catch (JsonException e)
        {
            throw new UsageException($"--issuer-key {path} is not JSON: {e.Message}");
        }
        catch (CoseFormatException e)
        {
            throw new UsageException($"--issuer-key {path}: {e.Message}");
        }
    }

    private static byte[] ReadPayload(string path)
    {
        if (new FileInfo(path) is { Exists: true, Length: > StatementWriter.MaxStatement } info)
            throw new UsageException($"--payload {path} is {info.Length} bytes: a statement is a log entry, at most {StatementWriter.MaxStatement} bytes; sign a large file with --hash-envelope");
        return ReadFile(path, StatementWriter.MaxStatement, "--payload");
    }

    internal static byte[] ReadFile(string path, long max, string? option = null)
    {
        string name = option is null ? path : $"{option} {path}";
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UsageException($"{name}: no such file");
            if (info.Length > max) throw new UsageException($"{name} is {info.Length} bytes: at most {max} here");
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {name}: {e.Message}");
        }
    }

    internal static void WriteFile(string path, byte[] bytes)
    {
        try
        {
            DurableFile.Write(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write {path}: {e.Message}");
        }
    }
}

/// <summary>Writes Signed Statements (their protected header: <see cref="SignedStatement.ProtectedHeader"/>).</summary>
public static class StatementWriter
{
    /// <summary>A log entry is at most 65,535 bytes (its entry bundle length is a uint16): the statement is one.</summary>
    public const int MaxStatement = 65_535;

    public static byte[] Sign(IssuerKeyFile key, string kid, string iss, string sub, string? contentType, byte[] payload, bool hashEnvelope, string? location)
    {
        byte[] protectedBytes = SignedStatement.ProtectedHeader(key.Alg, kid, iss, sub, contentType, hashEnvelope, location);
        byte[] signature = key.Sign(CoseSign1.SigStructure(protectedBytes, payload));
        return CoseSign1.Encode(protectedBytes, [0xA0], payload, detached: false, signature);
    }
}
