using Attest.LogServer.Log;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Issuers, their signing keys, API keys, verification packs, the schema catalogue and the public key list.</summary>
public static class IssuerApi
{
    private static readonly System.Text.RegularExpressions.Regex KidPattern = new("^[A-Za-z0-9._:-]{1,64}$");

    public static void MapIssuerApi(this WebApplication app)
    {
        app.MapPost("/v1/issuers", async (HttpRequest request, Auth auth, IssuerService issuers, CancellationToken token) =>
        {
            auth.Require(request).RequireAdmin();
            var f = new RequestFields(await Json.ReadObject(request, token), "name");
            return Json.Result(await issuers.CreateIssuer(Text(f.Required("name", 200), "name")), 201);
        });

        app.MapGet("/v1/issuers/{id}", (string id, HttpRequest request, Auth auth, IssuerService issuers) =>
        {
            var issuerId = AttestationApi.Id(id, "issuer");
            auth.Require(request).RequireIssuer(issuerId);
            return Json.Result(issuers.GetIssuer(issuerId));
        });

        app.MapGet("/v1/issuers/{id}/keys", (string id, HttpRequest request, Auth auth, IssuerService issuers) =>
        {
            var issuerId = AttestationApi.Id(id, "issuer");
            auth.Require(request).RequireIssuer(issuerId);
            return Json.Result(new { keys = issuers.Keys(issuerId) });
        });

        app.MapPost("/v1/issuers/{id}/keys", async (string id, HttpRequest request, Auth auth, IssuerService issuers, CancellationToken token) =>
        {
            var caller = auth.Require(request);
            var issuerId = AttestationApi.Id(id, "issuer");
            var f = new RequestFields(await Json.ReadObject(request, token), "kid");
            return Json.Result(await issuers.CreateKey(caller, issuerId, Kid(f.Required("kid", 1000))), 201);
        });

        app.MapPost("/v1/issuers/keys/{kid}/rotate", async (string kid, HttpRequest request, Auth auth, IssuerService issuers, CancellationToken token) =>
        {
            var caller = auth.Require(request);
            var f = new RequestFields(await Json.ReadObject(request, token), "new_kid");
            return Json.Result(await issuers.Rotate(caller, Kid(kid), Kid(f.Required("new_kid", 1000))), 201);
        });

        app.MapPost("/v1/issuers/keys/{kid}/compromise", async (string kid, HttpRequest request, Auth auth, IssuerService issuers, CancellationToken token) =>
        {
            var caller = auth.Require(request);
            var f = new RequestFields(await Json.ReadObject(request, token, allowEmpty: true), "compromised_at");
            return Json.Result(await issuers.Compromise(caller, Kid(kid), f.Time("compromised_at"), token));
        });

        app.MapPost("/v1/api-keys", async (HttpRequest request, Auth auth, IssuerService issuers, CancellationToken token) =>
        {
            auth.Require(request).RequireAdmin();
            var f = new RequestFields(await Json.ReadObject(request, token), "issuer_id", "name", "expires_at");
            var issuerId = AttestationApi.Id(f.Required("issuer_id", 36), "issuer");
            return Json.Result(await issuers.CreateApiKey(issuerId, Text(f.Required("name", 100), "name"), f.Time("expires_at")), 201);
        });

        app.MapGet("/v1/api-keys", (HttpRequest request, Auth auth, IssuerService issuers) =>
        {
            auth.Require(request).RequireAdmin();
            return Json.Result(new { api_keys = issuers.ApiKeys() });
        });

        app.MapDelete("/v1/api-keys/{id}", async (string id, HttpRequest request, Auth auth, IssuerService issuers) =>
        {
            auth.Require(request).RequireAdmin();
            return Json.Result(await issuers.RevokeApiKey(AttestationApi.Id(id, "API key")));
        });

        app.MapPost("/v1/attestation-packs", async (HttpRequest request, Auth auth, IssuerService issuers, CancellationToken token) =>
        {
            var caller = auth.Require(request);
            var f = new RequestFields(await Json.ReadObject(request, token), "issuer_id", "name", "description");
            var issuerId = AttestationApi.Id(f.Required("issuer_id", 36), "issuer");
            return Json.Result(await issuers.CreatePack(caller, issuerId, Text(f.Required("name", 200), "name"), f.String("description", 2000)), 201);
        });

        app.MapGet("/v1/attestation-packs/{id}", (string id, HttpRequest request, Auth auth, IssuerService issuers) =>
            Json.Result(issuers.GetPack(auth.Require(request), AttestationApi.Id(id, "pack"))));

        app.MapPost("/v1/attestation-packs/{id}/activate", async (string id, HttpRequest request, Auth auth, IssuerService issuers) =>
            Json.Result(await issuers.ActivatePack(auth.Require(request), AttestationApi.Id(id, "pack"))));

        app.MapGet("/v1/schemas", () => Json.Result(new { schemas = SchemaCatalogue.All })).RequireCors(Cors.Public).PublicRoute();

        app.MapGet("/v1/schemas/{id}", (string id) =>
            Json.Result(SchemaCatalogue.Find(id) ?? throw ApiError.NotFound($"no schema \"{id}\""))).RequireCors(Cors.Public).PublicRoute();

        app.MapGet("/.well-known/attest-keys.json", (Registry registry, TransparencyLog log) => Json.Result(new
        {
            log = new { origin = log.Origin, verifier_key = log.VerifierKey },
            keys = registry.Keys.Select(k => new
            {
                issuer_id = k.IssuerId, kid = k.Kid, alg = k.Alg, public_key = k.PublicKey, status = k.Status,
                valid_from = k.CreatedAt, valid_until = k.RotatedAt ?? k.CompromisedAt, compromised_at = k.CompromisedAt, log_index = k.CreatedEntryIndex,
            }),
        })).RequireCors(Cors.Public).PublicRoute();
    }

    public static string Kid(string kid) =>
        KidPattern.IsMatch(kid) ? kid : throw ApiError.BadRequest("invalid_kid", "a kid is 1 to 64 of A-Z a-z 0-9 . _ : -");

    public static string Text(string s, string name) =>
        s.Any(char.IsControl) ? throw ApiError.BadRequest("invalid_field", $"\"{name}\" must not contain control characters") : s;
}
