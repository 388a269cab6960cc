using Attest.LogServer.Scitt;
using Attest.LogServer.Service;
using Attest.Merkle;
using Microsoft.Net.Http.Headers;

namespace Attest.LogServer.Api;

/// <summary>
/// SCITT registration (draft-ietf-scitt-scrapi-10 §2.3 "Register Signed Statement", §2.4 "Query Registration Status"
/// and §2.5 "Resolve Receipt"): <c>POST /entries</c> takes a Signed Statement and <c>GET /entries/{id}</c> answers its
/// receipt once a signed checkpoint covers it. Every refusal is an RFC 9290 concise problem details body (<see cref="ConciseProblemDetails"/>).
/// </summary>
public static class ScittApi
{
    private const string Cose = "application/cose";

    public static void MapScittApi(this WebApplication app)
    {
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        // 201 with the receipt when a signed checkpoint already covers the entry (draft-ietf-scitt-scrapi-10 §2.3.1),
        // else 303 See Other to the entry's status resource with a Retry-After to pace the polling (§2.3.2). The
        // statement is appended before either answer, so both are acknowledged and durable.
        keyed.MapPost("/entries", async (HttpContext context, Principal caller, Registrations registrations, Receipts receipts) =>
        {
            var statement = await ReadStatement(context.Request, context.RequestAborted);
            var registered = await registrations.Register(caller, statement);
            string location = "/entries/" + registered.EntryId;
            context.Response.Headers.Location = location;
            if (receipts.For(registered.Index) is not { } receipt)
            {
                context.Response.Headers.RetryAfter = "1";
                return Results.StatusCode(303);
            }
            context.Response.StatusCode = 201;
            context.Response.ContentType = Cose;
            await context.Response.Body.WriteAsync(receipt, context.RequestAborted);
            return Results.Empty;
        }).WithMetadata(ConciseProblemDetails.Marker)
            .WithSummary("Register a SCITT Signed Statement (COSE_Sign1, application/cose)")
            .WithDescription("The statement is logged byte for byte as the entry (its id: the hex of SHA-256(0x00 || statement)). 201 with the receipt (application/cose) "
                + "when a signed checkpoint covers it, else 303 See Other to /entries/{id}. Registering the same bytes again logs nothing. Refusals are RFC 9290 "
                + "concise problem details (application/concise-problem-details+cbor) with the error code in the entry \"" + ConciseProblemDetails.CodeEntry + "\": "
                + "400 not_cose_sign1, invalid_protected_header, unprotected_header_not_empty, detached_payload, unsupported_alg, missing_kid, missing_cwt_claims, "
                + "missing_issuer, missing_subject, unknown_issuer, unknown_kid, kid_not_of_issuer, alg_mismatch, invalid_signature; 401 missing_api_key, invalid_api_key; "
                + "402 insufficient_api_credits; 403 forbidden; 409 key_not_active; 413 statement_too_large; 415 unsupported_media_type; 429 rate_limited; 503 unavailable; 507 insufficient_storage.")
            .Produces<byte[]>(201, Cose).Produces(303)
            .Produces<byte[]>(400, ConciseProblemDetails.MediaType).Produces<byte[]>(401, ConciseProblemDetails.MediaType)
            .Produces<byte[]>(402, ConciseProblemDetails.MediaType)
            .Produces<byte[]>(403, ConciseProblemDetails.MediaType).Produces<byte[]>(409, ConciseProblemDetails.MediaType)
            .Produces<byte[]>(413, ConciseProblemDetails.MediaType).Produces<byte[]>(415, ConciseProblemDetails.MediaType)
            .Produces<byte[]>(503, ConciseProblemDetails.MediaType);

        // Public, like the log itself: the statement is a public entry, and its receipt is a proof anyone may check.
        // Expensive as /v1/log/entries/{index}/receipt is: the same lookup and inclusion proof.
        app.MapGet("/entries/{id}", (string id, HttpResponse response, Registrations registrations, Receipts receipts) =>
        {
            if (!IsEntryId(id, out var leaf)) throw DomainError.Invalid("invalid_id", "an entry id is the 64 lowercase hex digits of the statement's leaf hash");
            long index = registrations.Find(leaf) ?? throw DomainError.NotFound("no Signed Statement with this entry id is registered");
            if (receipts.For(index) is { } receipt) return Results.Bytes(receipt, Cose);
            // Pending: no signed checkpoint covers the entry yet (draft-ietf-scitt-scrapi-10 §2.4.1: 302 Found to itself,
            // with Retry-After). Otherwise 200 with the receipt (§2.4.2, §2.5.1); an unknown id is 404 (§2.5.2).
            response.Headers.Location = "/entries/" + id;
            response.Headers.RetryAfter = "1";
            return Results.StatusCode(302);
        }).WithMetadata(ConciseProblemDetails.Marker).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("A registered statement's receipt (application/cose), or 302 while no signed checkpoint covers it")
            .WithDescription("Refusals are RFC 9290 concise problem details: 400 invalid_id, 404 not_found.")
            .Produces<byte[]>(200, Cose).Produces(302)
            .Produces<byte[]>(400, ConciseProblemDetails.MediaType).Produces<byte[]>(404, ConciseProblemDetails.MediaType);
    }

    /// <summary>
    /// The body, which must be <c>application/cose</c> (RFC 9052 §11.3; a <c>cose-type</c> parameter, if any, names
    /// <c>cose-sign1</c>, RFC 9052 §2 Table 1), read up to one byte more than a statement may be, so that a larger one, with or without a
    /// Content-Length, is refused without being held.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>> ReadStatement(HttpRequest request, CancellationToken token)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals(Cose, StringComparison.OrdinalIgnoreCase)
            || type.Parameters.Any(p => !p.Name.Equals("cose-type", StringComparison.OrdinalIgnoreCase) || !p.Value.Equals("cose-sign1", StringComparison.OrdinalIgnoreCase) && !p.Value.Equals("\"cose-sign1\"", StringComparison.OrdinalIgnoreCase)))
            throw new DomainError(ErrorKind.UnsupportedMediaType, "unsupported_media_type", "send the Signed Statement as application/cose");
        if (request.ContentLength > RegistrationPolicy.MaxStatementBytes) throw RegistrationPolicy.TooLarge();
        var buffer = new byte[(int)(request.ContentLength ?? RegistrationPolicy.MaxStatementBytes) + 1];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await request.Body.ReadAsync(buffer.AsMemory(read), token);
            if (n == 0) break;
            read += n;
        }
        if (read > RegistrationPolicy.MaxStatementBytes) throw RegistrationPolicy.TooLarge();
        return buffer.AsMemory(0, read);
    }

    private static bool IsEntryId(string id, out Hash leaf)
    {
        leaf = default;
        return id.Length == 2 * Hash.Size && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f') && Hash.TryParseHex(id, out leaf);
    }
}
