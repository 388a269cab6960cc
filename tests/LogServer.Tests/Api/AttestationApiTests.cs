using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Api;

/// <summary>A server with two issuers, each with an active key, for the attestation tests.</summary>
public sealed class AttestationFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public string IssuerId { get; private set; } = null!;

    public string Kid { get; private set; } = null!;

    public string PublicKey { get; private set; } = null!;

    public string OtherIssuerId { get; private set; } = null!;

    public string OtherKid { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.Start();
        IssuerId = await Client.CreateIssuer("Example University");
        var key = await Client.CreateKey(IssuerId);
        Kid = key.Str("kid");
        PublicKey = key.Str("public_key");
        OtherIssuerId = await Client.CreateIssuer("Other College");
        OtherKid = (await Client.CreateKey(OtherIssuerId)).Str("kid");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>Mint, read, revoke, supersede, verify and proof bundles, against a real server.</summary>
public sealed class AttestationApiTests(AttestationFixture fixture) : IClassFixture<AttestationFixture>
{
    private HttpClient Client => fixture.Client;

    private JsonObject Body(JsonObject? claims = null, string schema = "degree") => AttestApi.MintBody(fixture.IssuerId, fixture.Kid, claims, schema);

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task a_mint_returns_the_attestation_with_its_signed_payload()
    {
        var body = Body(AttestApi.DegreeClaims("Grace"));
        long size = await Client.TreeSize();
        var (status, a) = await Client.Post("v1/attestations/mint", body, idempotencyKey: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(size + 1, await Client.TreeSize());

        Assert.True(Guid.TryParseExact(a.Str("id"), "D", out _));
        Assert.Equal(fixture.IssuerId, a.Str("issuer_id"));
        Assert.Equal(fixture.Kid, a.Str("kid"));
        Assert.Equal("VALID", a.Str("status"));
        Assert.Equal(size, a.GetProperty("log_index").GetInt64());
        Assert.True(DateTimeOffset.TryParse(a.Str("created_at"), out _));

        var payload = a.GetProperty("payload");
        Assert.Equal("attestation/v1", payload.Str("type"));
        Assert.Equal(a.Str("id"), payload.Str("id"));
        Assert.Equal(fixture.IssuerId, payload.Str("issuer_id"));
        Assert.Equal(fixture.Kid, payload.Str("kid"));
        Assert.Equal("Ed25519", payload.Str("alg"));
        Assert.Equal("degree", payload.Str("schema"));
        Assert.Equal("application/json", payload.Str("content_type"));
        Assert.Equal(a.Str("created_at"), payload.Str("created_at"));
        Assert.Equal("Ada Grace", payload.GetProperty("claims").Str("student_name"));
        Assert.Equal(6, payload.GetProperty("claims").EnumerateObject().Count());
        Assert.False(payload.TryGetProperty("document_hash", out _), "no document, no document_hash");

        string signature = a.Str("signature");
        Assert.Matches("^[A-Za-z0-9_-]+$", signature);
        Assert.Equal(64, AttestApi.FromB64Url(signature).Length);
        Assert.True(AttestApi.SignatureVerifies(fixture.PublicKey, a));

        var (getStatus, fetched) = await Client.Get($"v1/attestations/{a.Str("id")}");
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal("VALID", fetched.Str("status"));
        Assert.Equal(a.GetProperty("log_index").GetInt64(), fetched.GetProperty("log_index").GetInt64());
        Assert.Equal(signature, fetched.Str("signature"));
        Assert.Equal(Jcs.Canonicalize(payload), Jcs.Canonicalize(fetched.GetProperty("payload")));
    }

    [Fact]
    public async Task a_recipient_email_is_refused_while_the_server_sends_no_mail()
    {
        var body = Body();
        body["recipient_email"] = "grace.hopper@example.org";
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/attestations/mint", body, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.BadRequest, "mail_not_configured");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task mint_needs_an_idempotency_key()
    {
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/attestations/mint", Body()), HttpStatusCode.BadRequest, "missing_idempotency_key");
        Http.AssertError(await Client.Post("v1/attestations/mint", Body(), key: null, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Unauthorized, "missing_api_key");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task a_retry_with_the_same_idempotency_key_returns_the_same_attestation_and_appends_nothing()
    {
        string key = Guid.NewGuid().ToString();
        var body = Body(AttestApi.DegreeClaims("retry"));
        var first = await Client.Mint(body, idempotencyKey: key);
        long size = await Client.TreeSize();

        var again = await Client.Mint(body, idempotencyKey: key);
        Assert.Equal(first.Str("id"), again.Str("id"));
        Assert.Equal(first.GetProperty("log_index").GetInt64(), again.GetProperty("log_index").GetInt64());
        Assert.Equal(first.Str("signature"), again.Str("signature"));
        // The same request spelled differently (order, whitespace) is the same request.
        var reordered = new JsonObject(body.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var third = await Client.Mint(reordered, idempotencyKey: key);
        Assert.Equal(first.Str("id"), third.Str("id"));
        Assert.Equal(size, await Client.TreeSize());

        Http.AssertError(await Client.Post("v1/attestations/mint", Body(AttestApi.DegreeClaims("another")), idempotencyKey: key), HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(size, await Client.TreeSize());

        // Keys are per caller: the same key from another caller is another request.
        var otherKey = await Client.Mint(body, idempotencyKey: Guid.NewGuid().ToString());
        Assert.NotEqual(first.Str("id"), otherKey.Str("id"));
    }

    [Fact]
    public async Task concurrent_mints_with_one_idempotency_key_make_one_attestation()
    {
        string key = Guid.NewGuid().ToString();
        var body = Body(AttestApi.DegreeClaims("race"));
        long size = await Client.TreeSize();
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Client.Post("v1/attestations/mint", body, idempotencyKey: key)));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Single(results.Select(r => r.Body.Str("id")).Distinct());
        Assert.Equal(size + 1, await Client.TreeSize());
    }

    public static TheoryData<string, int, string, string?> BadMints => new()
    {
        { "malformed json", 400, "invalid_json", null },
        { "an array", 400, "invalid_json", null },
        { "unknown field", 400, "unknown_field", "colour" },
        { "unknown schema", 400, "unknown_schema", "diploma" },
        { "missing claim", 400, "missing_claim", "honors" },
        { "empty claim", 400, "invalid_claim", "honors" },
        { "number claim", 400, "invalid_claim", "honors" },
        { "unknown claim", 400, "unknown_claim", "shoe_size" },
        { "claims not an object", 400, "invalid_field", "claims" },
        { "missing claims", 400, "invalid_field", "claims" },
        { "bad alg", 400, "unsupported_alg", null },
        { "missing alg", 400, "missing_field", "alg" },
        { "short document_hash", 400, "invalid_document_hash", null },
        { "non-hex document_hash", 400, "invalid_document_hash", null },
        { "bad claims.document.sha256", 400, "invalid_claim", null },
        { "bad content_type", 400, "unsupported_content_type", null },
        { "padded payload", 400, "invalid_payload", null },
        { "base64 (not url) payload", 400, "invalid_payload", null },
        { "payload of impossible length", 400, "invalid_payload", null },
        { "bad recipient_email", 400, "invalid_email", null },
        { "malformed issuer_id", 400, "invalid_id", null },
        { "malformed pack_id", 400, "invalid_id", null },
        { "unknown issuer", 404, "not_found", null },
        { "unknown kid", 404, "not_found", null },
        { "kid of another issuer", 400, "kid_not_of_issuer", null },
        { "unknown pack", 404, "not_found", null },
    };

    private object BadMint(string name)
    {
        var b = Body(AttestApi.DegreeClaims("bad"));
        var claims = b["claims"]!.AsObject();
        switch (name)
        {
            case "malformed json": return "{\"issuer_id\": \"" + fixture.IssuerId + "\", ";
            case "an array": return "[]";
            case "unknown field": b["colour"] = "blue"; break;
            case "unknown schema": b["schema"] = "diploma"; break;
            case "missing claim": claims.Remove("honors"); break;
            case "empty claim": claims["honors"] = ""; break;
            case "number claim": claims["honors"] = 3; break;
            case "unknown claim": claims["shoe_size"] = "42"; break;
            case "claims not an object": b["claims"] = "Ada"; break;
            case "missing claims": b.Remove("claims"); break;
            case "bad alg": b["alg"] = "ES256"; break;
            case "missing alg": b.Remove("alg"); break;
            case "short document_hash": b["document_hash"] = "abc123"; break;
            case "non-hex document_hash": b["document_hash"] = new string('g', 64); break;
            case "bad claims.document.sha256": claims["document"] = new JsonObject { ["sha256"] = "xyz" }; break;
            case "bad content_type": b["content_type"] = "text/html"; break;
            case "padded payload": b["payload"] = "aGk="; break;
            case "base64 (not url) payload": b["payload"] = "+/+/"; break;
            case "payload of impossible length": b["payload"] = "abcde"; break;
            case "bad recipient_email": b["recipient_email"] = "not an e-mail address"; break;
            case "malformed issuer_id": b["issuer_id"] = "university"; break;
            case "malformed pack_id": b["pack_id"] = "pack-1"; break;
            case "unknown issuer": b["issuer_id"] = Guid.NewGuid().ToString(); break;
            case "unknown kid": b["kid"] = AttestApi.NewKid(); break;
            case "kid of another issuer": b["kid"] = fixture.OtherKid; break;
            case "unknown pack": b["pack_id"] = Guid.NewGuid().ToString(); break;
            default: throw new ArgumentException(name);
        }
        return b;
    }

    [Theory]
    [MemberData(nameof(BadMints))]
    public async Task a_bad_mint_gets_its_error_code_and_appends_nothing(string name, int status, string code, string? mentions)
    {
        long size = await Client.TreeSize();
        var r = await Client.Post("v1/attestations/mint", BadMint(name), idempotencyKey: Guid.NewGuid().ToString());
        Http.AssertError(r, (HttpStatusCode)status, code);
        if (mentions is not null) Assert.Contains(mentions, r.Body.Str("message"));
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task a_failed_mint_is_not_remembered_by_its_idempotency_key()
    {
        string key = Guid.NewGuid().ToString();
        var bad = Body(AttestApi.DegreeClaims("fix me"));
        bad["alg"] = "RS256";
        Http.AssertError(await Client.Post("v1/attestations/mint", bad, idempotencyKey: key), HttpStatusCode.BadRequest, "unsupported_alg");
        var good = await Client.Mint(Body(AttestApi.DegreeClaims("fixed")), idempotencyKey: key);
        Assert.Equal("VALID", good.Str("status"));
    }

    [Theory]
    [InlineData("custom", "subject", "type", "details")]
    [InlineData("attestation", "subject", "claim", "evidence")]
    public async Task custom_and_attestation_schemas_accept_extra_claim_fields(string schema, string f1, string f2, string f3)
    {
        var claims = new JsonObject { [f1] = "Ada", [f2] = "x", [f3] = "y", ["favourite_colour"] = "green", ["lucky_number"] = "7" };
        var a = await Client.Mint(Body(claims, schema));
        Assert.Equal("green", a.GetProperty("payload").GetProperty("claims").Str("favourite_colour"));
        Assert.True(AttestApi.SignatureVerifies(fixture.PublicKey, a));
        // The listed fields are still required.
        claims.Remove(f3);
        var r = await Client.Post("v1/attestations/mint", Body(claims, schema), idempotencyKey: Guid.NewGuid().ToString());
        Http.AssertError(r, HttpStatusCode.BadRequest, "missing_claim");
        Assert.Contains(f3, r.Body.Str("message"));
    }

    [Fact]
    public async Task document_hash_is_the_explicit_one_else_claims_document_sha256_else_the_payload_hash()
    {
        byte[] file = Encoding.UTF8.GetBytes("the PDF " + Guid.NewGuid());
        string fileHash = Sha256Hex(file);
        string claimed = Sha256Hex(Encoding.UTF8.GetBytes("claimed " + Guid.NewGuid()));
        string explicitHash = Sha256Hex(Encoding.UTF8.GetBytes("explicit " + Guid.NewGuid()));

        var all = Body(AttestApi.DegreeClaims("doc"));
        all["claims"]!["document"] = new JsonObject { ["sha256"] = claimed };
        all["payload"] = AttestApi.B64Url(file);
        all["content_type"] = "application/pdf";
        all["document_hash"] = explicitHash.ToUpperInvariant();
        var a = await Client.Mint(all);
        Assert.Equal(explicitHash, a.GetProperty("payload").Str("document_hash"));
        Assert.Equal(explicitHash, a.Str("document_hash"));
        Assert.Equal("application/pdf", a.GetProperty("payload").Str("content_type"));

        var claimsAndPayload = Body(AttestApi.DegreeClaims("doc"));
        claimsAndPayload["claims"]!["document"] = new JsonObject { ["sha256"] = claimed.ToUpperInvariant() };
        claimsAndPayload["payload"] = AttestApi.B64Url(file);
        var b = await Client.Mint(claimsAndPayload);
        Assert.Equal(claimed, b.GetProperty("payload").Str("document_hash"));
        Assert.Equal(claimed, b.GetProperty("payload").GetProperty("claims").GetProperty("document").Str("sha256").ToLowerInvariant());

        var payloadOnly = Body(AttestApi.DegreeClaims("doc"));
        payloadOnly["payload"] = AttestApi.B64Url(file);
        var c = await Client.Mint(payloadOnly);
        Assert.Equal(fileHash, c.GetProperty("payload").Str("document_hash"));
        Assert.All(new[] { a, b, c }, x => Assert.True(AttestApi.SignatureVerifies(fixture.PublicKey, x)));
        // The uploaded file is kept outside the payload.
        Assert.DoesNotContain(AttestApi.B64Url(file), c.GetProperty("payload").GetRawText());
    }

    [Fact]
    public async Task a_payload_over_50_mb_encoded_gets_413_and_appends_nothing()
    {
        long size = await Client.TreeSize();
        var sb = new StringBuilder(50_000_200);
        sb.Append("{\"issuer_id\":\"").Append(fixture.IssuerId).Append("\",\"kid\":\"").Append(fixture.Kid)
            .Append("\",\"alg\":\"Ed25519\",\"schema\":\"degree\",\"claims\":").Append(AttestApi.DegreeClaims("huge").ToJsonString())
            .Append(",\"payload\":\"").Append('A', 50_000_001).Append("\"}");
        Http.AssertError(await Client.Post("v1/attestations/mint", sb.ToString(), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal(size, await Client.TreeSize());
        // Other endpoints keep the ordinary body limit.
        Http.AssertError(await Client.Post("v1/issuers", "{\"name\":\"" + new string('x', 2 << 20) + "\"}"), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task getting_an_unknown_attestation_is_404()
    {
        Http.AssertError(await Client.Get($"v1/attestations/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Get("v1/attestations/abc"), HttpStatusCode.BadRequest, "invalid_id");
        Http.AssertError(await Client.Get($"v1/attestations/{Guid.NewGuid()}/proof-bundle", key: null), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post($"v1/attestations/{Guid.NewGuid()}/revoke", new { reason = "x" }), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task revocation_is_logged_once_and_irreversible()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("revoke me")));
        string id = a.Str("id");
        long size = await Client.TreeSize();
        var (status, revoked) = await Client.Post($"v1/attestations/{id}/revoke", new { reason = "issued in error" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(size + 1, await Client.TreeSize());
        Assert.Equal("REVOKED", revoked.Str("status"));
        Assert.Equal(id, revoked.Str("id"));
        Assert.True(DateTimeOffset.TryParse(revoked.Str("revoked_at"), out _));
        Assert.Equal(size, revoked.GetProperty("revocation_log_index").GetInt64());

        var fetched = (await Client.Get($"v1/attestations/{id}")).Body;
        Assert.Equal("REVOKED", fetched.Str("status"));
        Assert.Equal(revoked.Str("revoked_at"), fetched.Str("revoked_at"));

        Http.AssertError(await Client.Post($"v1/attestations/{id}/revoke", new { reason = "again" }), HttpStatusCode.Conflict, "already_revoked");
        Http.AssertError(await Client.Post($"v1/attestations/{id}/revoke", new { }), HttpStatusCode.Conflict, "already_revoked");
        Assert.Equal(size + 1, await Client.TreeSize());

        var v = await Client.Verify(new { attestation_id = id });
        Assert.Equal("REVOKED", v.Str("verdict"));
        Assert.Contains("revoked", v.Reasons());
        Assert.Contains("signature_ok", v.Reasons());
        Assert.Equal(revoked.Str("revoked_at"), v.Str("revoked_at"));
    }

    [Fact]
    public async Task superseding_makes_a_new_attestation_and_the_old_one_superseded()
    {
        var old = await Client.Mint(Body(AttestApi.DegreeClaims("first edition")));
        string oldId = old.Str("id");
        var replacement = Body(AttestApi.DegreeClaims("second edition"));
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/attestations/{oldId}/supersede", replacement), HttpStatusCode.BadRequest, "missing_idempotency_key");
        Assert.Equal(size, await Client.TreeSize());

        string key = Guid.NewGuid().ToString();
        var (status, next) = await Client.Post($"v1/attestations/{oldId}/supersede", replacement, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(size + 1, await Client.TreeSize());
        Assert.NotEqual(oldId, next.Str("id"));
        Assert.Equal("VALID", next.Str("status"));
        Assert.Equal(oldId, next.GetProperty("payload").Str("supersedes"));
        Assert.Equal(oldId, next.Str("supersedes"));
        Assert.Equal("Ada second edition", next.GetProperty("payload").GetProperty("claims").Str("student_name"));
        Assert.True(AttestApi.SignatureVerifies(fixture.PublicKey, next));

        var oldNow = (await Client.Get($"v1/attestations/{oldId}")).Body;
        Assert.Equal("SUPERSEDED", oldNow.Str("status"));
        Assert.Equal(next.Str("id"), oldNow.Str("superseded_by_attestation_id"));

        // An idempotent retry returns the same new attestation.
        var (retryStatus, retry) = await Client.Post($"v1/attestations/{oldId}/supersede", replacement, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, retryStatus);
        Assert.Equal(next.Str("id"), retry.Str("id"));
        Assert.Equal(size + 1, await Client.TreeSize());

        // Only a VALID attestation can be superseded.
        Http.AssertError(await Client.Post($"v1/attestations/{oldId}/supersede", Body(AttestApi.DegreeClaims("third")), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "not_valid");
        var revoked = await Client.Mint(Body(AttestApi.DegreeClaims("revoked")));
        await Client.Post($"v1/attestations/{revoked.Str("id")}/revoke", new { reason = "x" });
        size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/attestations/{revoked.Str("id")}/supersede", Body(AttestApi.DegreeClaims("third")), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "not_valid");
        Http.AssertError(await Client.Post($"v1/attestations/{Guid.NewGuid()}/supersede", Body(), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post($"v1/attestations/{next.Str("id")}/supersede", AttestApi.MintBody(fixture.OtherIssuerId, fixture.OtherKid), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.BadRequest, "issuer_mismatch");
        var badClaims = Body(AttestApi.DegreeClaims("bad"));
        badClaims["claims"]!.AsObject().Remove("institution");
        Http.AssertError(await Client.Post($"v1/attestations/{next.Str("id")}/supersede", badClaims, idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.BadRequest, "missing_claim");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal("VALID", (await Client.Get($"v1/attestations/{next.Str("id")}")).Body.Str("status"));

        await Client.CheckpointCovering(size);
        var v = await Client.Verify(new { attestation_id = oldId });
        Assert.Equal("SUPERSEDED", v.Str("verdict"));
        Assert.Equal(next.Str("id"), v.Str("superseded_by_attestation_id"));
    }

    [Fact]
    public async Task an_idempotency_key_used_to_supersede_one_attestation_does_not_silently_answer_for_another()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("A")));
        var b = await Client.Mint(Body(AttestApi.DegreeClaims("B")));
        string key = Guid.NewGuid().ToString();
        var replacement = Body(AttestApi.DegreeClaims("replacement"));
        var (status, first) = await Client.Post($"v1/attestations/{a.Str("id")}/supersede", replacement, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, status);
        long size = await Client.TreeSize();

        // The same key and body on another attestation is another request: it must not answer with A's replacement
        // (which supersedes A, not B) while B stays VALID.
        var (againStatus, again) = await Client.Post($"v1/attestations/{b.Str("id")}/supersede", replacement, idempotencyKey: key);
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal("VALID", (await Client.Get($"v1/attestations/{b.Str("id")}")).Body.Str("status"));
        Assert.False(againStatus == HttpStatusCode.Created && again.Str("id") == first.Str("id"),
            $"superseding B answered 201 with A's replacement {first.Str("id")}, which does not supersede B");
        Http.AssertError((againStatus, again), HttpStatusCode.Conflict, "idempotency_key_reused");

        // Likewise a mint with a key used for a supersession.
        var (mintStatus, mint) = await Client.Post("v1/attestations/mint", replacement, idempotencyKey: key);
        Http.AssertError((mintStatus, mint), HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task a_retry_of_a_successful_mint_returns_it_even_after_its_key_was_rotated()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        string key = Guid.NewGuid().ToString();
        var body = AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("retried late"));
        var first = await Client.Mint(body, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, (await Client.Post($"v1/issuers/keys/{kid}/rotate", new { new_kid = AttestApi.NewKid() })).Status);
        long size = await Client.TreeSize();

        // The client never saw the first answer (say it timed out) and retries: the mint succeeded, so the retry
        // must say so, not 409 key_not_active (which would make the client believe it failed and mint again).
        var (status, retry) = await Client.Post("v1/attestations/mint", body, idempotencyKey: key);
        Assert.True(status == HttpStatusCode.Created, $"the retry answered {status}: {retry.GetRawText()}");
        Assert.Equal(first.Str("id"), retry.Str("id"));
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task verify_by_attestation_id_checks_signature_log_and_transparency_proof()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("verify by id")));
        long index = a.GetProperty("log_index").GetInt64();
        var (cp, _) = await Client.CheckpointCovering(index + 1);
        var (status, v) = await Client.Post("v1/verify", new { attestation_id = a.Str("id") }, key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("VALID", v.Str("verdict"));
        Assert.Contains("signature_ok", v.Reasons());
        Assert.Contains("payload_matches_log", v.Reasons());
        Assert.Contains("transparency_proof_ok", v.Reasons());
        Assert.Equal(index, v.GetProperty("log_index").GetInt64());
        Assert.Equal(a.Str("id"), v.Str("attestation_id"));
        var checkpoint = v.GetProperty("checkpoint");
        Assert.Equal(cp.Origin, checkpoint.Str("origin"));
        Assert.True(checkpoint.GetProperty("size").GetInt64() > index);

        var (unknownStatus, unknown) = await Client.Post("v1/verify", new { attestation_id = Guid.NewGuid().ToString() }, key: null);
        Assert.Equal(HttpStatusCode.OK, unknownStatus);
        Assert.Equal("UNKNOWN", unknown.Str("verdict"));
        Assert.Contains("not_in_log", unknown.Reasons());

        Http.AssertError(await Client.Post("v1/verify", new { attestation_id = "nope" }, key: null), HttpStatusCode.BadRequest, "invalid_id");
        Http.AssertError(await Client.Post("v1/verify", new { attestation_id = a.Str("id"), document_hash = new string('a', 64) }, key: null), HttpStatusCode.BadRequest, "missing_content");
        Http.AssertError(await Client.Post("v1/verify", new { attestation_id = a.Str("id"), document = "a+b=" }, key: null), HttpStatusCode.BadRequest, "invalid_document");
    }

    [Fact]
    public async Task verify_by_presented_payload_and_signature_detects_a_tampered_claim()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("presented")));
        await Client.CheckpointCovering(a.GetProperty("log_index").GetInt64() + 1);
        var v = await Client.Verify(new { attestation = new { payload = a.GetProperty("payload"), signature = a.Str("signature") } });
        Assert.Equal("VALID", v.Str("verdict"));
        Assert.Contains("signature_ok", v.Reasons());
        Assert.Contains("payload_matches_log", v.Reasons());

        var tampered = JsonNode.Parse(a.GetProperty("payload").GetRawText())!.AsObject();
        tampered["claims"]!["honors"] = "summa cum laude";
        var t = await Client.Verify(new { attestation = new JsonObject { ["payload"] = tampered, ["signature"] = a.Str("signature") } });
        Assert.Equal("ALTERED", t.Str("verdict"));
        Assert.Contains("signature_invalid", t.Reasons());
        Assert.Contains("payload_not_in_log", t.Reasons());

        // A valid signature of another attestation does not fit this payload.
        var other = await Client.Mint(Body(AttestApi.DegreeClaims("other")));
        var swapped = await Client.Verify(new { attestation = new { payload = a.GetProperty("payload"), signature = other.Str("signature") } });
        Assert.Equal("ALTERED", swapped.Str("verdict"));
        Assert.Contains("signature_invalid", swapped.Reasons());

        Http.AssertError(await Client.Post("v1/verify", new { attestation = new { payload = "x" } }, key: null), HttpStatusCode.BadRequest, "invalid_field");
    }

    [Fact]
    public async Task verify_by_document_hash_compares_the_presented_document()
    {
        byte[] document = Encoding.UTF8.GetBytes("transcript " + Guid.NewGuid());
        var body = Body(AttestApi.DegreeClaims("document"));
        body["payload"] = AttestApi.B64Url(document);
        body["content_type"] = "application/octet-stream";
        var a = await Client.Mint(body);
        await Client.CheckpointCovering(a.GetProperty("log_index").GetInt64() + 1);
        string hash = Sha256Hex(document);

        var v = await Client.Verify(new { document_hash = hash.ToUpperInvariant() });
        Assert.Equal("VALID", v.Str("verdict"));
        Assert.Equal(a.Str("id"), v.Str("attestation_id"));

        var same = await Client.Verify(new { document_hash = hash, document = AttestApi.B64Url(document) });
        Assert.Equal("VALID", same.Str("verdict"));
        Assert.Contains("document_hash_match", same.Reasons());

        var different = await Client.Verify(new { document_hash = hash, document = AttestApi.B64Url(Encoding.UTF8.GetBytes("forged transcript")) });
        Assert.Equal("ALTERED", different.Str("verdict"));
        Assert.Contains("document_hash_mismatch", different.Reasons());

        var byId = await Client.Verify(new { attestation_id = a.Str("id"), document = AttestApi.B64Url(Encoding.UTF8.GetBytes("forged transcript")) });
        Assert.Equal("ALTERED", byId.Str("verdict"));
        Assert.Contains("document_hash_mismatch", byId.Reasons());

        var unknown = await Client.Verify(new { document_hash = Sha256Hex(Encoding.UTF8.GetBytes("never attested " + Guid.NewGuid())) });
        Assert.Equal("UNKNOWN", unknown.Str("verdict"));
        Http.AssertError(await Client.Post("v1/verify", new { document_hash = "abc" }, key: null), HttpStatusCode.BadRequest, "invalid_document_hash");
    }

    [Fact]
    public async Task verify_by_bundle_checks_the_bundles_own_proof()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("bundled")));
        var (status, bundle) = await Client.Get($"v1/attestations/{a.Str("id")}/proof-bundle", key: ServerProcess.AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);

        var v = await Client.Verify(new { bundle });
        Assert.Equal("VALID", v.Str("verdict"));
        Assert.Contains("bundle_proof_ok", v.Reasons());
        Assert.Contains("signature_ok", v.Reasons());

        var tampered = JsonNode.Parse(bundle.GetRawText())!.AsObject();
        string entry = tampered["log_entry"]!["entry"]!.GetValue<string>();
        Assert.Contains("\"schema\":\"degree\"", entry);
        tampered["log_entry"]!["entry"] = entry.Replace("\"schema\":\"degree\"", "\"schema\":\"passport\"");
        var t = await Client.Verify(new JsonObject { ["bundle"] = tampered });
        Assert.NotEqual("VALID", t.Str("verdict"));
        Assert.Contains("bundle_proof_invalid", t.Reasons());

        Http.AssertError(await Client.Post("v1/verify", new { bundle = new { format = "something else" } }, key: null), HttpStatusCode.BadRequest, "invalid_bundle");
    }

    /// <summary>Verifies a bundle entry's tlog-proof against the given log key, with no server.</summary>
    private static Checkpoint AssertEntryProof(JsonElement entryProof, NoteVerifier logKey, string origin)
    {
        string entry = entryProof.Str("entry");
        Assert.True(TlogProof.TryParse(entryProof.Str("tlog_proof"), out var proof));
        Assert.Equal(entryProof.GetProperty("index").GetInt64(), proof!.Index);
        var note = Note.Open(Encoding.UTF8.GetBytes(proof.SignedCheckpoint), [logKey]);
        Assert.True(Checkpoint.TryParse(note.Text, out var cp));
        Assert.Equal(origin, cp!.Origin);
        Assert.True(proof.Index < cp.Size);
        Assert.True(InclusionProof.Verify(proof.Index, cp.Size, Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(entry)), [.. proof.Proof], cp.Root),
            $"inclusion proof of entry {proof.Index} does not verify");
        // An entry is JCS JSON.
        using var doc = JsonDocument.Parse(entry);
        Assert.Equal(entry, Encoding.UTF8.GetString(Jcs.Canonicalize(doc.RootElement)));
        return cp;
    }

    private static void AssertSame(Checkpoint expected, Checkpoint actual)
    {
        Assert.Equal(expected.Origin, actual.Origin);
        Assert.Equal(expected.Size, actual.Size);
        Assert.Equal(expected.Root, actual.Root);
    }

    [Fact]
    public async Task a_proof_bundle_verifies_offline_with_the_merkle_library_alone()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("offline")));
        var logKey = await Client.LogVerifier();
        var (status, bundle) = await Client.Get($"v1/attestations/{a.Str("id")}/proof-bundle", key: ServerProcess.AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        // From here on, no server calls: everything comes from the bundle and the log key fetched before it.

        Assert.Equal("attest-proof-bundle/v1", bundle.Str("format"));
        Assert.Equal("VALID", bundle.Str("status"));
        var payload = bundle.GetProperty("attestation").GetProperty("payload");
        string signature = bundle.GetProperty("attestation").Str("signature");
        var issuerKey = bundle.GetProperty("issuer_key");
        Assert.Equal(payload.Str("kid"), issuerKey.Str("kid"));
        Assert.Equal("Ed25519", issuerKey.Str("alg"));
        byte[] jcs = Jcs.Canonicalize(payload);
        Assert.True(Ed25519.Verify(AttestApi.FromB64Url(issuerKey.Str("public_key")), jcs, AttestApi.FromB64Url(signature)), "payload signature");

        var logEntry = bundle.GetProperty("log_entry");
        Assert.Equal(a.GetProperty("log_index").GetInt64(), logEntry.GetProperty("index").GetInt64());
        using (var entry = JsonDocument.Parse(logEntry.Str("entry")))
        {
            var e = entry.RootElement;
            Assert.Equal("attestation/v1", e.Str("type"));
            Assert.Equal(payload.Str("id"), e.Str("id"));
            Assert.Equal(payload.Str("kid"), e.Str("kid"));
            Assert.Equal(Sha256Hex(jcs), e.Str("payload_sha256"));
            Assert.Equal(signature, e.Str("signature"));
            Assert.False(e.TryGetProperty("claims", out _));
        }

        var bundleLog = bundle.GetProperty("log");
        Assert.Equal(logKey.Name, bundleLog.Str("origin"));
        Assert.True(NoteVerifier.TryParse(bundleLog.Str("verifier_key"), out var bundleKey));
        Assert.Equal(logKey.KeyId, bundleKey!.KeyId);
        var cp = AssertEntryProof(logEntry, bundleKey, bundleLog.Str("origin"));
        // The bundle's own checkpoint is the one the proofs lead to.
        var top = Note.Open(Encoding.UTF8.GetBytes(bundleLog.Str("checkpoint")), [logKey]);
        Assert.True(Checkpoint.TryParse(top.Text, out var topCp));
        AssertSame(cp, topCp!);

        // The issuer key's own log entries prove the key was registered with this public key.
        var keyEntries = issuerKey.GetProperty("log_entries").EnumerateArray().ToList();
        Assert.NotEmpty(keyEntries);
        foreach (var ke in keyEntries)
        {
            AssertSame(cp, AssertEntryProof(ke, logKey, logKey.Name));
            using var k = JsonDocument.Parse(ke.Str("entry"));
            Assert.Equal("key/v1", k.RootElement.Str("type"));
            Assert.Equal(issuerKey.Str("kid"), k.RootElement.Str("kid"));
            Assert.Equal(issuerKey.Str("public_key"), k.RootElement.Str("public_key"));
        }
        Assert.Equal(JsonValueKind.Null, bundle.GetProperty("revocation").ValueKind);
        Assert.Equal(JsonValueKind.Null, bundle.GetProperty("superseded_by").ValueKind);

        // A tampered entry does not verify.
        string forged = logEntry.Str("entry").Replace("\"schema\":\"degree\"", "\"schema\":\"passport\"");
        Assert.True(TlogProof.TryParse(logEntry.Str("tlog_proof"), out var p));
        Assert.False(InclusionProof.Verify(p!.Index, cp.Size, Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(forged)), [.. p.Proof], cp.Root));
    }

    [Fact]
    public async Task a_revoked_attestations_bundle_carries_the_revocation_entry_with_a_verifying_proof()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("bundle revoked")));
        var (_, revoked) = await Client.Post($"v1/attestations/{a.Str("id")}/revoke", new { reason = "withdrawn" });
        var logKey = await Client.LogVerifier();
        var (status, bundle) = await Client.Get($"v1/attestations/{a.Str("id")}/proof-bundle", key: ServerProcess.AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("REVOKED", bundle.Str("status"));

        var revocation = bundle.GetProperty("revocation");
        Assert.Equal(revoked.GetProperty("revocation_log_index").GetInt64(), revocation.GetProperty("index").GetInt64());
        var cp = AssertEntryProof(revocation, logKey, logKey.Name);
        AssertSame(cp, AssertEntryProof(bundle.GetProperty("log_entry"), logKey, logKey.Name));
        using var e = JsonDocument.Parse(revocation.Str("entry"));
        Assert.Equal("revocation/v1", e.RootElement.Str("type"));
        Assert.Equal(a.Str("id"), e.RootElement.Str("attestation_id"));
        Assert.Equal(fixture.IssuerId, e.RootElement.Str("issuer_id"));
        Assert.DoesNotContain("withdrawn", revocation.Str("entry"));

        var v = await Client.Verify(new { bundle });
        Assert.Equal("REVOKED", v.Str("verdict"));
        Assert.Contains("bundle_proof_ok", v.Reasons());
    }

    [Fact]
    public async Task a_superseded_attestations_bundle_carries_the_superseding_entry()
    {
        var a = await Client.Mint(Body(AttestApi.DegreeClaims("bundle superseded")));
        var (_, next) = await Client.Post($"v1/attestations/{a.Str("id")}/supersede", Body(AttestApi.DegreeClaims("bundle superseding")), idempotencyKey: Guid.NewGuid().ToString());
        var logKey = await Client.LogVerifier();
        var bundle = (await Client.Get($"v1/attestations/{a.Str("id")}/proof-bundle", key: ServerProcess.AdminKey)).Body;
        Assert.Equal("SUPERSEDED", bundle.Str("status"));
        var by = bundle.GetProperty("superseded_by");
        Assert.Equal(next.GetProperty("log_index").GetInt64(), by.GetProperty("index").GetInt64());
        AssertEntryProof(by, logKey, logKey.Name);
        using var e = JsonDocument.Parse(by.Str("entry"));
        Assert.Equal(next.Str("id"), e.RootElement.Str("id"));
        Assert.Equal(a.Str("id"), e.RootElement.Str("supersedes"));
    }
}
