using Attest.LogServer.Commands;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Mint, read, revoke and supersede attestations (the Truthlocks mint API, field for field).</summary>
public static class AttestationApi
{
    public static void MapAttestationApi(this WebApplication app)
    {
        var mintLimit = new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MintCommand.MaxEncodedPayload + (1 << 20));

        app.MapPost("/v1/attestations/mint", async (HttpRequest request, Auth auth, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            var caller = auth.Require(request, "mint");
            using var slot = large.Enter(request, caller);
            string key = RequiredIdempotencyKey(request, limits);
            var mint = MintCommand.FromJson(await Json.ReadObject(request, token), limits);
            return Json.Result(await attestations.Mint(caller, mint, key, token), 201);
        }).WithMetadata(mintLimit);

        // Keyless with a holder token, so limited per address like the public routes (a key's reader is limited there too).
        app.MapGet("/v1/attestations/{id}", async (string id, HttpRequest request, Auth auth, AttestationService attestations, CancellationToken token) =>
            Json.Result(await attestations.Get(AttestationReader.From(request, auth), Field.Id(id, "attestation"), token))).PublicRoute();

        app.MapPost("/v1/attestations/{id}/revoke", async (string id, HttpRequest request, Auth auth, AttestationService attestations, LimitOptions limits, CancellationToken token) =>
        {
            var caller = auth.Require(request);
            var revoke = RevokeCommand.FromJson(id, await Json.ReadObject(request, token, allowEmpty: true), limits);
            return Json.Result(await attestations.Revoke(caller, revoke, token));
        });

        app.MapPost("/v1/attestations/{id}/supersede", async (string id, HttpRequest request, Auth auth, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            var caller = auth.Require(request, "mint");
            using var slot = large.Enter(request, caller);
            Field.Id(id, "attestation");
            string key = RequiredIdempotencyKey(request, limits);
            var supersede = SupersedeCommand.FromJson(id, await Json.ReadObject(request, token), limits);
            return Json.Result(await attestations.Supersede(caller, supersede, key, token), 201);
        }).WithMetadata(mintLimit);
    }

    public static string RequiredIdempotencyKey(HttpRequest request, LimitOptions limits) =>
        StampApi.IdempotencyKey(request, limits) ?? throw DomainError.Invalid("missing_idempotency_key", "this request needs an Idempotency-Key header");
}
