using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Log;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Issuers, their signing keys, API keys, verification packs, the schema catalogue and the public key list.</summary>
public static class IssuerApi
{
    public static void MapIssuerApi(this WebApplication app)
    {
        var admin = app.Keyed(AuthPolicies.Admin);
        var issuer = app.Keyed(AuthPolicies.Issuer);
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        admin.MapPost("/v1/issuers", async (HttpRequest request, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            return Json.Result(await issuers.CreateIssuer(CreateIssuerCommand.FromJson(await Json.ReadObject(request, token), limits)), 201);
        }).WithSummary("Create an issuer (admin)").Takes<CreateIssuerRequest>().Produces<IssuerView>(201)
            .Fails(400, "missing_field", "field_too_long", "invalid_json").Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        issuer.MapGet("/v1/issuers/{id}", (string id, IssuerService issuers) =>
        {
            var issuerId = Field.Id(id, "issuer");
            return Json.Result(issuers.GetIssuer(issuerId));
        }).WithSummary("Read an issuer").Produces<IssuerView>().Fails(400, "invalid_id").Fails(404, "not_found");

        issuer.MapGet("/v1/issuers/{id}/keys", (string id, HttpRequest request, IssuerService issuers) =>
        {
            var query = ListKeysQuery.FromQuery(id, request);
            var page = issuers.Keys(query);
            return Json.Result(new { keys = page.Items, next_cursor = page.NextCursor });
        }).WithSummary("An issuer's signing keys").Produces<KeyList>().Paged().Fails(400, "invalid_id").Fails(404, "not_found");

        issuer.MapPost("/v1/issuers/{id}/keys", async (string id, HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            Field.Id(id, "issuer");
            return Json.Result(await issuers.CreateKey(caller, CreateKeyCommand.FromJson(id, await Json.ReadObject(request, token), limits)), 201);
        }).WithSummary("Create a signing key for an issuer: Ed25519 held by the server, or an issuer-held ES256 or EdDSA public JWK").Takes<CreateKeyRequest>().Produces<KeyView>(201)
            .Fails(400, "invalid_id", "missing_field", "invalid_kid", "invalid_json", "unsupported_alg", "invalid_jwk", "jwk_private_key", "jwk_alg_mismatch", "invalid_public_key").Fails(404, "not_found").Fails(409, "kid_exists")
            .Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        keyed.MapPost("/v1/issuers/keys/{kid}/rotate", async (string kid, HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            return Json.Result(await issuers.Rotate(caller, RotateKeyCommand.FromJson(kid, await Json.ReadObject(request, token), limits)), 201);
        }).WithSummary("Rotate a signing key: a new key replaces it").Takes<RotateKeyRequest>().Produces<KeyView>(201)
            .Fails(400, "missing_field", "invalid_kid", "invalid_json", "unsupported_alg", "invalid_jwk", "jwk_private_key", "jwk_alg_mismatch", "invalid_public_key").Fails(403, "forbidden").Fails(404, "not_found").Fails(409, "kid_exists", "key_not_active")
            .Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        keyed.MapPost("/v1/issuers/keys/{kid}/compromise", async (string kid, HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            return Json.Result(await issuers.Compromise(caller, CompromiseKeyCommand.FromJson(kid, await Json.ReadObject(request, token, allowEmpty: true), limits), token));
        }).WithSummary("Mark a signing key compromised").Takes<CompromiseKeyRequest>().Produces<CompromiseResult>()
            .Fails(400, "invalid_field", "invalid_json").Fails(403, "forbidden").Fails(404, "not_found").Fails(409, "key_compromised")
            .Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        admin.MapPost("/v1/api-keys", async (HttpRequest request, IssuerService issuers, LimitOptions limits, CreditOptions credits, CancellationToken token) =>
        {
            return Json.Result(await issuers.CreateApiKey(CreateApiKeyCommand.FromJson(await Json.ReadObject(request, token), limits, credits)), 201);
        }).WithSummary("Create an API key for an issuer (admin); the key is shown only here").Takes<CreateApiKeyRequest>().Produces<ApiKeyView>(201)
            .Fails(400, "missing_field", "invalid_id", "invalid_field", "invalid_json").Fails(404, "not_found").Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        admin.MapGet("/v1/api-keys", (HttpRequest request, IssuerService issuers) =>
        {
            var page = issuers.ApiKeys(Paging.FromQuery(request));
            return Json.Result(new { api_keys = page.Items, next_cursor = page.NextCursor });
        }).WithSummary("List API keys (admin); keys themselves are never shown again").Produces<ApiKeyList>().Paged();

        admin.MapDelete("/v1/api-keys/{id}", async (string id, IssuerService issuers) =>
        {
            return Json.Result(await issuers.RevokeApiKey(Field.Id(id, "API key")));
        }).WithSummary("Revoke an API key (admin)").Produces<ApiKeyView>().Fails(400, "invalid_id").Fails(404, "not_found").Fails(503, "unavailable");

        // Its issuer's keys read a key's credit balance too; only the admin adds credits.
        keyed.MapGet("/v1/api-keys/{id}", (string id, Principal caller, IssuerService issuers) =>
            Json.Result(issuers.GetApiKey(caller, Field.Id(id, "API key"))))
            .WithSummary("An API key and its credit balance (api_credits_remaining, null when unlimited)").Produces<ApiKeyView>(200);

        admin.MapPost("/v1/api-keys/{id}/credits", async (string id, HttpRequest request, IssuerService issuers, CreditOptions credits, CancellationToken token) =>
        {
            return Json.Result(await issuers.AddCredits(AddCreditsCommand.FromJson(id, await Json.ReadObject(request, token), credits)));
        }).WithSummary("Add credits to an API key created with a balance (admin)").Takes<AddCreditsRequest>().Produces<ApiKeyView>(200)
            .Fails(400, "missing_field", "invalid_field", "invalid_id", "parameter_out_of_range", "invalid_json").Fails(404, "not_found")
            .Fails(409, "unlimited_api_key", "already_revoked").Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        keyed.MapPost("/v1/attestation-packs", async (HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            return Json.Result(await issuers.CreatePack(caller, CreatePackCommand.FromJson(await Json.ReadObject(request, token), limits)), 201);
        }).WithSummary("Create a verification pack (a draft)").Takes<CreatePackRequest>().Produces<PackView>(201)
            .Fails(400, "missing_field", "invalid_id", "field_too_long", "invalid_json").Fails(403, "forbidden").Fails(404, "not_found")
            .Fails(415, "unsupported_media_type").Fails(503, "unavailable");

        keyed.MapGet("/v1/attestation-packs/{id}", (string id, Principal caller, IssuerService issuers) =>
            Json.Result(issuers.GetPack(caller, Field.Id(id, "pack"))))
            .WithSummary("Read a verification pack").Produces<PackView>().Fails(400, "invalid_id").Fails(403, "forbidden").Fails(404, "not_found");

        keyed.MapPost("/v1/attestation-packs/{id}/activate", async (string id, Principal caller, IssuerService issuers) =>
            Json.Result(await issuers.ActivatePack(caller, Field.Id(id, "pack"))))
            .WithSummary("Activate a draft verification pack").Produces<PackView>().Fails(400, "invalid_id").Fails(403, "forbidden").Fails(404, "not_found")
            .Fails(409, "pack_not_draft").Fails(503, "unavailable");

        app.MapGet("/v1/schemas", () => Json.Result(new { schemas = SchemaCatalogue.All })).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("The credential schema catalogue").Produces<SchemaList>();

        app.MapGet("/v1/schemas/{id}", (string id) =>
            Json.Result(SchemaCatalogue.Find(id) ?? throw DomainError.NotFound($"no schema \"{id}\""))).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("One credential schema").Produces<Schema>().Fails(404, "not_found");

        // Paged like every list: a keyring of every issuer's keys grows without bound. Follow next_cursor to the end.
        app.MapGet("/.well-known/attest-keys.json", (HttpRequest request, Registry registry, TransparencyLog log) =>
        {
            var page = Paging.FromQuery(request).Take(registry.Keys, k => k.CreatedEntryIndex);
            return Json.Result(new
            {
                log = new { origin = log.Origin, verifier_key = log.VerifierKey },
                keys = page.Items.Select(k => new
                {
                    issuer_id = k.IssuerId, kid = k.Kid, alg = k.Alg, public_key = k.PublicKey, status = k.Status,
                    valid_from = k.CreatedAt, valid_until = k.RotatedAt ?? k.CompromisedAt, compromised_at = k.CompromisedAt, log_index = k.CreatedEntryIndex,
                    jwk = Scitt.IssuerJwk.Of(k.Alg, k.PublicKey),
                }),
                next_cursor = page.NextCursor,
            });
        }).RequireCors(Cors.Public).PublicRoute().WithSummary("Every issuer's public keys and the log's key, paged").Produces<Keyring>().Paged();
    }
}
