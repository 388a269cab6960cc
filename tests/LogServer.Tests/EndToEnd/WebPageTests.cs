using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Verification;
using static Attest.Tests.Shared.VerificationPage;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>
/// The verification page end to end: a real server process, Debian's headless chromium driven by npm playwright-core
/// (tests/interop/web/page.mjs), and what the page shows a person. Verification runs in the browser (WebCrypto), under
/// the trust root the person pinned or, until they do, the key the server served (every result then says "unpinned"),
/// with the checks and verdicts of docs/VERIFYING.md. Fails, never skips, when node, npm or chromium is missing.
/// </summary>
public sealed class WebPageTests(WebPageFixture fixture) : IClassFixture<WebPageFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string FamousName = "Massachusetts Institute of Technology";

    [Fact]
    public async Task an_uploaded_good_bundle_with_the_log_key_pinned_is_valid_as_of_its_checkpoint_without_asking_the_server()
    {
        var seen = await VerifyBundle(fixture.BundleText, fixture.VerifierKey);
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        Assert.True(r.GetProperty("pinned").GetBoolean());
        AssertChecks(r, AttestationChecks, failed: [], skipped: OfflineSkips);
        Assert.Equal("Status: VALID", r.Str("verdictText"));
        // docs/VERIFYING.md "Freshness": as of which checkpoint, signed when, and that later events are unknown offline.
        string size = JsonDocument.Parse(fixture.BundleText).RootElement.GetProperty("log").Str("checkpoint").Split('\n')[1];
        Assert.Matches($@"^VALID as of checkpoint {size} \(status signed by the log at \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); events logged since are not known offline\.$", r.Str("asOf"));
        Assert.Equal(fixture.AttestationId, r.GetProperty("facts").Str("id"));
        Assert.Contains(fixture.IssuerName, r.GetProperty("facts").Str("issuer"));
        Assert.Contains("Not anchored", r.GetProperty("anchor").Str("text"));
        Assert.Equal(JsonValueKind.Null, r.GetProperty("unpinned").ValueKind);
        // Verified offline: after the page loaded, the upload made no request at all.
        Assert.DoesNotContain(Requests(seen), q => q.Url.Contains("/v1/attestations") || q.Url.Contains("/v1/verify") || q.Method != "GET");
    }

    [Fact]
    public async Task an_unpinned_result_trusts_the_served_key_and_says_so_on_the_verdict()
    {
        var seen = await UploadBundle(fixture.BundleText);
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        Assert.False(r.GetProperty("pinned").GetBoolean());
        Assert.Equal("Status: VALID (unpinned)", r.Str("verdictText"));
        Assert.Contains(TrustPolicy.Fingerprint(fixture.VerifierKey), r.Str("unpinned"));
        AssertChecks(r, AttestationChecks, failed: [], skipped: OfflineSkips);
        Assert.False(seen.GetProperty("trust").GetProperty("pinned").GetBoolean());
        Assert.StartsWith("Unpinned", seen.GetProperty("trust").Str("state"));
    }

    [Fact]
    public async Task the_fingerprint_at_the_top_is_the_one_the_cli_shows_for_the_served_key()
    {
        var trust = (await Page("log", null)).GetProperty("trust");
        Assert.Equal(TrustPolicy.Fingerprint(fixture.VerifierKey), trust.Str("fingerprint"));
        Assert.Matches("^[0-9a-f]{4}(:[0-9a-f]{4}){7}$", trust.Str("fingerprint"));
    }

    [Fact]
    public async Task a_log_key_url_parameter_pins_the_key_which_survives_a_reload_and_leaves_the_address()
    {
        var seen = await RunPage(fixture.Server, "open", $"?log_key={Uri.EscapeDataString(fixture.VerifierKey)}", "--reload");
        var trust = seen.GetProperty("trust");
        Assert.True(trust.GetProperty("pinned").GetBoolean(), trust.ToString());
        Assert.False(trust.GetProperty("mismatch").GetBoolean());
        Assert.Equal(fixture.VerifierKey, trust.Str("stored"));
        Assert.Contains(TrustPolicy.Fingerprint(fixture.VerifierKey), trust.Str("state"));
        Assert.DoesNotContain("log_key", seen.Str("location"));
        Assert.Equal("true", seen.GetProperty("log").Str("checkpointVerified"));
    }

    [Fact]
    public async Task a_pinned_key_that_is_not_the_served_one_is_flagged_at_the_top_and_the_servers_proofs_are_altered()
    {
        string other = Attest.Merkle.NoteSigner.Generate("test.attest.local/log").VerifierKey;
        var seen = await RunPage(fixture.Server, "open",
            $"?log_key={Uri.EscapeDataString(other)}&attestation={fixture.AttestationId}&holder_token={fixture.AttestationToken}");
        var trust = seen.GetProperty("trust");
        Assert.True(trust.GetProperty("mismatch").GetBoolean());
        Assert.Contains(TrustPolicy.Fingerprint(other), trust.Str("mismatchText"));
        Assert.Contains(TrustPolicy.Fingerprint(fixture.VerifierKey), trust.Str("mismatchText"));
        var r = seen.GetProperty("result");
        Assert.Equal("ALTERED", r.Str("verdict"));
        Assert.Contains("checkpoint_signature", Failed(r));
        Assert.Equal("false", seen.GetProperty("log").Str("checkpointVerified"));
    }

    [Fact]
    public async Task a_bundle_forged_by_a_second_server_with_its_own_key_is_altered_with_the_real_key_pinned()
    {
        // Same origin name, another key, an issuer with a famous name: every proof holds against the forger's own key.
        await using var forger = await ServerProcess.Start();
        try
        {
            var c = forger.Client;
            string issuerId = await c.CreateIssuer(FamousName);
            string kid = (await c.CreateKey(issuerId)).Str("kid");
            var minted = await c.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("Forged Holder")));
            await c.CheckpointCovering(await c.TreeSize());
            using var response = await c.GetAsync($"v1/attestations/{minted.Str("id")}/proof-bundle?holder_token={minted.Str("holder_token")}");
            string forged = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, forged);

            var seen = await VerifyBundle(forged, fixture.VerifierKey);
            var r = seen.GetProperty("result");
            Assert.Equal("ALTERED", r.Str("verdict"));
            Assert.True(r.GetProperty("pinned").GetBoolean());
            Assert.Contains("checkpoint_signature", Failed(r));
            Assert.Contains("status_note", Failed(r));
            Assert.DoesNotContain(FamousName, seen.Str("pageText"));
        }
        finally
        {
            Directory.Delete(forger.DataDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_logged_issuer_name_with_a_bidi_override_is_shown_escaped_on_the_page_and_by_the_cli()
    {
        // The server refuses control characters in a name, not format ones: U+202E (right-to-left override) makes the
        // reversed text after it read "Harvard University", and a zero-width joiner hides between letters.
        const string name = "\u202Eytisrevinu dravraH\u200D";
        var c = fixture.Server.Client;
        string issuerId = await c.CreateIssuer(name);
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var minted = await c.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("Bidi \u202Egnirts")));
        await c.CheckpointCovering(await c.TreeSize());
        using var response = await c.GetAsync($"v1/attestations/{minted.Str("id")}/proof-bundle?holder_token={minted.Str("holder_token")}");
        string bundle = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, bundle);

        var r = (await VerifyBundle(bundle, fixture.VerifierKey)).GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        string shown = r.GetProperty("facts").Str("issuer");
        Assert.StartsWith("\\u202eytisrevinu dravraH\\u200d (", shown);
        Assert.DoesNotContain('\u202E', shown);

        await WithFiles([bundle], async files =>
        {
            var cli = await ExternalTools.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "attest.dll"), "verify", files[0], "--log-key", fixture.VerifierKey],
                Path.GetTempPath(), TimeSpan.FromMinutes(2));
            Assert.True(cli.ExitCode == 0, cli.ToString());
            Assert.Contains("\\u202eytisrevinu dravraH\\u200d", cli.Stdout);
            Assert.DoesNotContain('\u202E', cli.Stdout);
            return default(JsonElement);
        });
    }

    [Fact]
    public async Task an_edited_issuer_name_is_altered_and_never_shown()
    {
        var bundle = JsonNode.Parse(fixture.BundleText)!;
        bundle["issuer"]!["name"] = FamousName;
        var seen = await VerifyBundle(bundle.ToJsonString(Relaxed), fixture.VerifierKey);
        var r = seen.GetProperty("result");
        Assert.Equal("ALTERED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: ["issuer"], skipped: OfflineSkips);
        Assert.DoesNotContain(FamousName, seen.Str("pageText"));
        Assert.DoesNotContain(fixture.IssuerName, seen.Str("pageText"));
    }

    [Fact]
    public async Task a_revoked_bundle_stripped_of_its_revocation_is_altered_by_the_logs_signed_status()
    {
        var bundle = JsonNode.Parse(fixture.RevokedBundleText)!;
        Assert.Equal("REVOKED", bundle["status"]!.GetValue<string>());
        bundle["revocation"] = null;
        bundle["status"] = "VALID";
        var r = (await VerifyBundle(bundle.ToJsonString(Relaxed), fixture.VerifierKey)).GetProperty("result");
        Assert.Equal("ALTERED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: ["status_note"], skipped: OfflineSkips);
        Assert.Contains("REVOKED", Detail(r, "status_note"));
    }

    [Fact]
    public async Task the_revoked_bundle_itself_is_revoked_as_of_its_checkpoint()
    {
        var r = (await VerifyBundle(fixture.RevokedBundleText, fixture.VerifierKey)).GetProperty("result");
        Assert.Equal("REVOKED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: ["revocation"], skipped: OfflineSkips);
        Assert.StartsWith("REVOKED as of checkpoint", r.Str("asOf"));
    }

    [Fact]
    public async Task a_policy_whose_witness_quorum_is_not_met_gives_unverified()
    {
        var (_, witnessKey) = Attest.Merkle.CosignatureSigner.Generate("witness.example/w1");
        string policy = $"# the log and one witness that must cosign\nlog {fixture.VerifierKey}\nwitness w1 {witnessKey} https://witness.example\nquorum w1\n";
        var r = (await VerifyBundle(fixture.BundleText, policy)).GetProperty("result");
        Assert.Equal("UNVERIFIED", r.Str("verdict"));
        Assert.True(r.GetProperty("pinned").GetBoolean());
        string[] checks = [.. AttestationChecks[..6], "witness:w1", .. AttestationChecks[6..]];
        AssertChecks(r, checks, failed: ["witness_quorum"], skipped: ["witness:w1", .. OfflineSkips.Where(c => c != "witness_quorum")]);
        Assert.Equal("Status: UNVERIFIED", r.Str("verdictText"));
    }

    [Fact]
    public async Task a_policy_that_requires_an_anchor_gives_unverified_for_a_bundle_without_one()
    {
        var r = (await VerifyBundle(fixture.BundleText, $"log {fixture.VerifierKey}\nanchor required\n")).GetProperty("result");
        Assert.Equal("UNVERIFIED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: ["anchor"], skipped: [.. OfflineSkips.Where(c => c != "anchor")]);
    }

    [Fact]
    public async Task a_trust_root_that_is_neither_a_key_nor_a_policy_is_refused_naming_the_line_and_nothing_is_pinned()
    {
        var seen = await VerifyBundle(fixture.BundleText, $"log {fixture.VerifierKey}\nquorum nobody\n");
        Assert.Contains("policy line 2", seen.GetProperty("trust").Str("message"));
        Assert.False(seen.GetProperty("trust").GetProperty("pinned").GetBoolean());
        Assert.False(seen.GetProperty("result").GetProperty("pinned").GetBoolean());
    }

    /// <summary>(tampering, the checks that must fail, the checks that cannot run for it besides the offline ones).</summary>
    public static TheoryData<string, string[], string[]> Tamperings => new()
    {
        { "a changed claim", ["payload_signature", "log_entry"], [] },
        { "a flipped signature character", ["payload_signature", "log_entry"], [] },
        { "a changed proof hash", ["inclusion"], [] },
        { "a changed checkpoint signature", ["checkpoint_signature"], [] },
        // The key's status is known only from the logged key, which this bundle's key is not.
        { "another issuer public key", ["payload_signature", "key_events"], ["key_status"] },
        { "a status claiming revocation", ["status_note", "revocation"], [] },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task a_tampered_bundle_is_altered_in_the_browser_with_the_failing_check_named(string tampering, string[] failing, string[] notRun)
    {
        var bundle = JsonNode.Parse(fixture.BundleText)!;
        Tamper(bundle, tampering);
        var r = (await VerifyBundle(bundle.ToJsonString(Relaxed), fixture.VerifierKey)).GetProperty("result");
        Assert.Equal("ALTERED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: failing, skipped: [.. OfflineSkips, .. notRun]);
        // Named for a person too: "Failed: Issuer's signature (payload_signature), …".
        string failedText = r.Str("failedText");
        foreach (string id in failing) Assert.Contains($"({id})", failedText);
        Assert.False(string.IsNullOrWhiteSpace(Detail(r, failing[0])));
        // Nothing unproven is shown: no subject, no issuer.
        Assert.False(r.GetProperty("facts").TryGetProperty("issuer", out _));
        Assert.False(r.GetProperty("facts").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task a_file_that_is_not_json_is_refused_with_a_message()
    {
        var r = (await UploadBundle("this is not a bundle")).GetProperty("result");
        Assert.Equal("error", r.GetProperty("message").Str("kind"));
        Assert.Contains("is not JSON", r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task a_json_file_that_is_not_a_bundle_is_refused_naming_the_field()
    {
        var bundle = JsonNode.Parse(fixture.BundleText)!;
        bundle["issuer_key"]!.AsObject().Remove("log_entries");
        var r = (await UploadBundle(bundle.ToJsonString(Relaxed))).GetProperty("result");
        Assert.Equal("error", r.GetProperty("message").Str("kind"));
        Assert.Contains("issuer_key.log_entries", r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task a_dropped_file_is_hashed_in_the_browser_and_found_with_its_earliest_stamp_verified_and_not_uploaded()
    {
        var seen = await Page("drop", fixture.StampedFile);
        var r = seen.GetProperty("result");
        Assert.Equal("STAMPED", r.Str("verdict"));
        Assert.Equal("Status: STAMPED (unpinned)", r.Str("verdictText"));
        AssertChecks(r, ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "anchor"], failed: [], skipped: ["anchor"]);
        Assert.Equal(fixture.ContentHash, r.GetProperty("facts").Str("sha256"));
        Assert.Equal(fixture.FirstStampId, r.GetProperty("facts").Str("id"));
        Assert.Equal("2", r.Str("stampCount"));

        // Only the hash left the browser: one POST /v1/verify {content_hash}, and no request carries the file.
        var requests = Requests(seen);
        var posted = Assert.Single(requests, q => q.Method == "POST");
        Assert.EndsWith("/v1/verify", posted.Url);
        Assert.Equal($"{{\"content_hash\":\"{fixture.ContentHash}\"}}", posted.Body);
        Assert.DoesNotContain(requests, q => q.Body?.Contains(WebPageFixture.FileMarker) == true);
    }

    [Fact]
    public async Task a_chosen_file_nobody_stamped_is_reported_as_not_found()
    {
        string file = Path.Combine(Path.GetTempPath(), $"attest-unstamped-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(4096));
        try
        {
            var r = (await Page("choose", file)).GetProperty("result");
            Assert.Equal("not-found", r.GetProperty("message").Str("kind"));
            Assert.Contains("No stamp of this file", r.GetProperty("message").Str("text"));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))), r.GetProperty("facts").Str("sha256"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task a_search_by_attestation_id_with_the_holder_token_fetches_the_full_proof_bundle_and_verifies_it_in_the_browser()
    {
        var r = (await Page("open", $"?attestation={fixture.AttestationId}&holder_token={fixture.AttestationToken}")).GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: [], skipped: OfflineSkips);
        Assert.Equal(fixture.AttestationId, r.GetProperty("facts").Str("id"));
        Assert.Contains(fixture.IssuerName, r.GetProperty("facts").Str("issuer"));
    }

    [Fact]
    public async Task a_search_by_the_id_of_a_revoked_attestation_shows_it_revoked_with_the_revocation_verified()
    {
        // No holder token: the public part is enough to verify the revocation; the payload's checks cannot run.
        var r = (await Page("search", fixture.RevokedId)).GetProperty("result");
        Assert.Equal("REVOKED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: ["revocation"], skipped: ["payload_signature", "payload_key", .. OfflineSkips]);
        Assert.Contains("revoked at", Detail(r, "revocation"));
        Assert.Equal("Status: REVOKED (unpinned)", r.Str("verdictText"));
    }

    [Fact]
    public async Task a_search_by_stamp_id_verifies_the_stamp_proof()
    {
        var r = (await Page("search", fixture.FirstStampId)).GetProperty("result");
        Assert.Equal("STAMPED", r.Str("verdict"));
        AssertChecks(r, ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "anchor"], failed: [], skipped: ["anchor"]);
        Assert.Equal(fixture.ContentHash, r.GetProperty("facts").Str("content_hash"));
        Assert.Equal(fixture.FirstStampIndex.ToString(), r.GetProperty("facts").Str("log_index"));
    }

    [Theory]
    [InlineData("base64")]
    [InlineData("hex")]
    public async Task a_search_by_leaf_hash_finds_the_entry_and_verifies_its_inclusion(string encoding)
    {
        string leaf = encoding == "hex" ? Convert.ToHexStringLower(Convert.FromBase64String(fixture.FirstStampLeaf)) : fixture.FirstStampLeaf;
        var r = (await Page("search", leaf)).GetProperty("result");
        Assert.Equal("IN THE LOG", r.Str("verdict"));
        AssertChecks(r, ["log_key", "leaf_hash", "inclusion", "checkpoint_signature"], failed: [], skipped: []);
        Assert.Equal("stamp/v1", r.GetProperty("facts").Str("type"));
        Assert.Equal(fixture.FirstStampId, r.GetProperty("facts").Str("id"));
        Assert.Equal(fixture.FirstStampIndex.ToString(), r.GetProperty("facts").Str("log_index"));
    }

    [Theory]
    [InlineData("00000000-0000-4000-8000-000000000000", "No attestation and no stamp has the id")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "No log entry has the leaf hash")]
    public async Task a_search_for_something_the_log_does_not_hold_is_reported_as_not_found(string query, string expected)
    {
        var r = (await Page("search", query)).GetProperty("result");
        Assert.Equal("not-found", r.GetProperty("message").Str("kind"));
        Assert.Contains(expected, r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task a_search_for_text_that_is_no_id_or_hash_says_what_to_enter()
    {
        var r = (await Page("search", "<img src=x>")).GetProperty("result");
        Assert.Equal("error", r.GetProperty("message").Str("kind"));
        Assert.Contains("Enter an attestation or stamp id", r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task the_log_view_shows_the_latest_checkpoint_with_its_signature_verified_and_the_log_key()
    {
        var (cp, _) = await fixture.Server.Client.Checkpoint();
        var log = (await Page("log", null)).GetProperty("log");
        Assert.Equal("true", log.Str("checkpointVerified"));
        Assert.True(long.Parse(log.Str("checkpointSize")) >= cp.Size, $"the page shows size {log.Str("checkpointSize")}, the log had {cp.Size}");
        Assert.Equal("test.attest.local/log", log.GetProperty("checkpoint").Str("origin"));
        Assert.Equal("test.attest.local/log", log.Str("origin"));
        Assert.Equal(fixture.VerifierKey, log.Str("verifierKey"));
        Assert.Equal("0", log.Str("anchorsTotal"));
        Assert.Contains("No checkpoint has been anchored yet", log.Str("anchorsText"));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static void Tamper(JsonNode bundle, string tampering)
    {
        switch (tampering)
        {
            case "a changed claim":
                bundle["attestation"]!["payload"]!["claims"]!["honors"] = "summa cum laude (forged)";
                break;
            case "a flipped signature character":
                BundleTampering.FlipSignature(bundle);
                break;
            case "a changed proof hash":
                BundleTampering.ChangeProofHash(bundle);
                break;
            case "a changed checkpoint signature":
                BundleTampering.ChangeCheckpointSignature(bundle);
                break;
            case "another issuer public key":
                bundle["issuer_key"]!["public_key"] = AttestApi.B64Url(RandomNumberGenerator.GetBytes(32));
                break;
            case "a status claiming revocation":
                bundle["status"] = "REVOKED";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tampering), tampering, null);
        }
    }

    private sealed record Request(string Method, string Url, string? Body);

    private static List<Request> Requests(JsonElement seen) =>
        [.. seen.GetProperty("requests").EnumerateArray()
            .Select(q => new Request(q.Str("method"), q.Str("url"), q.GetProperty("body").ValueKind == JsonValueKind.String ? q.Str("body") : null))
            .Where(q => q.Method != "GET" || !IsPageLoad(q.Url))];

    // What every load of the page fetches: the page, its files, the log key, the checkpoint and the anchors.
    private static bool IsPageLoad(string url) =>
        new Uri(url).AbsolutePath is "/" or "/v1/log/key" or "/checkpoint" or "/v1/anchors" || new Uri(url).AbsolutePath.StartsWith("/web/");

    private Task<JsonElement> UploadBundle(string bundleText) => WithFiles([bundleText], files => Page("bundle", files[0]));

    /// <summary>
    /// The vectors' call: <c>page.mjs &lt;url&gt; verify-bundle &lt;bundle&gt; --trust &lt;file&gt;</c>, the trust root pinned
    /// through the page; when the page pinned it, its verdict and checks must be those of src/Verification's.
    /// </summary>
    private Task<JsonElement> VerifyBundle(string bundleText, string trustRoot) =>
        WithFiles([bundleText, trustRoot], async files =>
        {
            var seen = await RunPage(fixture.Server, "verify-bundle", files[0], "--trust", files[1]);
            if (seen.GetProperty("trust").GetProperty("pinned").GetBoolean()) AssertAgreesWithBundleVerifier(bundleText, trustRoot, seen.GetProperty("result"));
            return seen;
        });

    private static async Task<JsonElement> WithFiles(string[] texts, Func<string[], Task<JsonElement>> run)
    {
        string[] files = [.. texts.Select(_ => Path.Combine(Path.GetTempPath(), $"attest-page-{Guid.NewGuid():N}.txt"))];
        try
        {
            for (int i = 0; i < texts.Length; i++) await File.WriteAllTextAsync(files[i], texts[i], new UTF8Encoding(false));
            return await run(files);
        }
        finally
        {
            foreach (string f in files) File.Delete(f);
        }
    }

    private Task<JsonElement> Page(string action, string? argument) => RunPage(fixture.Server, action, argument);
}
