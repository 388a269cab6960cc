using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.V1;
using Attest.Verification;
using ProofBundle = Attest.Verification.ProofBundle;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Security;

/// <summary>A server with two issuers, each with a key and an API key: the holder, the issuer and a stranger.</summary>
public sealed class PrivacyFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public string IssuerId { get; private set; } = null!;

    public string Kid { get; private set; } = null!;

    public string ApiKey { get; private set; } = null!;

    public string OtherIssuerId { get; private set; } = null!;

    public string OtherApiKey { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The log levels the server ships with (appsettings.json), so the output scanned for tokens is what an operator keeps.
        Server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Information", ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        });
        IssuerId = await Client.CreateIssuer("Holder University");
        Kid = (await Client.CreateKey(IssuerId)).Str("kid");
        ApiKey = (await Client.Post("v1/api-keys", new { issuer_id = IssuerId, name = "registrar" })).Body.Str("key");
        OtherIssuerId = await Client.CreateIssuer("Stranger College");
        await Client.CreateKey(OtherIssuerId);
        OtherApiKey = (await Client.Post("v1/api-keys", new { issuer_id = OtherIssuerId, name = "stranger" })).Body.Str("key");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>
/// Who may read what (docs/SECURITY.md): claims, payloads, salts, revocation reasons and a stamp's title, tags and
/// private content reach only the issuer's API keys, the admin and the attestation's holder token; anyone else gets
/// the public part (status and log proofs) or a refusal, over REST and gRPC alike. Each test performs the attack.
/// </summary>
public sealed class PrivacyTests(PrivacyFixture fixture) : IClassFixture<PrivacyFixture>
{
    private const string HolderTokenPattern = "^attest_holder_[A-Za-z0-9_-]{43}$";

    private HttpClient Client => fixture.Client;

    private async Task<(JsonElement Attestation, string Tag)> MintSecret(string? key = null)
    {
        string tag = "secret" + Guid.NewGuid().ToString("N")[..16];
        var a = await Client.Mint(AttestApi.MintBody(fixture.IssuerId, fixture.Kid, AttestApi.DegreeClaims(tag)), key: key ?? fixture.ApiKey);
        return (a, tag);
    }

    /// <summary>A GET with an optional API key and an optional <c>X-Holder-Token</c>; the body as text and JSON.</summary>
    private async Task<(HttpStatusCode Status, string Text, JsonElement Body)> Read(string path, string? key = null, string? holderToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (holderToken is not null) request.Headers.Add("X-Holder-Token", holderToken);
        using var response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertPublicBundle((HttpStatusCode Status, string Text, JsonElement Body) r, JsonElement minted, params string[] secrets)
    {
        Assert.True(r.Status == HttpStatusCode.OK, r.Text);
        Assert.Equal("attest-proof-bundle/v1", r.Body.Str("format"));
        Assert.Equal("public", r.Body.Str("access"));
        Assert.Equal(JsonValueKind.Null, r.Body.GetProperty("attestation").ValueKind);
        Assert.Equal(minted.GetProperty("log_index").GetInt64(), r.Body.GetProperty("log_entry").GetProperty("index").GetInt64());
        Assert.False(string.IsNullOrEmpty(r.Body.GetProperty("log_entry").Str("tlog_proof")));
        string[] withheld = ["\"claims\"", "\"salt\"", "\"payload\"", minted.GetProperty("payload").Str("salt"), .. secrets];
        foreach (string s in withheld) Assert.DoesNotContain(s, r.Text);
    }

    private static void AssertFullBundle((HttpStatusCode Status, string Text, JsonElement Body) r, JsonElement minted, string tag)
    {
        Assert.True(r.Status == HttpStatusCode.OK, r.Text);
        Assert.Equal("full", r.Body.Str("access"));
        var payload = r.Body.GetProperty("attestation").GetProperty("payload");
        Assert.Equal("Ada " + tag, payload.GetProperty("claims").Str("student_name"));
        Assert.Equal(minted.GetProperty("payload").Str("salt"), payload.Str("salt"));
        Assert.Equal(minted.Str("signature"), r.Body.GetProperty("attestation").Str("signature"));
    }

    [Fact]
    public async Task a_script_reading_attestation_ids_from_the_entry_tiles_gets_no_claims_payload_or_salt_from_any_proof_bundle()
    {
        var minted = new List<(JsonElement A, string Tag)>();
        for (int i = 0; i < 3; i++) minted.Add(await MintSecret());
        string reason = "reason" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/attestations/{minted[0].A.Str("id")}/revoke", new { reason }, key: fixture.ApiKey)).Status);

        // The attacker: every attestation id in the public log, then each one's proof bundle, with no key.
        long size = await Client.TreeSize();
        var (cp, _) = await Client.CheckpointCovering(size);
        var entries = new List<byte[]>();
        foreach (var tile in Tile.NewTiles(0, cp.Size).Where(t => t.Level == 0))
        {
            var bundleTile = new Tile(Tile.EntriesLevel, tile.N, tile.Width);
            Assert.True(EntryBundle.TryParse(await Client.GetByteArrayAsync(bundleTile.Path), tile.Width, entries));
        }
        var ids = new List<string>();
        foreach (var e in entries)
        {
            using var doc = JsonDocument.Parse(e);
            if (doc.RootElement.Str("type") == "attestation/v1") ids.Add(doc.RootElement.Str("id"));
        }
        foreach (var (a, _) in minted) Assert.Contains(a.Str("id"), ids);

        var harvested = new StringBuilder();
        foreach (string id in ids)
        {
            var r = await Read($"v1/attestations/{id}/proof-bundle");
            Assert.True(r.Status == HttpStatusCode.OK, r.Text);
            Assert.Equal("public", r.Body.Str("access"));
            harvested.Append(r.Text);
        }
        foreach (var (a, tag) in minted) AssertPublicBundle(await Read($"v1/attestations/{a.Str("id")}/proof-bundle"), a, tag, reason);
        string all = harvested.ToString();
        foreach (var (a, tag) in minted)
        {
            Assert.DoesNotContain(tag, all);
            Assert.DoesNotContain(a.GetProperty("payload").Str("salt"), all);
        }
        Assert.DoesNotContain(reason, all);
        Assert.DoesNotContain("\"claims\"", all);
        // The revocation is public (its entry, with proof); its reason is not.
        var revoked = await Read($"v1/attestations/{minted[0].A.Str("id")}/proof-bundle");
        Assert.Equal("REVOKED", revoked.Body.Str("status"));
        Assert.Equal(JsonValueKind.Object, revoked.Body.GetProperty("revocation").ValueKind);

        // The public answers of /v1/verify carry no claims or reasons either.
        var (_, verified) = await Client.Post("v1/verify", new { attestation_id = minted[0].A.Str("id") }, key: null);
        Assert.DoesNotContain(minted[0].Tag, verified.GetRawText());
        Assert.DoesNotContain(reason, verified.GetRawText());

        // A public bundle cannot pass for a holder's bundle: the offline parser and POST /v1/verify refuse it clearly.
        var error = Assert.Throws<BundleFormatException>(() => ProofBundle.Parse(Encoding.UTF8.GetBytes(revoked.Text)));
        Assert.Contains("a public bundle has no payload", error.Message);
        var refused = await Client.Post("v1/verify", $"{{\"bundle\": {revoked.Text}}}", key: null);
        Http.AssertError(refused, HttpStatusCode.BadRequest, "invalid_bundle");
        Assert.Contains("a public bundle has no payload", refused.Body.Str("message"));
    }

    [Fact]
    public async Task another_issuers_api_key_or_a_wrong_holder_token_gets_only_the_public_bundle_and_a_refusal_of_the_attestation()
    {
        var (a, tag) = await MintSecret();
        string id = a.Str("id");
        string wrongToken = "attest_holder_" + AttestApi.B64Url(RandomNumberGenerator.GetBytes(32));

        AssertPublicBundle(await Read($"v1/attestations/{id}/proof-bundle", key: fixture.OtherApiKey), a, tag);
        AssertPublicBundle(await Read($"v1/attestations/{id}/proof-bundle", holderToken: wrongToken), a, tag);
        AssertPublicBundle(await Read($"v1/attestations/{id}/proof-bundle?holder_token={wrongToken}"), a, tag);
        AssertPublicBundle(await Read($"v1/attestations/{id}/proof-bundle", key: fixture.OtherApiKey, holderToken: wrongToken), a, tag);

        var stranger = await Read($"v1/attestations/{id}", key: fixture.OtherApiKey);
        Assert.Equal(HttpStatusCode.Forbidden, stranger.Status);
        Assert.Equal("forbidden", stranger.Body.Str("error"));
        Assert.DoesNotContain(tag, stranger.Text);
        var wrong = await Read($"v1/attestations/{id}", holderToken: wrongToken);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.Status);
        Assert.Equal("forbidden", wrong.Body.Str("error"));
        var nobody = await Read($"v1/attestations/{id}");
        Assert.Equal(HttpStatusCode.Unauthorized, nobody.Status);
        Assert.DoesNotContain(tag, nobody.Text);
        // Another attestation's token opens only its own.
        var (other, _) = await MintSecret();
        Assert.Equal(HttpStatusCode.Forbidden, (await Read($"v1/attestations/{id}", holderToken: other.Str("holder_token"))).Status);
        AssertPublicBundle(await Read($"v1/attestations/{id}/proof-bundle", holderToken: other.Str("holder_token")), a, tag);
    }

    [Fact]
    public async Task the_holder_token_in_a_header_or_the_query_unlocks_the_full_bundle_which_the_offline_verifier_verifies()
    {
        string idempotencyKey = Guid.NewGuid().ToString();
        string tag = "holder" + Guid.NewGuid().ToString("N")[..12];
        var body = AttestApi.MintBody(fixture.IssuerId, fixture.Kid, AttestApi.DegreeClaims(tag));
        var a = await Client.Mint(body, key: fixture.ApiKey, idempotencyKey: idempotencyKey);
        string token = a.Str("holder_token");
        Assert.Matches(HolderTokenPattern, token);
        string id = a.Str("id");

        var byHeader = await Read($"v1/attestations/{id}/proof-bundle", holderToken: token);
        AssertFullBundle(byHeader, a, tag);
        AssertFullBundle(await Read($"v1/attestations/{id}/proof-bundle?holder_token={token}"), a, tag);
        // A stranger's key does not spoil the holder's own token.
        AssertFullBundle(await Read($"v1/attestations/{id}/proof-bundle", key: fixture.OtherApiKey, holderToken: token), a, tag);

        var bundle = ProofBundle.Parse(Encoding.UTF8.GetBytes(byHeader.Text));
        var report = BundleVerifier.Verify(bundle, TrustPolicy.OfLogKey(await Client.LogVerifier()), null);
        Assert.True(report.Ok, string.Join("; ", report.Checks.Select(c => $"{c.Name} {c.Outcome} {c.Detail}")));
        Assert.Equal("VALID", report.Verdict);

        var view = await Read($"v1/attestations/{id}?holder_token={token}");
        Assert.True(view.Status == HttpStatusCode.OK, view.Text);
        Assert.Equal("Ada " + tag, view.Body.GetProperty("payload").GetProperty("claims").Str("student_name"));
        Assert.Equal(HttpStatusCode.OK, (await Read($"v1/attestations/{id}", holderToken: token)).Status);
        // Shown once: a read never shows it again, nor does a retry of the mint (only the token's hash is kept).
        Assert.Equal(JsonValueKind.Null, view.Body.GetProperty("holder_token").ValueKind);
        var replay = await Client.Mint(body, key: fixture.ApiKey, idempotencyKey: idempotencyKey);
        Assert.Equal(id, replay.Str("id"));
        Assert.Equal(JsonValueKind.Null, replay.GetProperty("holder_token").ValueKind);

        // A superseding attestation has its own token; the old token still opens the old (now superseded) bundle.
        var (status, superseding) = await Client.Post($"v1/attestations/{id}/supersede",
            AttestApi.MintBody(fixture.IssuerId, fixture.Kid, AttestApi.DegreeClaims(tag + "b")), fixture.ApiKey, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Matches(HolderTokenPattern, superseding.Str("holder_token"));
        Assert.NotEqual(token, superseding.Str("holder_token"));
        AssertFullBundle(await Read($"v1/attestations/{superseding.Str("id")}/proof-bundle", holderToken: superseding.Str("holder_token")), superseding, tag + "b");
        Assert.Equal("public", (await Read($"v1/attestations/{superseding.Str("id")}/proof-bundle", holderToken: token)).Body.Str("access"));
        var old = await Read($"v1/attestations/{id}/proof-bundle", holderToken: token);
        Assert.Equal("full", old.Body.Str("access"));
        Assert.Equal("SUPERSEDED", old.Body.Str("status"));
    }

    [Fact]
    public async Task the_issuers_own_api_key_and_the_admin_key_get_the_full_bundle_and_the_revocation_reason()
    {
        var (a, tag) = await MintSecret();
        string id = a.Str("id");
        AssertFullBundle(await Read($"v1/attestations/{id}/proof-bundle", key: fixture.ApiKey), a, tag);
        AssertFullBundle(await Read($"v1/attestations/{id}/proof-bundle", key: ServerProcess.AdminKey), a, tag);

        string reason = "reason" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/attestations/{id}/revoke", new { reason }, key: fixture.ApiKey)).Status);
        Assert.Equal(reason, (await Read($"v1/attestations/{id}", key: fixture.ApiKey)).Body.Str("revocation_reason"));
        Assert.Equal(reason, (await Read($"v1/attestations/{id}", key: ServerProcess.AdminKey)).Body.Str("revocation_reason"));
        Assert.Equal(reason, (await Read($"v1/attestations/{id}", holderToken: a.Str("holder_token"))).Body.Str("revocation_reason"));
        Assert.DoesNotContain(reason, (await Read($"v1/attestations/{id}/proof-bundle")).Text);
    }

    // ---- gRPC: the same rule ----

    private async Task<(int Status, string Message, byte[] Reply)> Grpc(string method, IMessage request, string? key = null, string? holderToken = null)
    {
        (string, string)[] headers = holderToken is null
            ? [("idempotency-key", Guid.NewGuid().ToString())]
            : [("idempotency-key", Guid.NewGuid().ToString()), ("x-holder-token", holderToken)];
        var (status, message, reply) = await RawGrpc.CallAs(fixture.Server, key, method, request, headers);
        return (status, message ?? "", reply);
    }

    [Fact]
    public async Task grpc_get_and_get_proof_bundle_follow_the_same_rule_as_rest()
    {
        string tag = "grpc" + Guid.NewGuid().ToString("N")[..12];
        var mint = new V1.MintRequest { IssuerId = fixture.IssuerId, Kid = fixture.Kid, Alg = "Ed25519", Schema = "degree" };
        mint.Claims = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(AttestApi.DegreeClaims(tag).ToJsonString());
        var minted = await Grpc("/attest.v1.Attestations/Mint", mint, key: fixture.ApiKey);
        Assert.True(minted.Status == 0, minted.Message);
        var a = Attestation.Parser.ParseFrom(minted.Reply);
        Assert.Matches(HolderTokenPattern, a.HolderToken);

        var get = new GetAttestationRequest { Id = a.Id };
        Assert.Equal(16, (await Grpc("/attest.v1.Attestations/Get", get)).Status); // UNAUTHENTICATED
        var stranger = await Grpc("/attest.v1.Attestations/Get", get, key: fixture.OtherApiKey);
        Assert.Equal(7, stranger.Status); // PERMISSION_DENIED
        Assert.Equal(7, (await Grpc("/attest.v1.Attestations/Get", get, holderToken: "attest_holder_wrong")).Status);
        foreach (var (key, token) in new[] { (fixture.ApiKey, null), (ServerProcess.AdminKey, null), ((string?)null, a.HolderToken) })
        {
            var got = await Grpc("/attest.v1.Attestations/Get", get, key: key, holderToken: token);
            Assert.True(got.Status == 0, got.Message);
            var view = Attestation.Parser.ParseFrom(got.Reply);
            Assert.Equal("Ada " + tag, view.Payload.Fields["claims"].StructValue.Fields["student_name"].StringValue);
            Assert.Equal("", view.HolderToken);
        }

        var request = new GetProofBundleRequest { Id = a.Id };
        foreach (var (key, token) in new[] { ((string?)null, (string?)null), (fixture.OtherApiKey, null), (null, "attest_holder_wrong") })
        {
            var r = await Grpc("/attest.v1.Attestations/GetProofBundle", request, key: key, holderToken: token);
            Assert.True(r.Status == 0, r.Message);
            string json = ProofBundleJson(r.Reply);
            Assert.DoesNotContain(tag, json);
            Assert.DoesNotContain("\"claims\"", json);
            var bundle = JsonDocument.Parse(json).RootElement;
            Assert.Equal("public", bundle.Str("access"));
            Assert.Equal(JsonValueKind.Null, bundle.GetProperty("attestation").ValueKind);
        }
        foreach (var (key, token) in new[] { (fixture.ApiKey, (string?)null), (ServerProcess.AdminKey, null), (null, a.HolderToken) })
        {
            var r = await Grpc("/attest.v1.Attestations/GetProofBundle", request, key: key, holderToken: token);
            Assert.True(r.Status == 0, r.Message);
            var bundle = JsonDocument.Parse(ProofBundleJson(r.Reply)).RootElement;
            Assert.Equal("full", bundle.Str("access"));
            Assert.Equal("Ada " + tag, bundle.GetProperty("attestation").GetProperty("payload").GetProperty("claims").Str("student_name"));
        }
    }

    private static string ProofBundleJson(byte[] reply) =>
        Google.Protobuf.JsonFormatter.Default.Format(V1.ProofBundle.Parser.ParseFrom(reply).Bundle);

    [Fact]
    public async Task the_holder_token_appears_in_no_file_of_the_data_directory_nor_in_the_server_output()
    {
        var tokens = new List<string>();
        for (int i = 0; i < 3; i++) tokens.Add((await MintSecret()).Attestation.Str("holder_token"));
        var (a, _) = await MintSecret();
        tokens.Add(a.Str("holder_token"));
        // Presented in both ways, so a request log would have seen it.
        Assert.Equal("full", (await Read($"v1/attestations/{a.Str("id")}/proof-bundle", holderToken: tokens[^1])).Body.Str("access"));
        Assert.Equal("full", (await Read($"v1/attestations/{a.Str("id")}/proof-bundle?holder_token={tokens[^1]}")).Body.Str("access"));
        await Client.CheckpointCovering(await Client.TreeSize());

        var needles = tokens.SelectMany(t => new[] { t, t["attest_holder_".Length..] }).Select(Encoding.UTF8.GetBytes).ToList();
        // FASTER holds its files locked (.NET's FileShare lock); cp(1) takes no such lock, so scan a copy.
        string copy = Path.Combine(Path.GetTempPath(), "attest-privacy-scan-" + Guid.NewGuid().ToString("N"));
        using (var cp = System.Diagnostics.Process.Start("cp", ["-r", fixture.Server.DataDir, copy])) await cp.WaitForExitAsync();
        try
        {
            var files = Directory.GetFiles(copy, "*", SearchOption.AllDirectories);
            Assert.True(files.Length > 0, "the data directory has no files");
            foreach (string path in files)
            {
                byte[] bytes = File.ReadAllBytes(path);
                foreach (var needle in needles) Assert.False(bytes.AsSpan().IndexOf(needle) >= 0, $"a holder token appears in {path}");
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
        foreach (string token in tokens) Assert.DoesNotContain(token["attest_holder_".Length..], fixture.Server.Output);
    }

    // ---- stamps ----

    [Fact]
    public async Task another_issuers_api_key_sees_no_title_tags_or_private_content_of_a_stamp()
    {
        string tag = Guid.NewGuid().ToString("N")[..12];
        var (s1, hashOnly) = await Client.Post("v1/stamps", new { content = "private " + tag, display_title = "title " + tag, tags = new[] { "tag" + tag } }, key: fixture.ApiKey);
        Assert.Equal(HttpStatusCode.Created, s1);
        var (s2, open) = await Client.Post("v1/stamps", new { content = "public " + tag, visibility = "public", display_title = "title2 " + tag, tags = new[] { "tag2" + tag } }, key: fixture.ApiKey);
        Assert.Equal(HttpStatusCode.Created, s2);

        var seen = await Read($"v1/stamps/{hashOnly.Str("id")}", key: fixture.OtherApiKey);
        Assert.True(seen.Status == HttpStatusCode.OK, seen.Text);
        Assert.Equal(hashOnly.Str("content_hash"), seen.Body.Str("content_hash"));
        Assert.Equal(JsonValueKind.Null, seen.Body.GetProperty("display_title").ValueKind);
        Assert.Equal(0, seen.Body.GetProperty("tags").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, seen.Body.GetProperty("content").ValueKind);
        Assert.DoesNotContain(tag, seen.Text);

        var seenPublic = await Read($"v1/stamps/{open.Str("id")}", key: fixture.OtherApiKey);
        Assert.Equal("public " + tag, seenPublic.Body.Str("content"));
        Assert.Equal(JsonValueKind.Null, seenPublic.Body.GetProperty("display_title").ValueKind);
        Assert.Equal(0, seenPublic.Body.GetProperty("tags").GetArrayLength());

        foreach (string key in new[] { fixture.ApiKey, ServerProcess.AdminKey })
        {
            var mine = await Read($"v1/stamps/{hashOnly.Str("id")}", key: key);
            Assert.Equal("title " + tag, mine.Body.Str("display_title"));
            Assert.Equal("tag" + tag, mine.Body.GetProperty("tags")[0].GetString());
        }
        // A stamp made with the admin key is the admin's alone.
        var (_, adminStamp) = await Client.Post("v1/stamps", new { content = "admin " + tag, display_title = "admin title " + tag });
        Assert.Equal(JsonValueKind.Null, (await Read($"v1/stamps/{adminStamp.Str("id")}", key: fixture.ApiKey)).Body.GetProperty("display_title").ValueKind);
        Assert.Equal("admin title " + tag, (await Read($"v1/stamps/{adminStamp.Str("id")}", key: ServerProcess.AdminKey)).Body.Str("display_title"));

        var grpc = await Grpc("/attest.v1.Stamps/Get", new GetStampRequest { Id = hashOnly.Str("id") }, key: fixture.OtherApiKey);
        Assert.True(grpc.Status == 0, grpc.Message);
        var stamp = V1.Stamp.Parser.ParseFrom(grpc.Reply);
        Assert.Equal(hashOnly.Str("content_hash"), stamp.ContentHash);
        Assert.Equal("", stamp.DisplayTitle);
        Assert.Empty(stamp.Tags);
        var own = V1.Stamp.Parser.ParseFrom((await Grpc("/attest.v1.Stamps/Get", new GetStampRequest { Id = hashOnly.Str("id") }, key: fixture.ApiKey)).Reply);
        Assert.Equal("title " + tag, own.DisplayTitle);
    }

    // ---- salted payloads ----

    [Fact]
    public async Task two_mints_of_identical_claims_get_different_payload_hashes_and_the_log_entry_has_no_salt()
    {
        var claims = AttestApi.DegreeClaims("Same Person");
        var first = await Client.Mint(AttestApi.MintBody(fixture.IssuerId, fixture.Kid, claims));
        var second = await Client.Mint(AttestApi.MintBody(fixture.IssuerId, fixture.Kid, claims));
        string salt1 = first.GetProperty("payload").Str("salt"), salt2 = second.GetProperty("payload").Str("salt");
        Assert.Equal(16, AttestApi.FromB64Url(salt1).Length);
        Assert.Equal(16, AttestApi.FromB64Url(salt2).Length);
        Assert.NotEqual(salt1, salt2);

        var entries = new List<string>();
        foreach (var a in new[] { first, second })
        {
            var bundle = (await Read($"v1/attestations/{a.Str("id")}/proof-bundle", key: ServerProcess.AdminKey)).Body;
            string entry = bundle.GetProperty("log_entry").Str("entry");
            Assert.DoesNotContain("salt", entry);
            Assert.DoesNotContain(a.GetProperty("payload").Str("salt"), entry);
            using var e = JsonDocument.Parse(entry);
            // The logged hash is of the salted payload, exactly as signed (RFC 8785).
            string payloadJcs = Encoding.UTF8.GetString(Jcs.Canonicalize(a.GetProperty("payload")));
            Assert.Contains($"\"kid\":\"{fixture.Kid}\",\"salt\":\"{a.GetProperty("payload").Str("salt")}\",\"schema\":\"degree\"", payloadJcs);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payloadJcs))), e.RootElement.Str("payload_sha256"));
            entries.Add(e.RootElement.Str("payload_sha256"));
        }
        Assert.NotEqual(entries[0], entries[1]);
        // A guess of the claims without the salt confirms nothing.
        var unsalted = JsonNode.Parse(first.GetProperty("payload").GetRawText())!.AsObject();
        unsalted.Remove("salt");
        Assert.NotEqual(entries[0], Convert.ToHexStringLower(SHA256.HashData(Jcs.Canonicalize(JsonDocument.Parse(unsalted.ToJsonString()).RootElement))));
    }
}
