using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Mint, read, revoke and supersede attestations (the Truthlocks mint API, field for field).</summary>
public static class AttestationApi
{
    public static void MapAttestationApi(this WebApplication app)
    {
        var mintLimit = new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MintCommand.MaxEncodedPayload + (1 << 20));
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        keyed.MapPost("/v1/attestations/mint", async (HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            using var slot = large.Enter(request, caller);
            string key = RequiredIdempotencyKey(request, limits);
            var mint = MintCommand.FromJson(await Json.ReadObject(request, token), limits);
            return Json.Result(await attestations.Mint(caller, mint, key, token), 201);
        }).WithMetadata(mintLimit, RateLimitBucketAttribute.Mint)
            .WithSummary("Mint an attestation (needs an Idempotency-Key header)").Takes<MintRequest>().Produces<AttestationView>(201).Idempotent(required: true)
            .Fails(400, "missing_idempotency_key", "missing_field", "unknown_schema", "missing_claim", "unknown_claim", "invalid_claim", "unsupported_alg", "invalid_payload", "invalid_email", "mail_not_configured", "invalid_json")
            .Fails(402, "insufficient_api_credits")
            .Fails(403, "forbidden").Fails(404, "not_found").Fails(409, "key_not_active", "key_held_by_issuer", "pack_not_active", "idempotency_key_reused")
            .Fails(413, "payload_too_large", "claims_too_large").Fails(415, "unsupported_media_type").Fails(503, "unavailable").Fails(507, "insufficient_storage");

        // Keyless with a holder token, so limited per address like the public routes (a key's reader is limited there too).
        app.Keyed(AuthPolicies.Reader).MapGet("/v1/attestations/{id}", async (string id, HttpContext context, AttestationService attestations, CancellationToken token) =>
            Json.Result(await attestations.Get(AttestationReader.From(context), Field.Id(id, "attestation"), token))).PublicRoute()
            .WithSummary("Read an attestation (its issuer's key, the admin key or its holder token)").Produces<AttestationView>()
            .Fails(400, "invalid_id").Fails(401, "invalid_holder_token").Fails(403, "forbidden").Fails(404, "not_found");

        keyed.MapPost("/v1/attestations/{id}/revoke", async (string id, HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, CancellationToken token) =>
        {
            var revoke = RevokeCommand.FromJson(id, await Json.ReadObject(request, token, allowEmpty: true), limits);
            return Json.Result(await attestations.Revoke(caller, revoke, token));
        }).WithSummary("Revoke an attestation").Takes<RevokeRequest>().Produces<AttestationView>()
            .Fails(400, "invalid_id", "field_too_long", "invalid_json").Fails(403, "forbidden").Fails(404, "not_found").Fails(409, "already_revoked", "not_valid")
            .Fails(503, "unavailable").Fails(507, "insufficient_storage");

        keyed.MapPost("/v1/attestations/{id}/supersede", async (string id, HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            using var slot = large.Enter(request, caller);
            Field.Id(id, "attestation");
            string key = RequiredIdempotencyKey(request, limits);
            var supersede = SupersedeCommand.FromJson(id, await Json.ReadObject(request, token), limits);
            return Json.Result(await attestations.Supersede(caller, supersede, key, token), 201);
        }).WithMetadata(mintLimit, RateLimitBucketAttribute.Mint)
            .WithSummary("Replace an attestation with a new one (needs an Idempotency-Key header)").Takes<MintRequest>().Produces<AttestationView>(201).Idempotent(required: true)
            .Fails(400, "missing_idempotency_key", "invalid_id", "missing_field", "invalid_claim", "issuer_mismatch", "invalid_email", "mail_not_configured", "invalid_json").Fails(402, "insufficient_api_credits")
            .Fails(403, "forbidden").Fails(404, "not_found")
            .Fails(409, "not_valid", "key_not_active", "key_held_by_issuer", "idempotency_key_reused").Fails(413, "payload_too_large").Fails(415, "unsupported_media_type")
            .Fails(503, "unavailable").Fails(507, "insufficient_storage");
    }

    public static string RequiredIdempotencyKey(HttpRequest request, LimitOptions limits) =>
        StampApi.IdempotencyKey(request, limits) ?? throw DomainError.Invalid("missing_idempotency_key", "this request needs an Idempotency-Key header");
}
