using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli.Tests.Verify;

/// <summary>
/// <c>attest verify --policy</c> (docs/VERIFYING.md "Policy file") on real bundles: a policy met is VALID, a witness
/// quorum or an anchor the bundle lacks is UNVERIFIED, and a policy file that is not one stops the verifier naming the line.
/// </summary>
public sealed class PolicyVerifyTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    private static readonly string WitnessKey = CosignatureSigner.Generate("witness.example/w1").VerifierKey;
    private static readonly string OtherWitnessKey = CosignatureSigner.Generate("witness.example/w2").VerifierKey;

    [Fact]
    public async Task a_policy_naming_the_log_alone_is_a_trust_root_and_the_bundle_is_valid()
    {
        string bundle = await Bundle();
        string policy = Policy($"log {fixture.VerifierKey} {fixture.Url}\nquorum none\nanchor optional\n");
        var r = await VerifyReport.Run(fixture.Dir, bundle, "--policy", policy);
        AttestCli.AssertExit(0, r.Result);
        Assert.Equal("VALID", r.Verdict);
        Assert.Equal("pass", r.Checks["checkpoint_signature"]);
        Assert.Contains("quorum none", r.Detail("witness_quorum"));

        var text = await AttestCli.Run(["verify", bundle, "--policy", policy], directory: fixture.Dir);
        AttestCli.AssertExit(0, text);
        Assert.Contains($"fingerprint {TrustPolicy.Fingerprint(fixture.VerifierKey)} (policy {policy})", text.Stdout);
    }

    [Fact]
    public async Task a_witness_quorum_the_checkpoint_does_not_meet_is_unverified()
    {
        string bundle = await Bundle();
        string policy = Policy($"""
            log {fixture.VerifierKey}
            witness w1 {WitnessKey} https://w1.example
            witness w2 {OtherWitnessKey}
            group both all w1 w2
            quorum both
            """);
        var r = await VerifyReport.Run(fixture.Dir, bundle, "--policy", policy);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal("UNVERIFIED", r.Verdict);
        // This server has no witnesses: the checkpoint carries no cosignature, which is not a failure of the witness.
        Assert.Equal("skip", r.Checks["witness:w1"]);
        Assert.Equal("skip", r.Checks["witness:w2"]);
        Assert.Equal(["witness_quorum"], r.Failed);
        Assert.StartsWith("UNVERIFIED: the trust policy is not met (witness_quorum: ", r.Sentence);

        var trust = r.Json.GetProperty("trust");
        Assert.Equal("both", trust.GetProperty("quorum").GetString());
        var witnesses = trust.GetProperty("witnesses").EnumerateArray().ToArray();
        Assert.Equal(["w1", "w2"], witnesses.Select(w => w.GetProperty("name").GetString()));
        Assert.Equal(WitnessKey, witnesses[0].GetProperty("key").GetString());
        Assert.Equal(TrustPolicy.Fingerprint(WitnessKey), witnesses[0].GetProperty("fingerprint").GetString());
    }

    [Fact]
    public async Task an_anchor_required_of_an_unanchored_bundle_is_unverified()
    {
        string bundle = await Bundle();
        var r = await VerifyReport.Run(fixture.Dir, bundle, "--policy", Policy($"log {fixture.VerifierKey}\nanchor required\n"));
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal("UNVERIFIED", r.Verdict);
        Assert.Equal(["anchor"], r.Failed);
        Assert.Contains("the policy requires an anchor", r.Detail("anchor"));
        Assert.True(r.Json.GetProperty("trust").GetProperty("anchor_required").GetBoolean());
    }

    [Fact]
    public async Task a_malformed_policy_stops_the_verifier_with_exit_code_2_naming_the_line()
    {
        string bundle = await Bundle();
        string log = fixture.VerifierKey;
        var cases = new (string Policy, string Message)[]
        {
            ("log not-a-key\n", "policy line 1: \"not-a-key\" is not a signed-note verifier key"),
            ($"# comment\n\nlog {log}\nwitnes w1 {WitnessKey}\n", "policy line 4: unknown statement \"witnes\""),
            ($"log {log}\nquorum none\nquorum none\n", "policy line 3: a second quorum"),
            ($"log {log}\ngroup g any w1\n", "policy line 2: \"w1\" is not a witness or group defined above"),
            ($"log {log}\nwitness w1 {log}\n", "policy line 2: "), // a log key is not a cosignature key
            ($"log {log}\nwitness w1 {WitnessKey}\ngroup g 2 w1\n", "policy line 3: the threshold \"2\""),
            ($"log {log}\nwitness none {WitnessKey}\n", "policy line 2: \"none\" is reserved"),
            ($"log {log}\nanchor always\n", "policy line 2: \"anchor <required|optional>\""),
            ($"witness w1 {WitnessKey}\nquorum w1\n", "the policy names no log"),
        };
        foreach (var (text, message) in cases)
        {
            var r = await AttestCli.Run(["verify", bundle, "--policy", Policy(text)], directory: fixture.Dir);
            AttestCli.AssertExit(2, r);
            Assert.Contains(message, r.Stderr);
            Assert.Equal("", r.Stdout);
        }

        var both = await AttestCli.Run(["verify", bundle, "--policy", Policy($"log {log}\n"), "--log-key", log], directory: fixture.Dir);
        AttestCli.AssertExit(2, both);
        Assert.Contains("--log-key or --policy, not both", both.Stderr);

        var missing = await AttestCli.Run(["verify", bundle, "--policy", Path.Combine(fixture.Dir, "no-such-policy")], directory: fixture.Dir);
        AttestCli.AssertExit(2, missing);
        Assert.Contains("no such file", missing.Stderr);

        var large = await AttestCli.Run(["verify", bundle, "--policy", Policy($"log {log}\n" + new string('#', TrustPolicy.MaxBytes))], directory: fixture.Dir);
        AttestCli.AssertExit(2, large);
        Assert.Contains("a policy is at most", large.Stderr);
    }

    private async Task<string> Bundle()
    {
        var a = await fixture.Mint("Policy Holder " + Guid.NewGuid().ToString("N")[..6]);
        return await fixture.Bundle(a.GetProperty("id").GetString()!);
    }

    private string Policy(string text) => fixture.WriteFile($"policy-{Guid.NewGuid():N}.txt", text);
}
