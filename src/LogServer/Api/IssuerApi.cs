using Attest.LogServer.Log;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Issuers, their signing keys, API keys, verification packs, the schema catalogue and the public key list.</summary>
public static class IssuerApi
{
    private static readonly System.Text.RegularExpressions.Regex KidPattern = new(@"^[A-Za-z0-9._:-]+\z");

    public static void MapIssuerApi(this WebApplication app)
    {
        var admin = app.Keyed(AuthPolicies.Admin);
        var issuer = app.Keyed(AuthPolicies.Issuer);
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        admin.MapPost("/v1/issuers", async (HttpRequest request, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            var f = new RequestFields(await Json.ReadObject(request, token), "name");
            return Json.Result(await issuers.CreateIssuer(Text(f.Required("name", limits.MaxNameLength, nameof(limits.MaxNameLength)), "name")), 201);
        });

        issuer.MapGet("/v1/issuers/{id}", (string id, IssuerService issuers) =>
        {
            var issuerId = AttestationApi.Id(id, "issuer");
            return Json.Result(issuers.GetIssuer(issuerId));
        });

        issuer.MapGet("/v1/issuers/{id}/keys", (string id, HttpRequest request, IssuerService issuers) =>
        {
            var issuerId = AttestationApi.Id(id, "issuer");
            var page = issuers.Keys(issuerId, Page(request));
            return Json.Result(new { keys = page.Items, next_cursor = page.NextCursor });
        });

        issuer.MapPost("/v1/issuers/{id}/keys", async (string id, HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            var issuerId = AttestationApi.Id(id, "issuer");
            var f = new RequestFields(await Json.ReadObject(request, token), "kid");
            return Json.Result(await issuers.CreateKey(caller, issuerId, Kid(f.Required("kid", int.MaxValue), limits)), 201);
        });

        keyed.MapPost("/v1/issuers/keys/{kid}/rotate", async (string kid, HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            var f = new RequestFields(await Json.ReadObject(request, token), "new_kid");
            return Json.Result(await issuers.Rotate(caller, Kid(kid, limits), Kid(f.Required("new_kid", int.MaxValue), limits)), 201);
        });

        keyed.MapPost("/v1/issuers/keys/{kid}/compromise", async (string kid, HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            var f = new RequestFields(await Json.ReadObject(request, token, allowEmpty: true), "compromised_at");
            return Json.Result(await issuers.Compromise(caller, Kid(kid, limits), f.Time("compromised_at"), token));
        });

        admin.MapPost("/v1/api-keys", async (HttpRequest request, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            var f = new RequestFields(await Json.ReadObject(request, token), "issuer_id", "name", "expires_at");
            var issuerId = AttestationApi.Id(f.Required("issuer_id", 36), "issuer");
            return Json.Result(await issuers.CreateApiKey(issuerId, Text(f.Required("name", limits.MaxNameLength, nameof(limits.MaxNameLength)), "name"), f.Time("expires_at")), 201);
        });

        admin.MapGet("/v1/api-keys", (HttpRequest request, IssuerService issuers) =>
        {
            var page = issuers.ApiKeys(Page(request));
            return Json.Result(new { api_keys = page.Items, next_cursor = page.NextCursor });
        });

        admin.MapDelete("/v1/api-keys/{id}", async (string id, IssuerService issuers) =>
        {
            return Json.Result(await issuers.RevokeApiKey(AttestationApi.Id(id, "API key")));
        });

        keyed.MapPost("/v1/attestation-packs", async (HttpRequest request, Principal caller, IssuerService issuers, LimitOptions limits, CancellationToken token) =>
        {
            var f = new RequestFields(await Json.ReadObject(request, token), "issuer_id", "name", "description");
            var issuerId = AttestationApi.Id(f.Required("issuer_id", 36), "issuer");
            return Json.Result(await issuers.CreatePack(caller, issuerId, Text(f.Required("name", limits.MaxNameLength, nameof(limits.MaxNameLength)), "name"),
                f.String("description", limits.MaxDescriptionLength, nameof(limits.MaxDescriptionLength))), 201);
        });

        keyed.MapGet("/v1/attestation-packs/{id}", (string id, Principal caller, IssuerService issuers) =>
            Json.Result(issuers.GetPack(caller, AttestationApi.Id(id, "pack"))));

        keyed.MapPost("/v1/attestation-packs/{id}/activate", async (string id, Principal caller, IssuerService issuers) =>
            Json.Result(await issuers.ActivatePack(caller, AttestationApi.Id(id, "pack"))));

        app.MapGet("/v1/schemas", () => Json.Result(new { schemas = SchemaCatalogue.All })).RequireCors(Cors.Public).PublicRoute();

        app.MapGet("/v1/schemas/{id}", (string id) =>
            Json.Result(SchemaCatalogue.Find(id) ?? throw ApiError.NotFound($"no schema \"{id}\""))).RequireCors(Cors.Public).PublicRoute();

        // Paged like every list: a keyring of every issuer's keys grows without bound. Follow next_cursor to the end.
        app.MapGet("/.well-known/attest-keys.json", (HttpRequest request, Registry registry, TransparencyLog log) =>
        {
            var page = Page(request).Take(registry.Keys, k => k.CreatedEntryIndex);
            return Json.Result(new
            {
                log = new { origin = log.Origin, verifier_key = log.VerifierKey },
                keys = page.Items.Select(k => new
                {
                    issuer_id = k.IssuerId, kid = k.Kid, alg = k.Alg, public_key = k.PublicKey, status = k.Status,
                    valid_from = k.CreatedAt, valid_until = k.RotatedAt ?? k.CompromisedAt, compromised_at = k.CompromisedAt, log_index = k.CreatedEntryIndex,
                }),
                next_cursor = page.NextCursor,
            });
        }).RequireCors(Cors.Public).PublicRoute();
    }

    /// <summary>The <c>?limit=</c> and <c>?cursor=</c> of a list request (<see cref="PageRequest"/>).</summary>
    public static PageRequest Page(HttpRequest request)
    {
        long? limit = request.Query.ContainsKey("limit") ? LogApi.Param(request, "limit", min: 0) : null;
        var cursor = request.Query["cursor"];
        if (cursor.Count > 1) throw ApiError.BadRequest("invalid_cursor", "give one cursor");
        return PageRequest.Of(cursor.Count == 1 ? cursor[0] : null, limit);
    }

    public static string Kid(string kid, LimitOptions limits) =>
        kid.Length > limits.MaxKidLength ? throw LimitOptions.TooLong("a kid", nameof(limits.MaxKidLength), limits.MaxKidLength)
        : KidPattern.IsMatch(kid) ? kid : throw ApiError.BadRequest("invalid_kid", $"a kid is 1 to {limits.MaxKidLength} of A-Z a-z 0-9 . _ : -");

    public static string Text(string s, string name) =>
        s.Any(char.IsControl) ? throw ApiError.BadRequest("invalid_field", $"\"{name}\" must not contain control characters") : s;
}
