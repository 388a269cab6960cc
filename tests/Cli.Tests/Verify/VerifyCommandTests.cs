using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli.Tests.Verify;

/// <summary>
/// <c>attest verify</c> on real bundles of a real server (minted and fetched with the CLI itself), and on each kind of
/// tampering: every tampered bundle must fail, naming the check its tampering touches, with exit code 1.
/// </summary>
public sealed class VerifyCommandTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>docs/VERIFYING.md "Checks", in order; a log key alone names no witness, so there is no witness:&lt;name&gt; check.</summary>
    private static readonly string[] AllChecks =
    [
        "payload_signature", "payload_key", "log_entry", "issuer", "inclusion", "checkpoint_signature", "witness_quorum", "key_events", "key_status",
        "status_note", "revocation", "superseded", "anchor", "anchor_chain", "document", "consistency", "freshness",
    ];

    // Skipped offline with a log key as the trust root: no quorum, no anchoring on this server, no --rpc-url, no --document, not --online.
    private static readonly string[] SkippedOffline = ["witness_quorum", "anchor", "anchor_chain", "document", "consistency", "freshness"];

    [Fact]
    public async Task a_fresh_bundle_passes_every_check_with_the_log_key_and_is_unverified_without_a_trust_root()
    {
        var a = await fixture.Mint("Zoë Ñúñez");
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);

        var with = await Verify(bundle, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(0, with.Result);
        Assert.Equal("VALID", with.Verdict);
        Assert.Equal(AllChecks, with.Checks.Keys);
        foreach (var name in AllChecks.Except(SkippedOffline)) Assert.True(with.Checks[name] == "pass", $"{name}: {with.Result}");
        foreach (var name in SkippedOffline) Assert.True(with.Checks[name] == "skip", $"{name}: {with.Result}");
        Assert.Contains("no --document given", with.Detail("document"));
        Assert.Contains("logged since is not", with.Detail("freshness"));

        // Every proof checks out, yet nothing ties the bundle to a log the verifier trusts.
        var without = await Verify(bundle);
        AttestCli.AssertExit(1, without.Result);
        Assert.Equal("UNVERIFIED", without.Verdict);
        Assert.Empty(Failed(without));
        Assert.Equal("skip", without.Checks["checkpoint_signature"]);
        Assert.Equal("skip", without.Checks["status_note"]);
        Assert.Contains("no trust root", without.Detail("checkpoint_signature"));
        Assert.Equal("pass", without.Checks["inclusion"]);

        // The text form: the issuer's logged name, the trust root's fingerprint, one line per check, then the verdict.
        var text = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey], directory: fixture.Dir);
        AttestCli.AssertExit(0, text);
        foreach (var name in AllChecks) Assert.Contains(name, text.Stdout);
        Assert.Matches(@"(?m)^  pass  payload_signature ", text.Stdout);
        Assert.Contains("issuer: \"Universität Ærøskøbing\"", text.Stdout);
        Assert.Contains($"fingerprint {TrustPolicy.Fingerprint(fixture.VerifierKey)}", text.Stdout);
        Assert.Matches(@"(?m)^verdict: VALID as of checkpoint \d+ \(status signed by the log at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); events logged since are not known offline", text.Stdout);

        var unverified = await AttestCli.Run(["verify", bundle], directory: fixture.Dir);
        AttestCli.AssertExit(1, unverified);
        Assert.Contains("trust root: none", unverified.Stdout);
        Assert.Matches(@"(?m)^verdict: UNVERIFIED: no trust root", unverified.Stdout);
    }

    [Fact]
    public async Task the_attested_document_passes_and_another_file_fails_the_document_check()
    {
        string document = fixture.WriteFile($"diploma-{Guid.NewGuid():N}.pdf", "%PDF-1.7 the diploma " + Guid.NewGuid());
        string other = fixture.WriteFile($"forged-{Guid.NewGuid():N}.pdf", "%PDF-1.7 another file");
        var a = await fixture.Mint("Document Holder", document);
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);

        var right = await Verify(bundle, "--log-key", fixture.VerifierKey, "--document", document);
        AttestCli.AssertExit(0, right.Result);
        Assert.Equal("pass", right.Checks["document"]);

        var wrong = await Verify(bundle, "--log-key", fixture.VerifierKey, "--document", other);
        AttestCli.AssertExit(1, wrong.Result);
        Assert.Equal("fail", wrong.Checks["document"]);
        Assert.Equal("ALTERED", wrong.Verdict);
        Assert.Equal(["document"], Failed(wrong));
    }

    [Fact]
    public async Task a_changed_claim_fails_the_payload_signature_and_the_log_entry()
    {
        var tampered = await Tampered(b => b["attestation"]!["payload"]!["claims"]!["honors"] = "summa cum laude (forged)");
        var r = await Verify(tampered, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal(["log_entry", "payload_signature"], Failed(r));
        Assert.Equal("ALTERED", r.Verdict);
    }

    [Fact]
    public async Task a_changed_signature_fails_the_payload_signature()
    {
        var tampered = await Tampered(BundleTampering.FlipSignature);
        var r = await Verify(tampered, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        // The logged entry holds the signature too, so it no longer matches either.
        Assert.Equal(["log_entry", "payload_signature"], Failed(r));
        Assert.Contains("does not verify", r.Detail("payload_signature"));
    }

    [Fact]
    public async Task a_changed_proof_hash_fails_the_inclusion()
    {
        var tampered = await Tampered(BundleTampering.ChangeProofHash);
        var r = await Verify(tampered, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal(["inclusion"], Failed(r));
        Assert.Contains("log_entry", r.Detail("inclusion"));
    }

    [Fact]
    public async Task a_changed_checkpoint_signature_fails_the_checkpoint_signature_and_only_with_the_log_key()
    {
        var tampered = await Tampered(BundleTampering.ChangeCheckpointSignature);
        var r = await Verify(tampered, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal(["checkpoint_signature"], Failed(r));
        Assert.Contains("does not verify", r.Detail("checkpoint_signature"));

        // Without a trusted key nothing can tell: the check is skipped, says so, and the bundle is not VALID.
        var unverified = await Verify(tampered);
        AttestCli.AssertExit(1, unverified.Result);
        Assert.Equal("skip", unverified.Checks["checkpoint_signature"]);
        Assert.Equal("UNVERIFIED", unverified.Verdict);
    }

    [Fact]
    public async Task a_hostile_bundles_text_reaches_the_error_message_with_its_terminal_escapes_escaped()
    {
        // A bundle is handed over by anyone; its refusal quotes its "format": an OSC 52 (clipboard write), a cursor-up
        // and a right-to-left override must reach the terminal as text, not act on it.
        const string hostile = "\u001b]52;c;cHduZWQ=\u0007\u001b[1A\u202E";
        string path = fixture.WriteFile($"hostile-{Guid.NewGuid():N}.json", JsonSerializer.Serialize(new { format = hostile }));
        var (_, vkey) = NoteSigner.Generate("test.attest.local/log");

        var r = await AttestCli.Run(["verify", path, "--log-key", vkey], directory: fixture.Dir);

        AttestCli.AssertExit(2, r);
        Assert.Contains("\\u001b]52;c;cHduZWQ=\\u0007\\u001b[1A\\u202e", r.Stderr);
        Assert.DoesNotContain(r.Stdout + r.Stderr, c => c is '\u001b' or '\u0007' or '\u202E');
    }

    [Fact]
    public async Task another_logs_key_fails_the_checkpoint_signature()
    {
        var a = await fixture.Mint("Wrong Key");
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);
        // The same name, another key: the signature line is by a key the verifier does not know.
        var (_, otherKey) = NoteSigner.Generate("test.attest.local/log");
        string vkeyFile = fixture.WriteFile($"other-{Guid.NewGuid():N}.vkey", otherKey + "\n");

        var r = await Verify(bundle, "--log-key", vkeyFile);
        AttestCli.AssertExit(1, r.Result);
        // The status note is signed by the same log key as the checkpoints.
        Assert.Equal(["checkpoint_signature", "status_note"], Failed(r));
        Assert.Equal("ALTERED", r.Verdict);
        Assert.Contains("no signature by a known key", r.Detail("checkpoint_signature"));
    }

    [Fact]
    public async Task a_revoked_attestation_is_reported_as_revoked()
    {
        var a = await fixture.Mint("Revoked Graduate");
        string id = a.GetProperty("id").GetString()!;
        var (status, _) = await fixture.Server.Client.Post($"v1/attestations/{id}/revoke", new { reason = "degree rescinded" });
        Assert.Equal(HttpStatusCode.OK, status);
        string bundle = await fixture.Bundle(id);

        var r = await Verify(bundle, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal("REVOKED", r.Verdict);
        Assert.Equal(["revocation"], Failed(r));
        Assert.StartsWith("REVOKED at ", r.Detail("revocation"));

        // Dropping the revocation entry but keeping the status is caught as well.
        var stripped = JsonNode.Parse(await File.ReadAllTextAsync(bundle))!;
        stripped["revocation"] = null;
        var s = await Verify(Write(stripped), "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, s.Result);
        Assert.Contains("carries no revocation entry", s.Detail("revocation"));
        Assert.Equal("fail", s.Checks["status_note"]);
        Assert.Equal("ALTERED", s.Verdict);
    }

    [Fact]
    public async Task garbage_input_is_rejected_with_exit_code_2_and_a_clear_error()
    {
        var a = await fixture.Mint("Garbage");
        string good = await fixture.Bundle(a.GetProperty("id").GetString()!);
        var cases = new (string Content, string Message)[]
        {
            ("", "not JSON"),
            ("this is not json", "not JSON"),
            ("[1, 2, 3]", "not a JSON object"),
            ("{\"format\": \"something else\"}", "\"format\""),
            ("{\"format\": \"attest-proof-bundle/v1\"}", "attestation is missing"),
            (File.ReadAllText(good).Replace("\"index\": ", "\"index\": -"), "not a non-negative integer"),
            ("{\"format\": \"attest-proof-bundle/v1\", \"format\": \"attest-proof-bundle/v1\"}", "Duplicate property 'format'"),
            ("{\"a\": 1} {\"b\": 2}", "not JSON"),
            // A claim twice would leave open which one was signed.
            (File.ReadAllText(good).Replace("\"honors\": ", "\"honors\": \"other\", \"honors\": "), "Duplicate property 'honors'"),
        };
        foreach (var (content, message) in cases)
        {
            var r = await AttestCli.Run(["verify", fixture.WriteFile($"garbage-{Guid.NewGuid():N}.json", content)], directory: fixture.Dir);
            AttestCli.AssertExit(2, r);
            Assert.Contains("is not an attest proof bundle", r.Stderr);
            Assert.Contains(message, r.Stderr);
            Assert.Equal("", r.Stdout);
        }

        var missing = await AttestCli.Run(["verify", Path.Combine(fixture.Dir, "no-such-bundle.json")], directory: fixture.Dir);
        AttestCli.AssertExit(2, missing);
        Assert.Contains("no such file", missing.Stderr);

        var badKey = await AttestCli.Run(["verify", good, "--log-key", "not-a-key"], directory: fixture.Dir);
        AttestCli.AssertExit(2, badKey);
        Assert.Contains("--log-key is not a C2SP signed-note verifier key", badKey.Stderr);

        var noArgument = await AttestCli.Run(["verify"], directory: fixture.Dir);
        AttestCli.AssertExit(2, noArgument);
        Assert.Contains("attest verify --help", noArgument.Stderr);
    }

    [Fact]
    public async Task json_output_parses_and_carries_the_trust_root_the_checkpoint_and_every_check_with_its_detail()
    {
        var a = await fixture.Mint("JSON Reader");
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);
        var r = await AttestCli.Run(["verify", bundle, "--json", "--log-key", fixture.VerifierKey], directory: fixture.Dir);
        AttestCli.AssertExit(0, r);
        var json = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("VALID", json.GetProperty("verdict").GetString());
        Assert.StartsWith("VALID as of checkpoint ", json.GetProperty("sentence").GetString());
        Assert.Equal(a.GetProperty("id").GetString(), json.GetProperty("attestation_id").GetString());
        Assert.Equal("Universität Ærøskøbing", json.GetProperty("issuer_name").GetString());
        var asOf = json.GetProperty("as_of");
        var checkpoint = JsonNode.Parse(await File.ReadAllTextAsync(bundle))!["log"]!["checkpoint"]!.GetValue<string>().Split('\n');
        Assert.Equal(long.Parse(checkpoint[1]), asOf.GetProperty("tree_size").GetInt64());
        Assert.Equal(checkpoint[2], asOf.GetProperty("root_hash").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", asOf.GetProperty("status_time").GetString());
        Assert.False(asOf.GetProperty("online").GetBoolean());
        var trust = json.GetProperty("trust");
        var logKey = Assert.Single(trust.GetProperty("log_keys").EnumerateArray());
        Assert.Equal(fixture.VerifierKey, logKey.GetProperty("key").GetString());
        Assert.Equal(TrustPolicy.Fingerprint(fixture.VerifierKey), logKey.GetProperty("fingerprint").GetString());
        Assert.Matches("^[0-9a-f]{4}(:[0-9a-f]{4}){7}$", logKey.GetProperty("fingerprint").GetString());
        Assert.Empty(trust.GetProperty("witnesses").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, trust.GetProperty("quorum").ValueKind);
        Assert.False(trust.GetProperty("anchor_required").GetBoolean());
        foreach (var check in json.GetProperty("checks").EnumerateArray())
        {
            Assert.Contains(check.GetProperty("result").GetString(), new[] { "pass", "skip" });
            Assert.False(string.IsNullOrWhiteSpace(check.GetProperty("detail").GetString()));
        }

        var none = await AttestCli.Run(["verify", bundle, "--json"], directory: fixture.Dir);
        AttestCli.AssertExit(1, none);
        var unverified = JsonDocument.Parse(none.Stdout).RootElement;
        Assert.False(unverified.GetProperty("ok").GetBoolean());
        Assert.Equal("UNVERIFIED", unverified.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, unverified.GetProperty("trust").ValueKind);
        Assert.StartsWith("UNVERIFIED: no trust root", unverified.GetProperty("sentence").GetString());
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private Task<VerifyReport> Verify(string bundle, params string[] options) => VerifyReport.Run(fixture.Dir, bundle, options);

    private static string[] Failed(VerifyReport r) => r.Failed;

    private async Task<string> Tampered(Action<JsonNode> tamper)
    {
        var a = await fixture.Mint("Tampered " + Guid.NewGuid().ToString("N")[..6]);
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);
        var node = JsonNode.Parse(await File.ReadAllTextAsync(bundle))!;
        tamper(node);
        return Write(node);
    }

    private string Write(JsonNode bundle) => fixture.WriteFile($"tampered-{Guid.NewGuid():N}.json", bundle.ToJsonString(Relaxed));
}
