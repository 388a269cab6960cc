using System.CommandLine;
using System.Formats.Cbor;
using System.Net;
using System.Net.Http.Headers;
using Attest.Verification.Scitt;

namespace Attest.Cli.Scitt;

/// <summary>
/// <c>attest scitt register</c>: SCRAPI's Register Signed Statement (draft-ietf-scitt-scrapi-10, "Register Signed Statement"): <c>POST /entries</c>
/// with the statement as <c>application/cose</c>; the service answers <c>201</c> with the receipt, or <c>303 See Other</c>
/// to <c>/entries/{id}</c>, where <c>GET</c> answers <c>302</c> while the entry waits for a signed checkpoint and
/// <c>200</c> with the receipt after. The receipt goes into the statement's unprotected header (394): the Transparent
/// Statement is written to <c>--out</c>.
/// </summary>
public static class ScittRegister
{
    private const int MaxResponse = 1 << 20;
    private static readonly MediaTypeHeaderValue Cose = new("application/cose");

    public static Command Create()
    {
        var statementFile = new Argument<string>("statement.cose") { Description = "the Signed Statement (attest scitt sign)" };
        var url = ScittCommand.ServerOption();
        var output = new Option<string>("--out") { Description = "the Transparent Statement file to write (the statement with its receipt in header 394)", Required = true };
        var receiptOut = new Option<string?>("--receipt-out") { Description = "also write the receipt alone to this file" };
        var timeout = new Option<int>("--timeout") { Description = "give up waiting for the receipt after this many seconds (default 120)", DefaultValueFactory = _ => 120 };
        var command = new Command("register",
            $"Register a Signed Statement (SCRAPI POST /entries, application/cose) with the issuer's API key in ${Common.ApiKeyVariable}, follow the " +
            "service's 303 and 302 answers until the receipt is ready (once a signed checkpoint covers the entry), and write the Transparent " +
            "Statement. Prints the entry id. Exit 1 when the service refuses the statement (its problem details are printed).")
        {
            statementFile, url, output, receiptOut, timeout,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            string path = parse.GetValue(statementFile)!;
            byte[] bytes = ScittCommand.ReadFile(path, StatementWriter.MaxStatement);
            SignedStatement statement;
            try
            {
                var message = CoseSign1.Decode(bytes);
                if (!message.Unprotected.IsEmpty) throw new CoseFormatException("its unprotected header is not empty (a Transparent Statement is registered already)");
                statement = SignedStatement.Parse(message);
            }
            catch (CoseFormatException e)
            {
                throw new UsageException($"{path} is not a Signed Statement: {e.Message}");
            }
            int seconds = parse.GetValue(timeout);
            if (seconds is < 1 or > 3600) throw new UsageException("--timeout is 1 to 3600 seconds");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
            var (status, receipt) = await Register(Common.BaseUrl(parse.GetValue(url)), bytes, Common.ApiKey(), deadline.Token, token);
            if (receipt is null) return status;

            byte[] transparent = TransparentStatement.Build(statement.Message, [receipt]);
            ScittCommand.WriteFile(parse.GetValue(output)!, transparent);
            if (parse.GetValue(receiptOut) is { } r) ScittCommand.WriteFile(r, receipt);
            Console.Error.WriteLine($"wrote {parse.GetValue(output)} ({transparent.Length} bytes); verify it with attest scitt verify --service-key <keys>");
            Console.WriteLine(statement.LeafHash().ToHex());
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<(int Status, byte[]? Receipt)> Register(Uri server, byte[] statement, string apiKey, CancellationToken deadline, CancellationToken interrupted)
    {
        using var http = Common.Http(TimeSpan.FromSeconds(60));
        http.MaxResponseContentBufferSize = MaxResponse;
        var entries = new Uri(server, "entries");
        try
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, entries) { Content = new ByteArrayContent(statement) };
            post.Content.Headers.ContentType = Cose;
            post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            post.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/cose"));
            var (status, location, retryAfter, body) = await Send(http, post, deadline);
            Console.Error.WriteLine($"POST {entries.AbsolutePath}: {Phrase(status)}{(location is null ? "" : " -> " + location.AbsolutePath)}");
            if (status == HttpStatusCode.Created) return (ExitCodes.Ok, ReceiptFrom(body));
            if (status is not (HttpStatusCode.SeeOther or HttpStatusCode.Accepted)) return (Refused(status, body), null);
            // SCRAPI: poll the entry's resource until the receipt is there.
            while (true)
            {
                Uri target = SameOrigin(server, location);
                await Task.Delay(status == HttpStatusCode.SeeOther ? TimeSpan.Zero : retryAfter, deadline);
                using var get = new HttpRequestMessage(HttpMethod.Get, target);
                get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
                get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/cose"));
                (status, var next, retryAfter, body) = await Send(http, get, deadline);
                Console.Error.WriteLine($"GET {target.AbsolutePath}: {Phrase(status)}");
                if (status == HttpStatusCode.OK) return (ExitCodes.Ok, ReceiptFrom(body));
                if (status is not (HttpStatusCode.Found or HttpStatusCode.Accepted)) return (Refused(status, body), null);
                location = next ?? target;
                status = HttpStatusCode.Found;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !interrupted.IsCancellationRequested)
        {
            throw new UnavailableException("the service gave no receipt in time (--timeout): the statement may be registered; GET /entries/{id} later");
        }
        catch (HttpRequestException e)
        {
            throw new UnavailableException($"cannot reach {server}: {e.Message}");
        }
    }

    private static async Task<(HttpStatusCode Status, Uri? Location, TimeSpan RetryAfter, byte[] Body)> Send(HttpClient http, HttpRequestMessage request, CancellationToken token)
    {
        using var response = await http.SendAsync(request, token);
        byte[] body = await response.Content.ReadAsByteArrayAsync(token);
        Uri? location = response.Headers.Location is { } l ? new Uri(request.RequestUri!, l) : null;
        // Retry-After in seconds, within reason: a service cannot make the client spin, nor park it for an hour.
        var after = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
        after = TimeSpan.FromMilliseconds(Math.Clamp(after.TotalMilliseconds, 200, 10_000));
        return (response.StatusCode, location, after, body);
    }

    // HttpStatusCode's names are ambiguous (303 is also RedirectMethod): the RFC 9110 reason phrases of the statuses SCRAPI uses.
    private static string Phrase(HttpStatusCode status) => (int)status + (status switch
    {
        HttpStatusCode.OK => " OK",
        HttpStatusCode.Created => " Created",
        HttpStatusCode.Accepted => " Accepted",
        HttpStatusCode.Found => " Found",
        HttpStatusCode.SeeOther => " See Other",
        _ => "",
    });

    /// <summary>The API key goes only back to the server it was given for: a redirect elsewhere is refused.</summary>
    private static Uri SameOrigin(Uri server, Uri? location)
    {
        if (location is null) throw new UnavailableException("the service redirected without a Location");
        if (Uri.Compare(server, location, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
            throw new UnavailableException($"the service redirected to another origin ({location.GetLeftPart(UriPartial.Authority)}): not followed");
        return location;
    }

    /// <summary>The receipt in a 200 or 201 answer: a receipt, or a Transparent Statement carrying one.</summary>
    private static byte[] ReceiptFrom(byte[] body)
    {
        try
        {
            var message = CoseSign1.Decode(body);
            if (message.Unprotected.Has(CoseHeader.Receipts)) return TransparentStatement.Receipts(message)[0];
            Receipt.Parse(message);
            return body;
        }
        catch (CoseFormatException e)
        {
            throw new UnavailableException("the service's answer is not a receipt: " + e.Message);
        }
    }

    /// <summary>A refusal: RFC 9290 concise problem details (CBOR: title -1, detail -2) or Attest's JSON error body.</summary>
    private static int Refused(HttpStatusCode status, byte[] body)
    {
        // The service's text is untrusted: escaped, so it cannot forge lines.
        Console.Error.WriteLine(Common.Printable($"error: the service answered {(int)status}: {Describe(body)}"));
        return ExitCodes.Failed;
    }

    private static string Describe(byte[] body)
    {
        if (body.Length == 0) return "(no body)";
        try
        {
            var map = CoseHeader.Read(new CborReader(body, CborConformanceMode.Lax), "problem details", 32);
            string?[] parts = [map.Text(-1, "title"), map.Text(-2, "detail")];
            return string.Join(": ", parts.Where(p => p is not null)) is { Length: > 0 } s ? s : "(problem details without title or detail)";
        }
        catch (Exception e) when (e is CoseFormatException or CborContentException or InvalidOperationException or OverflowException)
        {
        }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var code) && root.TryGetProperty("message", out var message)) return $"{code}: {message}";
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return $"({body.Length} bytes that are neither problem details nor JSON)";
    }

    /// <summary>GET a binary resource (key sets); an answer other than 200 is the service being unusable.</summary>
    internal static async Task<byte[]> GetBytes(Uri server, string path, CancellationToken token)
    {
        using var http = Common.Http(TimeSpan.FromSeconds(60));
        http.MaxResponseContentBufferSize = MaxResponse;
        try
        {
            using var response = await http.GetAsync(new Uri(server, path), token);
            byte[] body = await response.Content.ReadAsByteArrayAsync(token);
            if (response.StatusCode != HttpStatusCode.OK) throw new UnavailableException($"GET /{path} answered {(int)response.StatusCode}: {Describe(body)}");
            return body;
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
}
