using System.Formats.Cbor;
using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Commands;
using Attest.LogServer.Log;
using Attest.LogServer.Scitt;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// COSE receipts (RFC 9942) of every log entry, and the keys that verify them (docs/SCITT.md "Receipts"): the
/// transparency service's COSE Key Set at <c>/.well-known/scitt-keys</c> (draft-ietf-scitt-scrapi-10 §2.1
/// "Transparency Service Keys" and §2.2), its configuration (not in draft 10: see <see cref="TransparencyConfiguration"/>),
/// and receipts of inclusion and of consistency. All public: a receipt says what the public log and its tiles already
/// say, signed.
/// </summary>
public static class ReceiptApi
{
    private const string Cbor = "application/cbor";
    private const string Cose = "application/cose";

    public static IServiceCollection AddReceipts(this IServiceCollection services)
    {
        // Receipts itself is registered with the log (Log/LogHost.cs), which registration needs too.
        services.AddSingleton(sp => ServiceKey.Load(sp.GetRequiredService<AttestOptions>(), sp.GetRequiredService<ILogger<ServiceKey>>()));
        return services;
    }

    public static void MapReceiptApi(this WebApplication app)
    {
        // draft-ietf-scitt-scrapi-10 §2.1: a COSE Key Set (RFC 9052 §7) as application/cbor. One key while the
        // service has one; a replaced key stays verifiable only if its operator keeps serving it (docs/SCITT.md).
        // Refusals of these SCRAPI resources (a rate limit, an unknown kid) are concise problem details.
        app.MapGet("/.well-known/scitt-keys", (ServiceKey key, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=300";
            return Results.Bytes(key.KeySetBytes, Cbor);
        }).WithMetadata(ConciseProblemDetails.Marker).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("The transparency service's receipt keys: a COSE Key Set (SCRAPI, RFC 9052 §7)").ProducesText(200, Cbor, KeySetExample)
            .Produces<byte[]>(429, ConciseProblemDetails.MediaType);

        // draft-ietf-scitt-scrapi-10 §2.2: one COSE_Key. The kid (the RFC 9679 thumbprint §2.2 recommends) is 32 bytes,
        // not URL-safe, so it is named by its base64url without padding. No such key: 404 with the title §2.2 gives it.
        app.MapGet("/.well-known/scitt-keys/{kid}", async (string kid, ServiceKey key, HttpContext context) =>
        {
            if (kid != key.KidText)
            {
                var problem = ConciseProblemDetails.Encode("No such key", "No key could be found for this kid value", "not_found");
                context.Response.StatusCode = 404;
                context.Response.ContentType = ConciseProblemDetails.MediaType;
                await context.Response.Body.WriteAsync(problem, context.RequestAborted);
                return Results.Empty;
            }
            context.Response.Headers.CacheControl = "public, max-age=300";
            return Results.Bytes(key.CoseKeyBytes, Cbor);
        }).WithMetadata(ConciseProblemDetails.Marker).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("One receipt key by its kid (base64url of the RFC 9679 thumbprint): a COSE_Key").ProducesText(200, Cbor, KeyExample)
            .Produces<byte[]>(404, ConciseProblemDetails.MediaType).Produces<byte[]>(429, ConciseProblemDetails.MediaType);

        app.MapGet("/.well-known/transparency-configuration", (TransparencyLog log, ServiceKey key, AttestOptions options) =>
            Results.Bytes(TransparencyConfiguration.Encode(log.Origin, log.VerifierKey, key, options.PublicUrl), Cbor))
            .WithMetadata(ConciseProblemDetails.Marker).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("The transparency service's configuration: a CBOR map (docs/SCITT.md)").ProducesText(200, Cbor, ConfigurationExample)
            .Produces<byte[]>(429, ConciseProblemDetails.MediaType);

        app.MapGet("/v1/log/entries/{index}/receipt", (string index, TransparencyLog log, Receipts receipts) =>
        {
            long i = EntryIndex.FromRoute(index).Index;
            if (i >= log.Size) throw DomainError.NotFound($"no log entry has index {i}: the log has {log.Size}");
            // A fresh entry is durable before a checkpoint covers it; the next is signed within Attest:Log:CheckpointInterval.
            return Results.Bytes(receipts.For(i) ?? throw Pending(i), Cose);
        }).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("The COSE receipt (RFC 9942) of any log entry over the latest signed checkpoint").ProducesText(200, Cose, ReceiptExample)
            .Fails(400, "invalid_parameter").Fails(404, "not_found").Fails(503, "checkpoint_pending");

        // RFC 9943 §7: the Signed Statement as logged, with its receipt in header 394 (RFC 9942 §4.3). A JSON entry has
        // a receipt but is no statement, so it has no Transparent Statement.
        app.MapGet("/v1/log/entries/{index}/transparent-statement", async (string index, TransparencyLog log, Receipts receipts, CancellationToken token) =>
        {
            long i = EntryIndex.FromRoute(index).Index;
            if (i >= log.Size) throw DomainError.NotFound($"no log entry has index {i}: the log has {log.Size}");
            var entry = Storage.LogRecord.Entry((await log.ReadRecordAsync(i, token)).AsMemory());
            if (!Entries.Entry.IsStatement(entry.Span))
                throw new DomainError(ErrorKind.NotFound, "not_a_statement", $"entry {i} is a JSON entry, not a Signed Statement: it has a receipt (/v1/log/entries/{i}/receipt) but no Transparent Statement");
            var receipt = receipts.For(i) ?? throw Pending(i);
            return Results.Bytes(Receipts.TransparentStatement(entry.Span, receipt), Cose);
        }).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("A logged Signed Statement with its COSE receipt in header 394: a Transparent Statement (RFC 9943)").ProducesText(200, Cose, TransparentStatementExample)
            .Fails(400, "invalid_parameter").Fails(404, "not_found", "not_a_statement").Fails(503, "checkpoint_pending");

        app.MapGet("/v1/log/receipts/consistency", (HttpRequest request, Receipts receipts, TransparencyLog log) =>
        {
            var (first, second) = ConsistencyQuery.FromQuery(request);
            long latest = log.Latest.Size;
            if (first < 1 || first >= latest) throw DomainError.Invalid("parameter_out_of_range", $"\"first\" must be between 1 and {latest - 1}");
            if (second <= first || second > latest) throw DomainError.Invalid("parameter_out_of_range", $"\"second\" must be between {first + 1} and {latest}");
            return Results.Bytes(receipts.Consistency(first, second), Cose);
        }).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("A COSE receipt of consistency (RFC 9942) between two tree sizes, signed over the newer root")
            .Query("first", "The older tree size, at least 1.", "1", required: true).Query("second", "The newer tree size, at most the latest checkpoint's.", "3", required: true)
            .ProducesText(200, Cose, ConsistencyExample).Fails(400, "missing_parameter", "invalid_parameter", "parameter_out_of_range");
    }

    private static DomainError Pending(long index) =>
        new(ErrorKind.Unavailable, "checkpoint_pending", $"entry {index} is not yet in a signed checkpoint; retry shortly") { RetryAfterSeconds = 1 };

    // Examples in CBOR diagnostic notation (RFC 8949 §8); the bodies are binary CBOR.
    private const string KeySetExample = "[{1: 2, 2: h'5f0c…9a41', 3: -7, -1: 1, -2: h'65ed…551d', -3: h'1e52…d19c'}]";
    private const string KeyExample = "{1: 2, 2: h'5f0c…9a41', 3: -7, -1: 1, -2: h'65ed…551d', -3: h'1e52…d19c'}";
    private const string NoSuchKeyExample = "{-1: \"No such key\", -2: \"No key could be found for this kid value\"}";
    private const string ConfigurationExample =
        "{\"issuer\": \"attest.example/log\", \"scitt_keys_uri\": \"https://attest.example/.well-known/scitt-keys\", \"registration_endpoint\": \"https://attest.example/entries\", "
        + "\"receipt_endpoint\": \"https://attest.example/v1/log/entries/{index}/receipt\", \"kid\": h'5f0c…9a41', \"signature_algorithms\": [-7], "
        + "\"verifiable_data_structures\": [1], \"checkpoint_verifier_key\": \"attest.example/log+346f4760+AXbH…Mmz\"}";
    private const string ReceiptExample =
        "18([<<{1: -7, 4: h'5f0c…9a41', 15: {1: \"attest.example/log\", 6: 1796665345}, 395: 1}>>, {396: {-1: [<<[12, 0, [h'4203…a4d4', h'bc42…68cd']]>>]}}, null, h'3d1c…0b7e'])";
    private const string TransparentStatementExample =
        "18([<<{1: -7, 4: h'6b65…3031', 15: {1: \"01a251a1-9ccb-76a9-bdbe-897dfaee1877\", 2: \"pkg:npm/example@1.0.0\"}}>>, {394: [<<18([<<{1: -7, 4: h'5f0c…9a41', 15: {1: \"attest.example/log\", 6: 1796665345}, 395: 1}>>, {396: {-1: [<<[12, 7, [h'4203…a4d4']]>>]}}, null, h'3d1c…0b7e'])>>]}, h'7b22…7d0a', h'a9e1…44c0'])";
    private const string ConsistencyExample =
        "18([<<{1: -7, 4: h'5f0c…9a41', 15: {1: \"attest.example/log\", 6: 1796665345}, 395: 1}>>, {396: {-2: [<<[1, 3, [h'9c1d…77f2', h'bc42…68cd']]>>]}}, null, h'8a02…11e9'])";
}
