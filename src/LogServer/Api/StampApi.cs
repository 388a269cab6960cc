using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;

namespace Attest.LogServer.Api;

/// <summary>Stamps, after the TruthStamp API (the earliest-stamp verify is in <see cref="VerifyApi"/>).</summary>
public static class StampApi
{
    public static void MapStampApi(this WebApplication app)
    {
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        keyed.MapPost("/v1/stamps", async (HttpRequest request, Principal caller, StampService stamps, LimitOptions limits, CancellationToken token) =>
        {
            string? key = IdempotencyKey(request, limits);
            return Json.Result(await stamps.Create(caller, StampCommand.FromJson(await Json.ReadObject(request, token), limits), key, token), 201);
        }).WithSummary("Stamp content or its hash")
            .Takes<StampRequest>().Produces<Stamp>(201).Idempotent(required: false)
            .Fails(400, "missing_content", "invalid_content_hash", "invalid_visibility", "too_many_tags", "invalid_json", "invalid_idempotency_key",
                "missing_sealed_until", "seal_too_soon", "invalid_sealed_until", "invalid_field", "unsupported_content_type", "invalid_url")
            .Fails(402, "insufficient_api_credits").Fails(409, "idempotency_key_reused")
            .Fails(413, "payload_too_large", "record_too_large", "sealed_content_too_large").Fails(415, "unsupported_media_type")
            .Fails(422, "snapshot_failed").Fails(429, "rate_limited").Fails(503, "unavailable").Fails(507, "insufficient_storage");

        keyed.MapGet("/v1/stamps/{id}", async (string id, Principal caller, StampService stamps, CancellationToken token) =>
        {
            Field.Id(id, "stamp");
            return Json.Result(await stamps.Get(caller, id, token));
        }).WithSummary("Read a stamp").Produces<Stamp>().Fails(400, "invalid_id").Fails(404, "not_found");

        // A sealed stamp's reveal (TruthStamp): 200 with the revealed stamp, as the seed answers.
        // No body: the stamp is named by the path, and the request handler takes only the Idempotency-Key header.
        keyed.MapPost("/v1/stamps/{id}/reveal", async (string id, [FromHeader(Name = "Idempotency-Key")] string[]? idempotencyKey, Principal caller,
            StampReveals reveals, LimitOptions limits, CancellationToken token) =>
        {
            Field.Id(id, "stamp");
            return Json.Result(await reveals.Reveal(caller, id, IdempotencyKey(new StringValues(idempotencyKey), limits), token));
        }).WithSummary("Reveal a sealed stamp")
          .WithDescription("After its sealed_until, the creating issuer's API keys or the admin log a stamp-reveal/v1 entry that makes the content public.")
          .Produces<Stamp>().Fails(400, "not_sealed", "still_sealed", "invalid_id", "invalid_idempotency_key").Fails(402, "insufficient_api_credits")
          .Fails(403, "not_owner").Fails(404, "not_found").Fails(409, "already_revealed", "idempotency_key_reused").Fails(503, "unavailable");
        // The page is served as it was fetched, but never as a page of this origin: a download, not sniffed, sandboxed.
        keyed.MapGet("/v1/stamps/{id}/snapshot", async (string id, HttpResponse response, Principal caller, StampService stamps, CancellationToken token) =>
        {
            Field.Id(id, "stamp");
            var (sha256, bytes) = await stamps.Snapshot(caller, id, token);
            response.Headers["X-Content-Type-Options"] = "nosniff";
            response.Headers.ContentSecurityPolicy = "sandbox";
            response.Headers["Snapshot-SHA256"] = sha256;
            return Results.File(bytes, "application/octet-stream", $"{id}.snapshot");
        }).WithSummary("A URL stamp's page as fetched, for whoever may read the stamp's content")
            .Produces<byte[]>(200, "application/octet-stream").Fails(400, "invalid_id").Fails(403, "forbidden").Fails(404, "not_found");

        // Public: only what the log itself holds about the stamp (id, content hash, time), with its proofs.
        app.MapGet("/v1/stamps/{id}/proof", async (string id, ProofService proofs, CancellationToken token) =>
        {
            Field.Id(id, "stamp");
            return Json.Result(await proofs.OfStamp(id, token));
        }).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("A stamp's log entry with its inclusion proof (public)").Produces<StampProof>().Fails(400, "invalid_id").Fails(404, "not_found").Fails(503, "checkpoint_pending");
    }

    public static string? IdempotencyKey(HttpRequest request, LimitOptions limits) =>
        IdempotencyKey(request.Headers.TryGetValue("Idempotency-Key", out var values) ? values : StringValues.Empty, limits);

    /// <summary>The <c>Idempotency-Key</c> header's values as sent (none: no key).</summary>
    public static string? IdempotencyKey(StringValues values, LimitOptions limits)
    {
        if (values.Count == 0) return null;
        string key = values.ToString();
        if (values.Count == 1 && key.Length > limits.MaxIdempotencyKeyLength)
            throw LimitOptions.TooLong("Idempotency-Key", nameof(limits.MaxIdempotencyKeyLength), limits.MaxIdempotencyKeyLength);
        if (values.Count != 1 || key.Length == 0 || key.Any(c => c < 0x21 || c > 0x7e))
            throw DomainError.Invalid("invalid_idempotency_key", $"Idempotency-Key must be 1 to {limits.MaxIdempotencyKeyLength} printable ASCII characters");
        return key;
    }
}
