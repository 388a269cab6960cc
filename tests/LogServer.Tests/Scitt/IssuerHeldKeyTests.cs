using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>Issuer-held keys: a public JWK (ES256 or EdDSA) registered, logged, listed, rotated and compromised; nothing private taken.</summary>
public sealed class IssuerHeldKeyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task an_es256_public_jwk_is_registered_logged_with_its_uncompressed_point_and_listed_with_its_jwk()
    {
        string issuerId = await Client.CreateIssuer();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = Jwks.Es256(ec);
        string kid = AttestApi.NewKid();
        long before = await Client.TreeSize();
        var (status, key) = await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = kid, ["alg"] = "ES256", ["jwk"] = jwk });
        Assert.True(status == HttpStatusCode.Created, key.GetRawText());
        Assert.Equal("ES256", key.Str("alg"));
        Assert.Equal("active", key.Str("status"));
        var p = ec.ExportParameters(false);
        Assert.Equal([0x04, .. p.Q.X!, .. p.Q.Y!], AttestApi.FromB64Url(key.Str("public_key")));
        Assert.Equal(jwk["x"]!.GetValue<string>(), key.GetProperty("jwk").Str("x"));
        Assert.Equal(jwk["y"]!.GetValue<string>(), key.GetProperty("jwk").Str("y"));
        Assert.Equal("EC", key.GetProperty("jwk").Str("kty"));
        Assert.Equal(before + 1, await Client.TreeSize());

        // The key/v1 entry carries the alg and the public key, and nothing that could be private.
        var entry = (await ScittLog.Entries(Client)).Select(e => JsonDocument.Parse(e).RootElement).Last(e => e.Str("type") == "key/v1" && e.Str("kid") == kid);
        Assert.Equal("ES256", entry.Str("alg"));
        Assert.Equal(key.Str("public_key"), entry.Str("public_key"));

        var listed = Assert.Single((await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray());
        Assert.Equal("ES256", listed.Str("alg"));
        Assert.Equal(jwk["x"]!.GetValue<string>(), listed.GetProperty("jwk").Str("x"));
        var published = (await Client.GetAll(".well-known/attest-keys.json", "keys", key: null)).Single(k => k.Str("kid") == kid);
        Assert.Equal("ES256", published.Str("alg"));
        Assert.Equal("P-256", published.GetProperty("jwk").Str("crv"));

        // A server-held key shows its JWK too.
        var server = await Client.CreateKey(issuerId);
        Assert.Equal("OKP", server.GetProperty("jwk").Str("kty"));
        Assert.Equal(server.Str("public_key"), server.GetProperty("jwk").Str("x"));
    }

    [Fact]
    public async Task an_eddsa_public_jwk_is_registered_and_the_server_refuses_to_mint_with_an_issuer_held_key()
    {
        string issuerId = await Client.CreateIssuer();
        using var ed = Ed25519PrivateKey.Generate();
        string kid = AttestApi.NewKid();
        var (status, key) = await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = kid, ["alg"] = "EdDSA", ["jwk"] = Jwks.Ed25519(ed.PublicKey) });
        Assert.True(status == HttpStatusCode.Created, key.GetRawText());
        Assert.Equal("EdDSA", key.Str("alg"));
        Assert.Equal(ed.PublicKey.ToArray(), AttestApi.FromB64Url(key.Str("public_key")));

        long before = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), idempotencyKey: Guid.NewGuid().ToString()),
            HttpStatusCode.Conflict, "key_held_by_issuer");
        Assert.Equal(before, await Client.TreeSize());
    }

    [Fact]
    public async Task bad_jwks_are_refused_with_their_codes_and_log_nothing()
    {
        string issuerId = await Client.CreateIssuer();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ed = Ed25519PrivateKey.Generate();
        string taken = (await Client.CreateKey(issuerId)).Str("kid");
        long before = await Client.TreeSize();

        async Task Refused(string alg, JsonNode? jwk, string code, string? kid = null) =>
            Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = kid ?? AttestApi.NewKid(), ["alg"] = alg, ["jwk"] = jwk }),
                HttpStatusCode.BadRequest, code);

        // The private key, in any form, is never taken.
        var withD = Jwks.Es256(ec);
        withD["d"] = Base64Url(ec.ExportParameters(true).D!);
        await Refused("ES256", withD, "jwk_private_key");
        var okpWithD = Jwks.Ed25519(ed.PublicKey);
        okpWithD["d"] = Base64Url(new byte[32]);
        await Refused("EdDSA", okpWithD, "jwk_private_key");
        await Refused("ES256", With(Jwks.Es256(ec), "k", "c2VjcmV0"), "jwk_private_key");
        await Refused("ES256", With(Jwks.Es256(ec), "x5c", "AAAA"), "invalid_jwk");

        // The curve and key type are the alg's.
        await Refused("ES256", Jwks.Ed25519(ed.PublicKey), "jwk_alg_mismatch");
        await Refused("EdDSA", Jwks.Es256(ec), "jwk_alg_mismatch");
        await Refused("ES256", With(Jwks.Es256(ec), "crv", "P-384"), "jwk_alg_mismatch");
        await Refused("ES256", With(Jwks.Es256(ec), "alg", "ES384"), "jwk_alg_mismatch");
        await Refused("ES256", With(Jwks.Es256(ec), "use", "enc"), "jwk_alg_mismatch");
        await Refused("ES384", Jwks.Es256(ec), "unsupported_alg");
        await Refused("Ed25519", Jwks.Ed25519(ed.PublicKey), "unsupported_alg");

        // Coordinates of the wrong size or encoding.
        var p = ec.ExportParameters(false);
        await Refused("ES256", With(Jwks.Es256(ec), "x", Base64Url(p.Q.X![1..])), "invalid_jwk");
        await Refused("ES256", With(Jwks.Es256(ec), "y", Base64Url([0, .. p.Q.Y!])), "invalid_jwk");
        await Refused("ES256", With(Jwks.Es256(ec), "x", Convert.ToBase64String(p.Q.X!)), "invalid_jwk");
        await Refused("EdDSA", With(Jwks.Ed25519(ed.PublicKey), "x", Base64Url(ed.PublicKey[..31].ToArray())), "invalid_jwk");
        await Refused("ES256", With(Jwks.Es256(ec), "x", 7), "invalid_jwk");
        await Refused("ES256", "not an object", "invalid_field");

        // Points that are not keys: off the curve, the identity and other small-order Ed25519 points.
        var y = p.Q.Y!.ToArray();
        y[^1] ^= 1;
        await Refused("ES256", With(Jwks.Es256(ec), "y", Base64Url(y)), "invalid_public_key");
        await Refused("ES256", With(With(Jwks.Es256(ec), "x", Base64Url(new byte[32])), "y", Base64Url(new byte[32])), "invalid_public_key");
        await Refused("ES256", With(Jwks.Es256(ec), "x", Base64Url(Convert.FromHexString("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"))), "invalid_public_key");
        byte[] identity = new byte[32];
        identity[0] = 1;
        await Refused("EdDSA", With(Jwks.Ed25519(ed.PublicKey), "x", Base64Url(identity)), "invalid_public_key");
        await Refused("EdDSA", With(Jwks.Ed25519(ed.PublicKey), "x", Base64Url(new byte[32])), "invalid_public_key");

        // alg and jwk come together; the kid is still unique across the log.
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = AttestApi.NewKid(), ["alg"] = "ES256" }), HttpStatusCode.BadRequest, "missing_field");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = AttestApi.NewKid(), ["jwk"] = Jwks.Es256(ec) }), HttpStatusCode.BadRequest, "missing_field");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = taken, ["alg"] = "ES256", ["jwk"] = Jwks.Es256(ec) }), HttpStatusCode.Conflict, "kid_exists");
        Http.AssertError(await Client.Post($"v1/issuers/{issuerId}/keys", "{\"kid\":\"k1\",\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"kty\":\"EC\"}}"), HttpStatusCode.BadRequest, "invalid_json");
        Assert.Equal(before, await Client.TreeSize());
    }

    [Fact]
    public async Task an_issuer_held_key_rotates_to_another_issuer_held_key_and_can_be_compromised()
    {
        string issuerId = await Client.CreateIssuer();
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = Ed25519PrivateKey.Generate();
        string kid = AttestApi.NewKid(), newKid = AttestApi.NewKid();
        Assert.Equal(HttpStatusCode.Created, (await Client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = kid, ["alg"] = "ES256", ["jwk"] = Jwks.Es256(first) })).Status);

        var (status, rotated) = await Client.Post($"v1/issuers/keys/{kid}/rotate", new JsonObject { ["new_kid"] = newKid, ["alg"] = "EdDSA", ["jwk"] = Jwks.Ed25519(second.PublicKey) });
        Assert.True(status == HttpStatusCode.Created, rotated.GetRawText());
        Assert.Equal("EdDSA", rotated.Str("alg"));
        var keys = (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray().ToDictionary(k => k.Str("kid"));
        Assert.Equal("rotated", keys[kid].Str("status"));
        Assert.Equal(newKid, keys[kid].Str("replaced_by"));
        Assert.Equal("ES256", keys[kid].Str("alg"));

        var (compromised, result) = await Client.Post($"v1/issuers/keys/{newKid}/compromise", new { });
        Assert.True(compromised == HttpStatusCode.OK, result.GetRawText());
        var entry = (await ScittLog.Entries(Client)).Select(e => JsonDocument.Parse(e).RootElement).Last(e => e.Str("type") == "key/v1" && e.Str("kid") == newKid);
        Assert.Equal("compromised", entry.Str("event"));
        Assert.Equal("EdDSA", entry.Str("alg"));
        Assert.Equal("compromised", (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray().Single(k => k.Str("kid") == newKid).Str("status"));
    }

    private static JsonObject With(JsonObject jwk, string name, JsonNode? value)
    {
        jwk[name] = value;
        return jwk;
    }

    private static string Base64Url(byte[] bytes) => AttestApi.B64Url(bytes);
}

/// <summary>The gRPC twin: <c>Issuers/CreateKey</c> takes the same alg and the JWK's JSON text, and refuses what REST refuses.</summary>
public sealed class IssuerHeldKeyGrpcTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task grpc_create_key_registers_an_issuer_held_key_from_its_jwk_text_and_refuses_a_private_one()
    {
        string issuerId = await fixture.Client.CreateIssuer();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string kid = AttestApi.NewKid();
        var (status, message, reply) = await RawGrpc.CallWithReply(fixture.Server, "/attest.v1.Issuers/CreateKey",
            new V1.CreateKeyRequest { IssuerId = issuerId, Kid = kid, Alg = "ES256", Jwk = Jwks.Es256(ec).ToJsonString() });
        Assert.True(status == 0, message);
        var key = V1.IssuerKey.Parser.ParseFrom(reply);
        Assert.Equal("ES256", key.Alg);
        Assert.Equal("EC", key.Jwk.Fields["kty"].StringValue);
        Assert.Equal(65, AttestApi.FromB64Url(key.PublicKey).Length);

        long before = await fixture.Client.TreeSize();
        var withD = Jwks.Es256(ec);
        withD["d"] = AttestApi.B64Url(ec.ExportParameters(true).D!);
        var (refused, refusal, _) = await RawGrpc.CallWithReply(fixture.Server, "/attest.v1.Issuers/CreateKey",
            new V1.CreateKeyRequest { IssuerId = issuerId, Kid = AttestApi.NewKid(), Alg = "ES256", Jwk = withD.ToJsonString() });
        Assert.Equal(3, refused); // INVALID_ARGUMENT
        Assert.StartsWith("jwk_private_key", refusal);
        var (malformed, text, _) = await RawGrpc.CallWithReply(fixture.Server, "/attest.v1.Issuers/CreateKey",
            new V1.CreateKeyRequest { IssuerId = issuerId, Kid = AttestApi.NewKid(), Alg = "ES256", Jwk = "{not json" });
        Assert.Equal(3, malformed);
        Assert.StartsWith("invalid_jwk", text);
        Assert.Equal(before, await fixture.Client.TreeSize());
    }
}
