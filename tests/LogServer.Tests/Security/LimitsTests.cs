using System.Net;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests.Security;

/// <summary>A server with default limits and two issuers, each with an active key, and one attestation to revoke or supersede.</summary>
public sealed class LimitsFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public string IssuerId { get; private set; } = null!;

    public string Kid { get; private set; } = null!;

    public string OtherIssuerId { get; private set; } = null!;

    public string OtherKid { get; private set; } = null!;

    public string AttestationId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Storage__MinFreeBytes"] = "0" });
        IssuerId = await Client.CreateIssuer("Limits University");
        Kid = (await Client.CreateKey(IssuerId)).Str("kid");
        OtherIssuerId = await Client.CreateIssuer("Bystander College");
        OtherKid = (await Client.CreateKey(OtherIssuerId)).Str("kid");
        AttestationId = (await Client.Mint(AttestApi.MintBody(IssuerId, Kid))).Str("id");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>Issue 18, attack 2: one request with an oversized field must not stop the log for everyone; every field of every write has a cap.</summary>
public sealed class LimitsTests(LimitsFixture fixture) : IClassFixture<LimitsFixture>
{
    private HttpClient Client => fixture.Client;

    /// <summary>
    /// 900 K characters that JSON escapes (<c>\u0001</c>): 6 bytes each in the signed payload, 7 in the record that
    /// holds that payload as a string, so the record is over the entry log's 4 MB page.
    /// </summary>
    internal static readonly string HugeClaim = new('\u0001', 900 * 1024);

    [Fact]
    public async Task a_mint_with_a_900_kb_claim_is_refused_and_the_next_mint_of_another_issuer_succeeds()
    {
        long size = await Client.TreeSize();
        var claims = AttestApi.DegreeClaims();
        claims["honors"] = HugeClaim;
        var refused = await Client.Post("v1/attestations/mint", AttestApi.MintBody(fixture.IssuerId, fixture.Kid, claims), idempotencyKey: Guid.NewGuid().ToString());
        Http.AssertError(refused, HttpStatusCode.BadRequest, "field_too_long");
        Assert.Contains("Attest:Limits:MaxClaimValueLength", refused.Body.Str("message"));
        Assert.Equal(size, await Client.TreeSize());

        // The bystander: another issuer's mint, and a stamp, still go through; the server stays ready.
        await Client.Mint(AttestApi.MintBody(fixture.OtherIssuerId, fixture.OtherKid));
        await Client.Stamp("after the attack " + Guid.NewGuid());
        var (ready, body) = await Client.Get("readyz", key: null);
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal("ready", body.Str("status"));
        Assert.Equal(size + 2, await Client.TreeSize());
    }

    public static TheoryData<string, string, string, string?, HttpStatusCode, string, string> OverCap => new()
    {
        // description, method path (with {issuer} {kid} {attestation}), body, idempotency key, status, error code, setting
        { "65 claims", "v1/attestations/mint", Mint("custom", Enumerable.Range(0, 62).Select(i => ($"extra_{i}", "v"))), "key", HttpStatusCode.BadRequest, "too_many_claims", "MaxClaims" },
        { "a claim name of 65 characters", "v1/attestations/mint", Mint("custom", [(new string('n', 65), "v")]), "key", HttpStatusCode.BadRequest, "field_too_long", "MaxClaimNameLength" },
        { "a claim value of 4097 characters", "v1/attestations/mint", Mint("custom", [("details", new string('v', 4097))]), "key", HttpStatusCode.BadRequest, "field_too_long", "MaxClaimValueLength" },
        { "a document claim of 5 KB", "v1/attestations/mint", Mint("degree", [], new JsonObject { ["sha256"] = new string('a', 64), ["note"] = new string('d', 5000) }), "key", HttpStatusCode.BadRequest, "field_too_long", "MaxClaimValueLength" },
        { "claims of 40 KB", "v1/attestations/mint", Mint("custom", Enumerable.Range(0, 10).Select(i => ($"extra_{i}", new string('c', 4000)))), "key", HttpStatusCode.RequestEntityTooLarge, "claims_too_large", "MaxClaimsBytes" },
        { "a kid of 65 characters in a mint", "v1/attestations/mint", Mint("degree", [], kid: new string('k', 65)), "key", HttpStatusCode.BadRequest, "field_too_long", "MaxKidLength" },
        { "an idempotency key of 256 characters", "v1/attestations/mint", Mint("degree", []), new string('i', 256), HttpStatusCode.BadRequest, "field_too_long", "MaxIdempotencyKeyLength" },
        { "a supersession with a claim value of 4097 characters", "v1/attestations/{attestation}/supersede", Mint("custom", [("details", new string('v', 4097))]), "key", HttpStatusCode.BadRequest, "field_too_long", "MaxClaimValueLength" },
        { "a revocation reason of 501 characters", "v1/attestations/{attestation}/revoke", Json(new JsonObject { ["reason"] = new string('r', 501) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxReasonLength" },
        { "6 tags", "v1/stamps", Json(new JsonObject { ["content"] = "c", ["tags"] = new JsonArray("1", "2", "3", "4", "5", "6") }), null, HttpStatusCode.BadRequest, "too_many_tags", "MaxTags" },
        { "a tag of 51 characters", "v1/stamps", Json(new JsonObject { ["content"] = "c", ["tags"] = new JsonArray(new string('t', 51)) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxTagLength" },
        { "a title of 201 characters", "v1/stamps", Json(new JsonObject { ["content"] = "c", ["display_title"] = new string('t', 201) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxTitleLength" },
        { "content of 100,001 characters", "v1/stamps", Json(new JsonObject { ["content"] = new string('c', 100_001) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxContentLength" },
        { "a stamp's idempotency key of 256 characters", "v1/stamps", Json(new JsonObject { ["content"] = "c" }), new string('i', 256), HttpStatusCode.BadRequest, "field_too_long", "MaxIdempotencyKeyLength" },
        { "an issuer name of 201 characters", "v1/issuers", Json(new JsonObject { ["name"] = new string('n', 201) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxNameLength" },
        { "an API key name of 201 characters", "v1/api-keys", Json(new JsonObject { ["issuer_id"] = "{issuer}", ["name"] = new string('n', 201) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxNameLength" },
        { "a pack name of 201 characters", "v1/attestation-packs", Json(new JsonObject { ["issuer_id"] = "{issuer}", ["name"] = new string('n', 201) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxNameLength" },
        { "a pack description of 2001 characters", "v1/attestation-packs", Json(new JsonObject { ["issuer_id"] = "{issuer}", ["name"] = "p", ["description"] = new string('d', 2001) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxDescriptionLength" },
        { "a new key's kid of 65 characters", "v1/issuers/{issuer}/keys", Json(new JsonObject { ["kid"] = new string('k', 65) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxKidLength" },
        { "a rotation's new kid of 65 characters", "v1/issuers/keys/{kid}/rotate", Json(new JsonObject { ["new_kid"] = new string('k', 65) }), null, HttpStatusCode.BadRequest, "field_too_long", "MaxKidLength" },
    };

    [Theory]
    [MemberData(nameof(OverCap))]
    public async Task every_field_over_its_cap_is_refused_naming_the_setting_and_changes_nothing(
        string description, string path, string body, string? idempotencyKey, HttpStatusCode status, string code, string setting)
    {
        long size = await Client.TreeSize();
        path = path.Replace("{issuer}", fixture.IssuerId).Replace("{kid}", fixture.Kid).Replace("{attestation}", fixture.AttestationId);
        body = body.Replace("{issuer}", fixture.IssuerId).Replace("{kid}", fixture.Kid);
        var response = await Client.Post(path, body, idempotencyKey: idempotencyKey == "key" ? Guid.NewGuid().ToString() : idempotencyKey);
        Http.AssertError(response, status, code);
        Assert.True(response.Body.Str("message").Contains($"Attest:Limits:{setting}"), $"{description}: {response.Body.Str("message")}");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal("VALID", (await Client.Get($"v1/attestations/{fixture.AttestationId}")).Body.Str("status"));
    }

    [Fact]
    public async Task fields_at_their_caps_are_accepted()
    {
        var claims = new JsonObject { ["subject"] = "s", ["type"] = "t", ["details"] = new string('v', 4096), [new string('n', 64)] = "v" };
        for (int i = 0; i < 60; i++) claims[$"extra_{i}"] = "e";
        await Client.Mint(AttestApi.MintBody(fixture.IssuerId, fixture.Kid, claims, "custom"), idempotencyKey: new string('i', 255));
        var (status, stamp) = await Client.Post("v1/stamps", new { content = "c", display_title = new string('t', 200), tags = Enumerable.Repeat(new string('g', 50), 5) });
        Assert.True(status == HttpStatusCode.Created, stamp.GetRawText());
    }

    [Fact]
    public async Task grpc_writes_go_through_the_same_caps()
    {
        long size = await Client.TreeSize();
        var claims = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(
            new JsonObject { ["subject"] = "s", ["type"] = "t", ["details"] = new string('v', 900 * 1024) }.ToJsonString());
        var mint = new V1.MintRequest { IssuerId = fixture.IssuerId, Kid = fixture.Kid, Alg = "Ed25519", Schema = "custom", Claims = claims };
        var (status, message) = await RawGrpc.Call(fixture.Server, "/attest.v1.Attestations/Mint", mint, ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.Equal(3, status); // INVALID_ARGUMENT
        Assert.StartsWith("field_too_long:", message);
        Assert.Contains("Attest:Limits:MaxClaimValueLength", message);

        (status, message) = await RawGrpc.Call(fixture.Server, "/attest.v1.Attestations/Revoke", new V1.RevokeRequest { Id = fixture.AttestationId, Reason = new string('r', 501) });
        Assert.Equal(3, status);
        Assert.StartsWith("field_too_long:", message);
        (status, message) = await RawGrpc.Call(fixture.Server, "/attest.v1.Issuers/CreateIssuer", new V1.CreateIssuerRequest { Name = new string('n', 201) });
        Assert.Equal(3, status);
        Assert.Contains("Attest:Limits:MaxNameLength", message);
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal("VALID", (await Client.Get($"v1/attestations/{fixture.AttestationId}")).Body.Str("status"));
    }

    private static string Json(JsonObject o) => o.ToJsonString();

    private static string Mint(string schema, IEnumerable<(string Name, string Value)> extra, JsonObject? document = null, string kid = "{kid}")
    {
        var claims = schema == "custom" ? new JsonObject { ["subject"] = "s", ["type"] = "t", ["details"] = "d" } : AttestApi.DegreeClaims();
        foreach (var (name, value) in extra) claims[name] = value;
        if (document is not null) claims["document"] = document;
        return AttestApi.MintBody("{issuer}", kid, claims, schema).ToJsonString();
    }
}

/// <summary>The record cap, behind field caps raised so far that a 900 KB claim passes them.</summary>
public sealed class RecordCapTests
{
    [Fact]
    public async Task a_record_cap_over_half_the_entry_log_page_stops_the_server_at_start_naming_the_setting()
    {
        string dataDir = ServerProcess.NewDataDir();
        try
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(dataDir, new Dictionary<string, string> { ["Attest__Limits__MaxRecordBytes"] = "3000000" }));
            Assert.Contains("exited with 2", e.Message);
            Assert.Contains("Attest:Limits:MaxRecordBytes", e.Message);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_record_over_the_record_cap_is_refused_before_it_is_queued_and_the_log_goes_on()
    {
        var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Limits__MaxClaimValueLength"] = "4000000",
            ["Attest__Limits__MaxClaimsBytes"] = "10000000",
            ["Attest__Storage__MinFreeBytes"] = "0",
        });
        try
        {
            var client = server.Client;
            string issuer = await client.CreateIssuer("Big Claims Inc"), other = await client.CreateIssuer("Bystander");
            string kid = (await client.CreateKey(issuer)).Str("kid"), otherKid = (await client.CreateKey(other)).Str("kid");
            long size = await client.TreeSize();
            var claims = AttestApi.DegreeClaims();
            claims["honors"] = LimitsTests.HugeClaim;
            var refused = await client.Post("v1/attestations/mint", AttestApi.MintBody(issuer, kid, claims), idempotencyKey: Guid.NewGuid().ToString());
            Http.AssertError(refused, HttpStatusCode.RequestEntityTooLarge, "record_too_large");
            Assert.Contains("Attest:Limits:MaxRecordBytes", refused.Body.Str("message"));
            Assert.Equal(size, await client.TreeSize());

            await client.Mint(AttestApi.MintBody(other, otherKid));
            await client.Stamp("still writing " + Guid.NewGuid());
            Assert.Equal(HttpStatusCode.OK, (await client.Get("readyz", key: null)).Status);
            Assert.Equal(size + 2, await client.TreeSize());
            Assert.DoesNotContain("fail:", server.Output);
        }
        finally
        {
            // Stopped first: a running server still writes (checkpoint files) while the directory is being deleted.
            await server.DisposeAsync();
            Directory.Delete(server.DataDir, recursive: true);
        }
    }
}
