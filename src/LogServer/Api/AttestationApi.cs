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
        }).WithMetadata(mintLimit, RateLimitBucketAttribute.Mint);

        // Keyless with a holder token, so limited per address like the public routes (a key's reader is limited there too).
        app.Keyed(AuthPolicies.Reader).MapGet("/v1/attestations/{id}", async (string id, HttpContext context, AttestationService attestations, CancellationToken token) =>
            Json.Result(await attestations.Get(AttestationReader.From(context), Field.Id(id, "attestation"), token))).PublicRoute();

        keyed.MapPost("/v1/attestations/{id}/revoke", async (string id, HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, CancellationToken token) =>
        {
            var revoke = RevokeCommand.FromJson(id, await Json.ReadObject(request, token, allowEmpty: true), limits);
            return Json.Result(await attestations.Revoke(caller, revoke, token));
        });

        keyed.MapPost("/v1/attestations/{id}/supersede", async (string id, HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            using var slot = large.Enter(request, caller);
            Field.Id(id, "attestation");
            string key = RequiredIdempotencyKey(request, limits);
            var supersede = SupersedeCommand.FromJson(id, await Json.ReadObject(request, token), limits);
            return Json.Result(await attestations.Supersede(caller, supersede, key, token), 201);
        }).WithMetadata(mintLimit, RateLimitBucketAttribute.Mint);
    }

    public static string RequiredIdempotencyKey(HttpRequest request, LimitOptions limits) =>
        StampApi.IdempotencyKey(request, limits) ?? throw DomainError.Invalid("missing_idempotency_key", "this request needs an Idempotency-Key header");
}
