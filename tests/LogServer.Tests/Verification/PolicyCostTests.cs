using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// A policy is input from whoever hands it over (a file to the CLI and the page, the <c>policy</c> of anyone's
/// <c>POST /v1/verify</c>), so judging its quorum must cost in proportion to its size. Groups may name groups above
/// them, and two groups may share a member: a chain of groups each naming the two above it is a small DAG whose paths
/// number about 1.6 to the power of its length.
/// </summary>
public sealed class PolicyCostTests : IAsyncLifetime
{
    private const int Groups = 200;

    private ServerProcess server = null!;
    private string dir = null!;

    public async Task InitializeAsync()
    {
        server = await ServerProcess.Start();
        dir = Directory.CreateTempSubdirectory("attest-policy-cost-").FullName;
        File.Copy(Path.Combine(BundleVectors.CommittedDir, "good.json"), Path.Combine(dir, "good.json"));
        // The committed quorum policy (the vectors' log and its one witness, w1), its quorum replaced by the chain.
        var policy = new StringBuilder();
        foreach (string line in File.ReadAllLines(Path.Combine(BundleVectors.CommittedDir, BundleVectors.QuorumPolicy)).Where(l => !l.StartsWith("quorum", StringComparison.Ordinal)))
            policy.Append(line).Append('\n');
        policy.Append("group g0 any w1\ngroup g1 any g0 w1\n");
        for (int i = 2; i < Groups; i++) policy.Append($"group g{i} any g{i - 1} g{i - 2}\n");
        policy.Append($"quorum g{Groups - 1}\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "chain.policy"), policy.ToString());
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(server.DataDir, recursive: true);
        Directory.Delete(dir, recursive: true);
    }

    private static BundleVector Vector => new("chained-groups", "The good bundle under a policy of 200 groups, each naming the two above it.",
        "good.json", TrustKind.Policy, "chain.policy", BundleReport.Valid, null, Verifiers.All, []);

    [Fact]
    public async Task attest_verify_judges_a_quorum_of_chained_groups_once_each()
    {
        var answer = await VectorVerifiers.Cli(dir, Vector);
        Assert.True(answer.Verdict == BundleReport.Valid, answer.Evidence);
    }

    [Fact]
    public async Task the_independent_verifier_judges_a_quorum_of_chained_groups_once_each()
    {
        var answer = await VectorVerifiers.Npm(dir, Vector);
        Assert.True(answer.Verdict == BundleReport.Valid, answer.Evidence);
    }

    [Fact]
    public async Task the_web_page_judges_a_quorum_of_chained_groups_once_each()
    {
        var answer = await VectorVerifiers.Page(dir, Vector, server.BaseAddress);
        Assert.True(answer.Verdict == BundleReport.Valid, answer.Evidence);
    }

    [Fact]
    public async Task the_servers_verify_answers_a_policy_of_chained_groups_from_anyone()
    {
        // The bundle is of the vectors' log, not this one: the server judges it under the policy, then says UNKNOWN.
        var body = new JsonObject
        {
            ["bundle"] = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "good.json"))),
            ["policy"] = await File.ReadAllTextAsync(Path.Combine(dir, "chain.policy")),
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync("v1/verify", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("UNKNOWN", doc.RootElement.GetProperty("verdict").GetString());
        var quorum = doc.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == BundleVerifier.WitnessQuorum);
        Assert.Equal("pass", quorum.GetProperty("result").GetString());
    }
}
