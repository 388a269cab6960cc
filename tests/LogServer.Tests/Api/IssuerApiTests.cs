using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests.Api;

/// <summary>Issuers, signing keys (create, rotate, compromise), API keys, packs, the schema catalogue and the public key list.</summary>
public sealed class IssuerApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    private async Task<(string IssuerId, string ApiKey, string ApiKeyId)> IssuerWithApiKey()
    {
        string issuerId = await Client.CreateIssuer();
        var (status, key) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "ci" });
        Assert.Equal(HttpStatusCode.Created, status);
        return (issuerId, key.Str("key"), key.Str("id"));
    }

    [Fact]
    public async Task creating_an_issuer_needs_the_admin_key()
    {
        var (_, apiKey, _) = await IssuerWithApiKey();
        long before = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/issuers", new { name = "Nobody" }, key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        Http.AssertError(await Client.Post("v1/issuers", new { name = "Nobody" }, key: "atk_wrong"), HttpStatusCode.Unauthorized, "invalid_api_key");
        Http.AssertError(await Client.Post("v1/issuers", new { name = "Nobody" }, key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post("v1/issuers", new { }), HttpStatusCode.BadRequest, "missing_field");
        Http.AssertError(await Client.Post("v1/issuers", new { name = "A", colour = "blue" }), HttpStatusCode.BadRequest, "unknown_field");
        Http.AssertError(await Client.Post("v1/issuers", "{\"name\":"), HttpStatusCode.BadRequest, "invalid_json");
        Assert.Equal(before, await Client.TreeSize());

        var (status, issuer) = await Client.Post("v1/issuers", new { name = "Example University" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(Guid.TryParseExact(issuer.Str("id"), "D", out _));
        Assert.Equal("Example University", issuer.Str("name"));
        Assert.True(DateTimeOffset.TryParse(issuer.Str("created_at"), out _));
        Assert.Equal(before + 1, await Client.TreeSize());

        var (getStatus, fetched) = await Client.Get($"v1/issuers/{issuer.Str("id")}");
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(issuer.Str("id"), fetched.Str("id"));
        Assert.Equal("Example University", fetched.Str("name"));
        Assert.Equal(issuer.Str("created_at"), fetched.Str("created_at"));
    }

    [Fact]
    public async Task getting_an_unknown_issuer_is_404_and_a_malformed_id_is_400()
    {
        Http.AssertError(await Client.Get($"v1/issuers/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Get("v1/issuers/not-a-uuid"), HttpStatusCode.BadRequest, "invalid_id");
        Http.AssertError(await Client.Get($"v1/issuers/{Guid.NewGuid()}/keys"), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Get($"v1/issuers/{Guid.NewGuid()}", key: null), HttpStatusCode.Unauthorized, "missing_api_key");
    }

    [Fact]
    public async Task a_new_key_is_an_active_ed25519_key_with_a_32_byte_base64url_public_key()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = AttestApi.NewKid();
        long before = await Client.TreeSize();
        var (status, key) = await Client.Post($"v1/issuers/{issuerId}/keys", new { kid });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(kid, key.Str("kid"));
        Assert.Equal("Ed25519", key.Str("alg"));
        Assert.Equal("active", key.Str("status"));
        Assert.True(DateTimeOffset.TryParse(key.Str("created_at"), out _));
        string publicKey = key.Str("public_key");
        Assert.Matches("^[A-Za-z0-9_-]+$", publicKey);
        Assert.Equal(32, AttestApi.FromB64Url(publicKey).Length);
        Assert.Equal(before + 1, await Client.TreeSize());

        var (_, keys) = await Client.Get($"v1/issuers/{issuerId}/keys");
        var listed = Assert.Single(keys.GetProperty("keys").EnumerateArray());
        Assert.Equal(kid, listed.Str("kid"));
        Assert.Equal(publicKey, listed.Str("public_key"));

        // A second key of the same issuer gets a different key pair.
        var other = await Client.CreateKey(issuerId);
        Assert.NotEqual(publicKey, other.Str("public_key"));
    }

    [Fact]
    public async Task bad_key_requests_are_rejected_and_create_nothing()
    {
        string issuerId = await Client.CreateIssuer();
        var (otherIssuer, otherApiKey, _) = await IssuerWithApiKey();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        long before = await Client.TreeSize();

        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid }), HttpStatusCode.Conflict, "kid_exists");
        // kids are global: another issuer cannot take it either.
        Http.AssertError(await Client.Post($"v1/issuers/{otherIssuer}/keys", new { kid }), HttpStatusCode.Conflict, "kid_exists");
        foreach (var bad in new[] { "has space", "slash/kid", "ünïcode", "tab\tkid", "newline-at-end\n" })
            Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = bad }), HttpStatusCode.BadRequest, "invalid_kid");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = new string('k', 65) }), HttpStatusCode.BadRequest, "field_too_long");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { }), HttpStatusCode.BadRequest, "missing_field");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = 7 }), HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = AttestApi.NewKid() }, key: otherApiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/issuers/{Guid.NewGuid()}/keys", new { kid = AttestApi.NewKid() }), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post("v1/issuers/nope/keys", new { kid = AttestApi.NewKid() }), HttpStatusCode.BadRequest, "invalid_id");
        Assert.Equal(before, await Client.TreeSize());
        Assert.Single((await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task rotating_a_key_makes_a_new_active_key_and_what_the_old_one_signed_stays_valid()
    {
        string issuerId = await Client.CreateIssuer();
        var oldKey = await Client.CreateKey(issuerId);
        string oldKid = oldKey.Str("kid");
        var before = await Client.Mint(AttestApi.MintBody(issuerId, oldKid));

        string newKid = AttestApi.NewKid();
        long size = await Client.TreeSize();
        var (status, rotated) = await Client.Post($"v1/issuers/keys/{oldKid}/rotate", new { new_kid = newKid });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(newKid, rotated.Str("kid"));
        Assert.Equal("active", rotated.Str("status"));
        Assert.Equal("Ed25519", rotated.Str("alg"));
        Assert.Equal(32, AttestApi.FromB64Url(rotated.Str("public_key")).Length);
        Assert.NotEqual(oldKey.Str("public_key"), rotated.Str("public_key"));
        Assert.Equal(size + 1, await Client.TreeSize());

        var keys = (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray().ToDictionary(k => k.Str("kid"));
        Assert.Equal("rotated", keys[oldKid].Str("status"));
        Assert.Equal(newKid, keys[oldKid].Str("replaced_by"));
        Assert.True(DateTimeOffset.TryParse(keys[oldKid].Str("rotated_at"), out _));
        Assert.Equal("active", keys[newKid].Str("status"));

        // The old key signs nothing more and cannot be rotated again; the new kid cannot be reused.
        size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/issuers/keys/{oldKid}/rotate", new { new_kid = AttestApi.NewKid() }), HttpStatusCode.Conflict, "key_not_active");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, oldKid), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "key_not_active");
        var another = await Client.CreateKey(issuerId);
        size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/issuers/keys/{another.Str("kid")}/rotate", new { new_kid = newKid }), HttpStatusCode.Conflict, "kid_exists");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{AttestApi.NewKid()}/rotate", new { new_kid = AttestApi.NewKid() }), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{another.Str("kid")}/rotate", new { new_kid = "bad kid" }), HttpStatusCode.BadRequest, "invalid_kid");
        Assert.Equal(size, await Client.TreeSize());

        var after = await Client.Mint(AttestApi.MintBody(issuerId, newKid));
        Assert.True(AttestApi.SignatureVerifies(rotated.Str("public_key"), after));
        await Client.CheckpointCovering(after.GetProperty("log_index").GetInt64() + 1);
        var v = await Client.Verify(new { attestation_id = before.Str("id") });
        Assert.Equal("VALID", v.Str("verdict"));
        Assert.Contains("signature_ok", v.Reasons());
        Assert.Equal("VALID", (await Client.Verify(new { attestation_id = after.Str("id") })).Str("verdict"));
        Assert.Equal("VALID", (await Client.Verify(new { attestation = new { payload = before.GetProperty("payload"), signature = before.Str("signature") } })).Str("verdict"));
    }

    [Fact]
    public async Task compromising_a_key_counts_exactly_the_attestations_it_signed_at_or_after_compromised_at()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var minted = new List<JsonElement>();
        for (int i = 0; i < 3; i++) minted.Add(await Client.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims($"before {i}"))));
        // A key is compromised for what it signed at or after compromised_at (docs/VERIFYING.md "The key rule"): the
        // compromise starts just after the last "before" signature.
        var compromisedAt = DateTimeOffset.Parse(minted[^1].Str("created_at")).AddMilliseconds(1);
        // Times have millisecond resolution: let the clock move past the compromise (a wait, not an assertion).
        while (DateTimeOffset.UtcNow <= compromisedAt.AddMilliseconds(2)) await Task.Delay(1);
        for (int i = 0; i < 3; i++) minted.Add(await Client.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims($"after {i}"))));
        var afterIds = minted.Where(m => DateTimeOffset.Parse(m.Str("created_at")) >= compromisedAt).Select(m => m.Str("id")).ToHashSet();
        Assert.Equal(3, afterIds.Count);

        string at = compromisedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        long size = await Client.TreeSize();
        var (status, result) = await Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = at });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(kid, result.Str("kid"));
        Assert.Equal("compromised", result.Str("status"));
        Assert.Equal(compromisedAt, DateTimeOffset.Parse(result.Str("compromised_at")));
        Assert.Equal(afterIds.Count, result.GetProperty("affected_attestations").GetInt64());
        Assert.Equal(size + 1, await Client.TreeSize());

        var key = (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray().Single(k => k.Str("kid") == kid);
        Assert.Equal("compromised", key.Str("status"));
        Assert.Equal(compromisedAt, DateTimeOffset.Parse(key.Str("compromised_at")));

        size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = at }), HttpStatusCode.Conflict, "key_compromised");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/compromise", new { }), HttpStatusCode.Conflict, "key_compromised");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "key_not_active");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/rotate", new { new_kid = AttestApi.NewKid() }), HttpStatusCode.Conflict, "key_not_active");
        Assert.Equal(size, await Client.TreeSize());

        await Client.CheckpointCovering(size);
        foreach (var m in minted)
        {
            var v = await Client.Verify(new { attestation_id = m.Str("id") });
            if (afterIds.Contains(m.Str("id")))
            {
                Assert.Equal("KEY_COMPROMISED", v.Str("verdict"));
                Assert.Contains("key_compromised", v.Reasons());
            }
            else
            {
                Assert.Equal("VALID", v.Str("verdict"));
            }
            Assert.Contains("signature_ok", v.Reasons());
        }
    }

    [Fact]
    public async Task a_compromise_in_the_future_or_with_a_bad_time_is_rejected_and_the_key_stays_active()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (_, otherApiKey, _) = await IssuerWithApiKey();
        long size = await Client.TreeSize();
        string tomorrow = DateTimeOffset.UtcNow.AddDays(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = tomorrow }), HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = "yesterday" }), HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = "2026-01-13 12:00:00" }), HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/compromise", new { }, key: otherApiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{AttestApi.NewKid()}/compromise", new { }), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(size, await Client.TreeSize());
        var key = (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray().Single();
        Assert.Equal("active", key.Str("status"));
        await Client.Mint(AttestApi.MintBody(issuerId, kid));

        // Without compromised_at the key is compromised from now; what it signed before stays valid.
        var (status, result) = await Client.Post($"v1/issuers/keys/{kid}/compromise", new { });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, result.GetProperty("affected_attestations").GetInt64());
    }

    [Fact]
    public async Task the_well_known_key_list_has_every_key_with_its_status_and_the_log_verifier_key()
    {
        string issuerId = await Client.CreateIssuer();
        var k1 = await Client.CreateKey(issuerId);
        var k2 = await Client.CreateKey(issuerId);
        string k3 = AttestApi.NewKid();
        var (_, rotated) = await Client.Post($"v1/issuers/keys/{k1.Str("kid")}/rotate", new { new_kid = k3 });
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/issuers/keys/{k2.Str("kid")}/compromise", new { })).Status);

        var (status, wellKnown) = await Client.Get(".well-known/attest-keys.json", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        var (_, logKey) = await Client.Get("v1/log/key", key: null);
        Assert.Equal(logKey.Str("verifier_key"), wellKnown.GetProperty("log").Str("verifier_key"));
        Assert.Equal(logKey.Str("origin"), wellKnown.GetProperty("log").Str("origin"));

        var listed = (await Client.GetAll(".well-known/attest-keys.json", "keys", key: null)).Where(k => k.Str("issuer_id") == issuerId).ToDictionary(k => k.Str("kid"));
        Assert.Equal(3, listed.Count);
        Assert.Equal("rotated", listed[k1.Str("kid")].Str("status"));
        Assert.Equal("compromised", listed[k2.Str("kid")].Str("status"));
        Assert.Equal("active", listed[k3].Str("status"));
        Assert.Equal(k1.Str("public_key"), listed[k1.Str("kid")].Str("public_key"));
        Assert.Equal(k2.Str("public_key"), listed[k2.Str("kid")].Str("public_key"));
        Assert.Equal(rotated.Str("public_key"), listed[k3].Str("public_key"));
        foreach (var k in listed.Values)
        {
            Assert.Equal("Ed25519", k.Str("alg"));
            Assert.True(DateTimeOffset.TryParse(k.Str("valid_from"), out _));
        }
        Assert.Equal(JsonValueKind.Null, listed[k3].GetProperty("valid_until").ValueKind);
        Assert.True(DateTimeOffset.TryParse(listed[k1.Str("kid")].Str("valid_until"), out _));
        Assert.True(DateTimeOffset.TryParse(listed[k2.Str("kid")].Str("compromised_at"), out _));
        // No key material beyond public keys.
        Assert.DoesNotContain("seed", wellKnown.GetRawText());
    }

    [Fact]
    public async Task an_api_key_is_shown_once_acts_only_for_its_issuer_and_is_never_listed()
    {
        string issuerId = await Client.CreateIssuer();
        string otherIssuer = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        string otherKid = (await Client.CreateKey(otherIssuer)).Str("kid");
        string name = "deploy bot " + Guid.NewGuid();

        long size = await Client.TreeSize();
        var (status, created) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(size + 1, await Client.TreeSize());
        string apiKey = created.Str("key");
        Assert.StartsWith("atk_", apiKey);
        Assert.True(apiKey.Length > 40, apiKey);
        Assert.Equal(issuerId, created.Str("issuer_id"));
        Assert.Equal(name, created.Str("name"));
        string apiKeyId = created.Str("id");

        var (listStatus, list) = await Client.Get("v1/api-keys");
        Assert.Equal(HttpStatusCode.OK, listStatus);
        var listed = (await Client.GetAll("v1/api-keys", "api_keys")).Single(k => k.Str("id") == apiKeyId);
        Assert.Equal(name, listed.Str("name"));
        Assert.Equal(issuerId, listed.Str("issuer_id"));
        string listText = list.GetRawText();
        Assert.DoesNotContain(apiKey, listText);
        Assert.DoesNotContain(apiKey["atk_".Length..], listText);
        Assert.DoesNotContain(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey))), listText);
        // Fetching a key again never shows it: the list is the only read.
        Http.AssertError(await Client.Get("v1/api-keys", key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "self-made" }, key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Send(HttpMethod.Delete, $"v1/api-keys/{apiKeyId}", key: apiKey), HttpStatusCode.Forbidden, "forbidden");

        // It acts for its issuer …
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/issuers/{issuerId}", key: apiKey)).Status);
        var minted = await Client.Mint(AttestApi.MintBody(issuerId, kid), key: apiKey);
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/attestations/{minted.Str("id")}", key: apiKey)).Status);
        Assert.Equal(HttpStatusCode.Created, (await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = AttestApi.NewKid() }, key: apiKey)).Status);
        // … and only for it.
        size = await Client.TreeSize();
        Http.AssertError(await Client.Get($"v1/issuers/{otherIssuer}", key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(otherIssuer, otherKid), key: apiKey, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/issuers/keys/{otherKid}/rotate", new { new_kid = AttestApi.NewKid() }, key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        var otherMinted = await Client.Mint(AttestApi.MintBody(otherIssuer, otherKid));
        size = await Client.TreeSize();
        Http.AssertError(await Client.Get($"v1/attestations/{otherMinted.Str("id")}", key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/attestations/{otherMinted.Str("id")}/revoke", new { reason = "not mine" }, key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(size, await Client.TreeSize());

        // The X-API-Key header works as well.
        using (var viaHeader = new HttpRequestMessage(HttpMethod.Get, $"v1/issuers/{issuerId}"))
        {
            viaHeader.Headers.Add("X-API-Key", apiKey);
            Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(viaHeader)).StatusCode);
        }
    }

    [Fact]
    public async Task deleting_an_api_key_revokes_it_at_once()
    {
        var (issuerId, apiKey, apiKeyId) = await IssuerWithApiKey();
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/issuers/{issuerId}", key: apiKey)).Status);

        long size = await Client.TreeSize();
        var (status, revoked) = await Client.Send(HttpMethod.Delete, $"v1/api-keys/{apiKeyId}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(DateTimeOffset.TryParse(revoked.Str("revoked_at"), out _));
        Assert.Equal(size + 1, await Client.TreeSize());
        Http.AssertError(await Client.Get($"v1/issuers/{issuerId}", key: apiKey), HttpStatusCode.Unauthorized, "invalid_api_key");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = AttestApi.NewKid() }, key: apiKey), HttpStatusCode.Unauthorized, "invalid_api_key");

        Http.AssertError(await Client.Send(HttpMethod.Delete, $"v1/api-keys/{apiKeyId}"), HttpStatusCode.Conflict, "already_revoked");
        Http.AssertError(await Client.Send(HttpMethod.Delete, $"v1/api-keys/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Send(HttpMethod.Delete, "v1/api-keys/nope"), HttpStatusCode.BadRequest, "invalid_id");
        Assert.Equal(size + 1, await Client.TreeSize());
        var listed = (await Client.GetAll("v1/api-keys", "api_keys")).Single(k => k.Str("id") == apiKeyId);
        Assert.Equal(revoked.Str("revoked_at"), listed.Str("revoked_at"));
    }

    [Fact]
    public async Task bad_api_key_requests_are_rejected_and_create_nothing()
    {
        string issuerId = await Client.CreateIssuer();
        long size = await Client.TreeSize();
        string past = DateTimeOffset.UtcNow.AddMinutes(-1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "old", expires_at = past }), HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "bad time", expires_at = "next week" }), HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = issuerId }), HttpStatusCode.BadRequest, "missing_field");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = Guid.NewGuid().ToString(), name = "x" }), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = "nope", name = "x" }), HttpStatusCode.BadRequest, "invalid_id");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "x", scope = "all" }), HttpStatusCode.BadRequest, "unknown_field");
        Http.AssertError(await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "x" }, key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task an_api_key_stops_working_when_it_expires()
    {
        string issuerId = await Client.CreateIssuer();
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(5);
        var (status, created) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "short-lived", expires_at = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'") });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), DateTimeOffset.Parse(created.Str("expires_at")).ToUnixTimeMilliseconds());
        string apiKey = created.Str("key");
        var expires = DateTimeOffset.Parse(created.Str("expires_at"));

        // Poll (with a generous cap) until the server rejects it, which it must not do before expires_at.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var r = await Client.Get($"v1/issuers/{issuerId}", key: apiKey);
            if (r.Status != HttpStatusCode.OK)
            {
                Http.AssertError(r, HttpStatusCode.Unauthorized, "invalid_api_key");
                Assert.True(DateTimeOffset.UtcNow >= expires, "the key was rejected before it expired");
                break;
            }
            Assert.True(DateTimeOffset.UtcNow < deadline, "the expired key was never rejected");
            await Task.Delay(100);
        }
        Http.AssertError(await Client.Post("v1/attestation-packs", new { issuer_id = issuerId, name = "late" }, key: apiKey), HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task a_pack_is_a_draft_until_activated_and_counts_the_attestations_minted_with_it()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (otherIssuer, otherApiKey, _) = await IssuerWithApiKey();

        long size = await Client.TreeSize();
        var (status, pack) = await Client.Post("v1/attestation-packs", new { issuer_id = issuerId, name = "Graduation 2026", description = "all graduates" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(size + 1, await Client.TreeSize());
        string packId = pack.Str("id");
        Assert.Equal("draft", pack.Str("status"));
        Assert.Equal("Graduation 2026", pack.Str("name"));
        Assert.Equal("all graduates", pack.Str("description"));
        Assert.Equal(0, pack.GetProperty("verifications_count").GetInt64());

        var withPack = AttestApi.MintBody(issuerId, kid);
        withPack["pack_id"] = packId;
        size = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/attestations/mint", withPack, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "pack_not_active");
        Http.AssertError(await Client.Post($"v1/attestation-packs/{packId}/activate", null, key: otherApiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Get($"v1/attestation-packs/{packId}", key: otherApiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post("v1/attestation-packs", new { issuer_id = issuerId, name = "theirs" }, key: otherApiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post("v1/attestation-packs", new { issuer_id = issuerId }), HttpStatusCode.BadRequest, "missing_field");
        Http.AssertError(await Client.Post($"v1/attestation-packs/{Guid.NewGuid()}/activate", null), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(size, await Client.TreeSize());

        var (activateStatus, active) = await Client.Post($"v1/attestation-packs/{packId}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activateStatus);
        Assert.Equal("active", active.Str("status"));
        Assert.True(DateTimeOffset.TryParse(active.Str("activated_at"), out _));

        var first = await Client.Mint(withPack);
        var second = await Client.Mint(withPack);
        Assert.NotEqual(first.Str("id"), second.Str("id"));
        Assert.Equal(packId, first.Str("pack_id"));
        var fetched = (await Client.Get($"v1/attestation-packs/{packId}")).Body;
        Assert.Equal(2, fetched.GetProperty("verifications_count").GetInt64());
        Assert.Equal("active", fetched.Str("status"));

        size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/attestation-packs/{packId}/activate", null), HttpStatusCode.Conflict, "pack_not_draft");
        // A pack of another issuer cannot be used, and a failed mint does not count.
        var theirPack = (await Client.Post("v1/attestation-packs", new { issuer_id = otherIssuer, name = "theirs" }, key: otherApiKey)).Body.Str("id");
        await Client.Post($"v1/attestation-packs/{theirPack}/activate", null, key: otherApiKey);
        size = await Client.TreeSize();
        var foreign = AttestApi.MintBody(issuerId, kid);
        foreign["pack_id"] = theirPack;
        Http.AssertError(await Client.Post("v1/attestations/mint", foreign, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.BadRequest, "pack_not_of_issuer");
        var unknown = AttestApi.MintBody(issuerId, kid);
        unknown["pack_id"] = Guid.NewGuid().ToString();
        Http.AssertError(await Client.Post("v1/attestations/mint", unknown, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(2, (await Client.Get($"v1/attestation-packs/{packId}")).Body.GetProperty("verifications_count").GetInt64());
        Assert.Equal(0, (await Client.Get($"v1/attestation-packs/{theirPack}")).Body.GetProperty("verifications_count").GetInt64());
    }

    [Fact]
    public async Task the_schema_catalogue_lists_38_schemas_with_their_claim_fields()
    {
        var (status, body) = await Client.Get("v1/schemas", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        var schemas = body.GetProperty("schemas").EnumerateArray().ToList();
        Assert.Equal(38, schemas.Count);
        Assert.Equal(38, schemas.Select(s => s.Str("id")).Distinct().Count());
        foreach (var s in schemas)
        {
            Assert.False(string.IsNullOrEmpty(s.Str("id")));
            Assert.False(string.IsNullOrEmpty(s.Str("name")));
            Assert.False(string.IsNullOrEmpty(s.Str("category")));
            var fields = s.GetProperty("claim_fields").EnumerateArray().Select(f => f.GetString()).ToList();
            Assert.NotEmpty(fields);
            Assert.All(fields, f => Assert.False(string.IsNullOrEmpty(f)));
        }
        Assert.Contains(schemas, s => s.Str("id") == "custom");
        Assert.Contains(schemas, s => s.Str("id") == "attestation");

        var (degreeStatus, degree) = await Client.Get("v1/schemas/degree", key: null);
        Assert.Equal(HttpStatusCode.OK, degreeStatus);
        Assert.Equal("degree", degree.Str("id"));
        Assert.Equal("Degree", degree.Str("name"));
        Assert.Equal("Education", degree.Str("category"));
        Assert.Equal(["student_name", "institution", "degree_type", "field_of_study", "graduation_date", "honors"],
            degree.GetProperty("claim_fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(Attest.Merkle.Jcs.Canonicalize(schemas.Single(s => s.Str("id") == "degree")), Attest.Merkle.Jcs.Canonicalize(degree));

        Http.AssertError(await Client.Get("v1/schemas/diploma", key: null), HttpStatusCode.NotFound, "not_found");
    }
}
