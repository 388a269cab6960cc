using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>
/// A pinned policy with witnesses on the page: real witnesses (Attest.Witness, in this process, on loopback ports)
/// cosign the server's checkpoints, and the browser checks each cosignature (c2sp.org/tlog-cosignature) and the
/// policy's quorum; a quorum they meet is VALID, one they cannot meet is UNVERIFIED, a forged cosignature fails its
/// witness's check without making the bundle ALTERED.
/// </summary>
public sealed class WebPageWitnessTests : IAsyncLifetime
{
    private const string Origin = "test.attest.local/log";
    private readonly LoopbackWitness one;
    private readonly LoopbackWitness two;
    private readonly string logPrivateKey;
    private readonly string logVerifierKey;
    private ServerProcess server = null!;
    private string bundle = "";

    public WebPageWitnessTests()
    {
        (logPrivateKey, logVerifierKey) = NoteSigner.Generate(Origin);
        one = new LoopbackWitness("witness.test/one", Origin, logVerifierKey);
        two = new LoopbackWitness("witness.test/two", Origin, logVerifierKey);
    }

    public async Task InitializeAsync()
    {
        await one.Start();
        await two.Start();
        server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Log__PrivateKey"] = logPrivateKey,
            ["Attest__WitnessPolicy__Mode"] = "FailOpen",
            ["Attest__WitnessPolicy__Timeout"] = "00:00:10",
            ["Attest__WitnessPolicy__Quorum"] = "2",
            ["Attest__Witnesses__0__Url"] = one.Url,
            ["Attest__Witnesses__0__VerifierKey"] = one.VerifierKey,
            ["Attest__Witnesses__1__Url"] = two.Url,
            ["Attest__Witnesses__1__VerifierKey"] = two.VerifierKey,
        });
        var c = server.Client;
        string issuerId = await c.CreateIssuer("Witnessed University");
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var minted = await c.Mint(AttestApi.MintBody(issuerId, kid));
        await c.CheckpointCovering(await c.TreeSize());
        using var response = await c.GetAsync($"v1/attestations/{minted.Str("id")}/proof-bundle?holder_token={minted.Str("holder_token")}");
        bundle = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, bundle);
        // Both witnesses cosigned the bundle's checkpoint: the server's quorum of 2 is met before it publishes.
        string note = JsonDocument.Parse(bundle).RootElement.GetProperty("log").Str("checkpoint");
        Assert.Equal(2, Note.Open(Encoding.UTF8.GetBytes(note), [one.Verifier, two.Verifier]).Verified.Count);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(server.DataDir, recursive: true);
        await one.DisposeAsync();
        await two.DisposeAsync();
    }

    private string Policy(string quorum, params (string Name, string Key)[] witnesses) =>
        $"log {logVerifierKey}\n" + string.Concat(witnesses.Select(w => $"witness {w.Name} {w.Key}\n")) + quorum;

    private static string[] ChecksWith(params string[] witnesses) =>
        [.. VerificationPage.AttestationChecks[..6], .. witnesses.Select(w => "witness:" + w), .. VerificationPage.AttestationChecks[6..]];

    private static readonly string[] Offline = [.. VerificationPage.OfflineSkips.Where(c => c != "witness_quorum")];

    [Fact]
    public async Task a_policy_whose_quorum_the_cosigning_witnesses_meet_is_valid()
    {
        string policy = Policy("group both all one two\nquorum both\n", ("one", one.VerifierKey), ("two", two.VerifierKey));
        var r = (await Verify(bundle, policy)).GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        VerificationPage.AssertChecks(r, ChecksWith("one", "two"), failed: [], skipped: Offline);
        Assert.Contains("cosigned the bundle's checkpoint at", VerificationPage.Detail(r, "witness:one"));
    }

    [Fact]
    public async Task a_policy_needing_a_witness_that_never_cosigned_is_unverified()
    {
        var (_, absent) = CosignatureSigner.Generate("witness.test/three");
        string policy = Policy("group two-of-them 2 one three\nquorum two-of-them\n", ("one", one.VerifierKey), ("three", absent));
        var r = (await Verify(bundle, policy)).GetProperty("result");
        Assert.Equal("UNVERIFIED", r.Str("verdict"));
        VerificationPage.AssertChecks(r, ChecksWith("one", "three"), failed: ["witness_quorum"], skipped: ["witness:three", .. Offline]);
    }

    [Fact]
    public async Task a_forged_cosignature_fails_its_witness_and_the_quorum_without_making_the_bundle_altered()
    {
        // One character inside witness two's signature line of log.checkpoint (the entries' proofs keep the real note).
        var node = JsonNode.Parse(bundle)!;
        string note = node["log"]!["checkpoint"]!.GetValue<string>();
        int line = note.IndexOf("\u2014 witness.test/two ", StringComparison.Ordinal);
        Assert.True(line >= 0, note);
        int at = line + "\u2014 witness.test/two ".Length + 40;
        node["log"]!["checkpoint"] = note[..at] + (note[at] == 'A' ? 'B' : 'A') + note[(at + 1)..];
        string policy = Policy("quorum two\n", ("one", one.VerifierKey), ("two", two.VerifierKey));
        var r = (await Verify(node.ToJsonString(), policy)).GetProperty("result");
        Assert.Equal("UNVERIFIED", r.Str("verdict"));
        VerificationPage.AssertChecks(r, ChecksWith("one", "two"), failed: ["witness:two", "witness_quorum"], skipped: Offline);
    }

    private async Task<JsonElement> Verify(string bundleText, string policy)
    {
        string bundleFile = Path.Combine(Path.GetTempPath(), $"attest-page-{Guid.NewGuid():N}.json");
        string policyFile = Path.Combine(Path.GetTempPath(), $"attest-page-{Guid.NewGuid():N}.policy");
        await File.WriteAllTextAsync(bundleFile, bundleText, new UTF8Encoding(false));
        await File.WriteAllTextAsync(policyFile, policy, new UTF8Encoding(false));
        try
        {
            var seen = await VerificationPage.RunPage(server, "verify-bundle", bundleFile, "--trust", policyFile);
            VerificationPage.AssertAgreesWithBundleVerifier(bundleText, policy, seen.GetProperty("result"));
            return seen;
        }
        finally
        {
            File.Delete(bundleFile);
            File.Delete(policyFile);
        }
    }
}
