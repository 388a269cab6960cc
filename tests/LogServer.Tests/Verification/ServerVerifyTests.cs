using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// Two real servers under the same origin, each with its own log key: the log a relying party asks, and a second log
/// anyone could run to forge bundles that check out against their own key.
/// </summary>
public sealed class TwoLogsFixture : IAsyncLifetime
{
    public ServerProcess Log { get; private set; } = null!;

    public ServerProcess Forger { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var started = await Task.WhenAll(ServerProcess.Start(), ServerProcess.Start());
        (Log, Forger) = (started[0], started[1]);
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { Log, Forger })
        {
            await server.DisposeAsync();
            Directory.Delete(server.DataDir, recursive: true);
        }
    }
}

/// <summary>
/// <c>POST /v1/verify {"bundle", "policy"?}</c> judges a bundle as <c>attest verify --online</c> does
/// (docs/VERIFYING.md "Freshness"): the holder's bundle as it is, then against the log's evidence now.
/// </summary>
public sealed class ServerVerifyTests(TwoLogsFixture fixture) : IClassFixture<TwoLogsFixture>
{
    private HttpClient Client => fixture.Log.Client;

    [Fact]
    public async Task a_good_bundle_is_valid_with_every_check_listed()
    {
        var (bundle, id) = await MintAndFetch(Client, "University of Example");

        var v = await Client.Verify(new { bundle });

        Assert.Equal("VALID", v.Str("verdict"));
        Assert.True(v.GetProperty("success").GetBoolean());
        Assert.Contains("bundle_proof_ok", v.Reasons());
        Assert.Equal(id, v.Str("attestation_id"));
        Assert.Equal("University of Example", v.Str("issuer_name"));
        var checks = Checks(v);
        string[] every =
        [
            "payload_signature", "payload_key", "log_entry", "issuer", "inclusion", "checkpoint_signature", "witness_quorum", "key_events", "key_status",
            "status_note", "revocation", "superseded", "anchor", "anchor_chain", "document", "consistency", "freshness",
        ];
        Assert.Equal(every.Order(), checks.Keys.Order());
        // No witnesses, no anchoring and no document here: those are skipped, everything else holds.
        string[] skipped = ["witness_quorum", "anchor", "anchor_chain", "document"];
        foreach (var (name, (result, detail)) in checks)
            Assert.True(result == (skipped.Contains(name) ? "skip" : "pass"), $"{name}: {result} ({detail})");
        foreach (var (_, (_, detail)) in checks) Assert.False(string.IsNullOrWhiteSpace(detail));

        var asOf = v.GetProperty("as_of");
        Assert.True(asOf.GetProperty("online").GetBoolean());
        var (latest, _) = await Client.Checkpoint();
        Assert.InRange(asOf.GetProperty("tree_size").GetInt64(), v.GetProperty("log_index").GetInt64() + 1, latest.Size);
        Assert.True(Hash.TryParseBase64(asOf.Str("root_hash"), out _));
        Assert.True(DateTimeOffset.TryParse(asOf.Str("status_time"), out _));
    }

    [Fact]
    public async Task a_bundle_forged_by_a_second_log_under_the_same_origin_is_altered()
    {
        var (forged, _) = await MintAndFetch(fixture.Forger.Client, "Massachusetts Institute of Technology");
        // The forger's bundle is perfect by its own key: the origin is the real log's, only the key differs.
        Assert.Equal((await Client.Checkpoint()).Checkpoint.Origin, forged.GetProperty("log").Str("origin"));
        Assert.NotEqual((await Client.LogVerifier()).KeyId, (await fixture.Forger.Client.LogVerifier()).KeyId);

        var v = await Client.Verify(new { bundle = forged });

        Assert.Equal("ALTERED", v.Str("verdict"));
        Assert.Equal("fail", Checks(v)["checkpoint_signature"].Result);
        Assert.Equal("fail", Checks(v)["status_note"].Result);
    }

    [Fact]
    public async Task a_bundle_stripped_of_its_revocation_is_altered()
    {
        var (_, id) = await MintAndFetch(Client, "Stripped University");
        await Revoke(id);
        var revoked = await Bundle(id);
        Assert.Equal(JsonValueKind.Object, revoked.GetProperty("revocation").ValueKind);
        var stripped = JsonNode.Parse(revoked.GetRawText())!;
        stripped["revocation"] = null;
        stripped["status"] = "VALID";

        var v = await Client.Verify(new { bundle = stripped });

        Assert.Equal("ALTERED", v.Str("verdict"));
        Assert.Equal("fail", Checks(v)["status_note"].Result);
        // The same bundle as the log served it is simply revoked.
        Assert.Equal("REVOKED", (await Client.Verify(new { bundle = revoked })).Str("verdict"));
    }

    [Fact]
    public async Task an_old_bundle_of_an_attestation_revoked_since_is_revoked()
    {
        var (old, id) = await MintAndFetch(Client, "Revoking University");
        Assert.Equal("VALID", (await Client.Verify(new { bundle = old })).Str("verdict"));
        await Revoke(id);
        // A later entry, so the log's latest checkpoint is larger than the bundle's and must be proven consistent with it.
        await MintAndFetch(Client, "Another University");

        var v = await Client.Verify(new { bundle = old });

        Assert.Equal("REVOKED", v.Str("verdict"));
        Assert.Contains("revoked", v.Reasons());
        var checks = Checks(v);
        Assert.Equal("fail", checks["revocation"].Result);
        Assert.Equal("pass", checks["consistency"].Result);
        Assert.Contains("consistent", checks["consistency"].Detail);
        Assert.Equal("pass", checks["status_note"].Result);
        Assert.True(v.GetProperty("as_of").GetProperty("tree_size").GetInt64() > Checkpoint(old).Size);
    }

    [Fact]
    public async Task an_old_bundle_of_an_attestation_superseded_since_is_superseded()
    {
        var (old, id) = await MintAndFetch(Client, "Superseding University");
        var body = MintBody(old);
        var (status, next) = await Client.Post($"v1/attestations/{id}/supersede", body, idempotencyKey: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, status);
        await Client.CheckpointCovering(next.GetProperty("log_index").GetInt64() + 1);

        var v = await Client.Verify(new { bundle = old });

        Assert.Equal("SUPERSEDED", v.Str("verdict"));
        Assert.Equal("fail", Checks(v)["superseded"].Result);
        Assert.Equal("pass", Checks(v)["revocation"].Result);
        Assert.Equal(next.Str("id"), v.Str("superseded_by_attestation_id"));
    }

    [Fact]
    public async Task an_old_bundle_whose_key_was_compromised_since_from_before_it_signed_is_key_compromised()
    {
        var (old, _) = await MintAndFetch(Client, "Compromised University");
        var payload = old.GetProperty("attestation").GetProperty("payload");
        // Compromised from the very time the attestation was signed: "at or after compromised_at" (docs/VERIFYING.md).
        var (status, compromised) = await Client.Post($"v1/issuers/keys/{payload.Str("kid")}/compromise", new { compromised_at = payload.Str("created_at") });
        Assert.True(status == HttpStatusCode.OK, compromised.GetRawText());

        var v = await Client.Verify(new { bundle = old });

        Assert.Equal("KEY_COMPROMISED", v.Str("verdict"));
        Assert.Equal("fail", Checks(v)["key_status"].Result);
        Assert.Equal("pass", Checks(v)["key_events"].Result);
        Assert.Equal("compromised", v.Str("key_status"));
    }

    [Fact]
    public async Task a_policy_requiring_a_witness_that_did_not_cosign_is_unverified()
    {
        var (bundle, _) = await MintAndFetch(Client, "Witnessed University");
        string logKey = (await Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");
        var (_, witnessKey) = CosignatureSigner.Generate("witness.example/w1");

        var v = await Client.Verify(new { bundle, policy = $"log {logKey}\nwitness w1 {witnessKey}\nquorum w1\n" });

        Assert.Equal("UNVERIFIED", v.Str("verdict"));
        var checks = Checks(v);
        Assert.Equal("skip", checks["witness:w1"].Result);
        Assert.Equal("fail", checks["witness_quorum"].Result);
        Assert.Equal("pass", checks["checkpoint_signature"].Result);

        // The same policy without the quorum is met by the log's key alone.
        var met = await Client.Verify(new { bundle, policy = $"log {logKey}\nwitness w1 {witnessKey}\nquorum none\n" });
        Assert.Equal("VALID", met.Str("verdict"));
        Assert.Equal("skip", Checks(met)["witness_quorum"].Result);
    }

    [Fact]
    public async Task a_policy_naming_another_log_key_makes_the_bundle_altered()
    {
        var (bundle, _) = await MintAndFetch(Client, "Other Key University");
        string forgerKey = (await fixture.Forger.Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");

        var v = await Client.Verify(new { bundle, policy = $"log {forgerKey}\n" });

        Assert.Equal("ALTERED", v.Str("verdict"));
        Assert.Equal("fail", Checks(v)["checkpoint_signature"].Result);
    }

    [Theory]
    [InlineData("log not-a-key\n")]
    [InlineData("# no log named\nquorum none\n")]
    [InlineData("log {0}\nanchor sometimes\n")]
    public async Task a_malformed_policy_is_refused_with_400(string policy)
    {
        var (bundle, _) = await MintAndFetch(Client, "Policy University");
        string logKey = (await Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");

        var response = await Client.Post("v1/verify", new { bundle, policy = string.Format(policy, logKey) }, key: null);

        Http.AssertError(response, HttpStatusCode.BadRequest, "invalid_policy");
        Assert.Contains("policy", response.Body.Str("message"));
    }

    [Fact]
    public async Task a_policy_with_another_form_than_a_bundle_is_refused()
    {
        var (_, id) = await MintAndFetch(Client, "Form University");
        string logKey = (await Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");

        Http.AssertError(await Client.Post("v1/verify", new { attestation_id = id, policy = $"log {logKey}\n" }, key: null), HttpStatusCode.BadRequest, "invalid_field");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /// <summary>A new issuer named <paramref name="issuerName"/> mints; its full bundle once a checkpoint covers it.</summary>
    private static async Task<(JsonElement Bundle, string Id)> MintAndFetch(HttpClient client, string issuerName)
    {
        string issuerId = await client.CreateIssuer(issuerName);
        string kid = (await client.CreateKey(issuerId)).Str("kid");
        var minted = await client.Mint(AttestApi.MintBody(issuerId, kid));
        string id = minted.Str("id");
        var (status, bundle) = await client.Get($"v1/attestations/{id}/proof-bundle");
        Assert.True(status == HttpStatusCode.OK, bundle.GetRawText());
        Assert.Equal("full", bundle.Str("access"));
        return (bundle, id);
    }

    private async Task<JsonElement> Bundle(string id)
    {
        var (status, bundle) = await Client.Get($"v1/attestations/{id}/proof-bundle");
        Assert.True(status == HttpStatusCode.OK, bundle.GetRawText());
        return bundle;
    }

    private async Task Revoke(string id)
    {
        var (status, revoked) = await Client.Post($"v1/attestations/{id}/revoke", new { reason = "issued in error" });
        Assert.True(status == HttpStatusCode.OK, revoked.GetRawText());
    }

    private static JsonObject MintBody(JsonElement bundle)
    {
        var payload = bundle.GetProperty("attestation").GetProperty("payload");
        return AttestApi.MintBody(payload.Str("issuer_id"), payload.Str("kid"), AttestApi.DegreeClaims("second edition"));
    }

    private static Checkpoint Checkpoint(JsonElement bundle)
    {
        string note = bundle.GetProperty("log").Str("checkpoint");
        Assert.True(Merkle.Checkpoint.TryParse(note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)], out var cp));
        return cp!;
    }

    private static Dictionary<string, (string Result, string Detail)> Checks(JsonElement verification) =>
        verification.GetProperty("checks").EnumerateArray().ToDictionary(c => c.Str("name"), c => (c.Str("result"), c.Str("detail")));
}
