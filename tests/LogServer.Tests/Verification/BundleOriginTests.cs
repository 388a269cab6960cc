using System.Text.Json.Nodes;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// <c>log.origin</c> is a field of the bundle that attest verify prints ("log …"): a verifier that did not hold it to
/// the signed checkpoint's origin would print a log name nothing proves. Every verifier calls the edit ALTERED.
/// </summary>
public sealed class BundleOriginTests : IAsyncLifetime
{
    private ServerProcess server = null!;
    private string dir = null!;

    public async Task InitializeAsync()
    {
        server = await ServerProcess.Start();
        dir = Directory.CreateTempSubdirectory("attest-origin-").FullName;
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(BundleVectors.CommittedDir, "good.json")))!;
        bundle["log"]!["origin"] = "evil.example/log";
        await File.WriteAllTextAsync(Path.Combine(dir, "origin.json"), bundle.ToJsonString());
        File.Copy(Path.Combine(BundleVectors.CommittedDir, BundleVectors.LogKeyFile), Path.Combine(dir, BundleVectors.LogKeyFile));
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(server.DataDir, recursive: true);
        Directory.Delete(dir, recursive: true);
    }

    private static BundleVector Vector => new("edited-origin", "The good bundle with log.origin edited.", "origin.json", TrustKind.LogKey, BundleVectors.LogKeyFile,
        BundleReport.Altered, BundleReport.Altered, Verifiers.All, [BundleVerifier.CheckpointSignature]);

    [Fact]
    public async Task attest_verify_the_independent_verifier_the_page_and_the_server_call_an_edited_log_origin_altered()
    {
        var answers = new Dictionary<string, VerifierAnswer>
        {
            ["cli"] = await VectorVerifiers.Cli(dir, Vector),
            ["npm"] = await VectorVerifiers.Npm(dir, Vector),
            ["page"] = await VectorVerifiers.Page(dir, Vector, server.BaseAddress),
            ["server"] = await VectorVerifiers.Server(dir, Vector, server.Client),
        };
        foreach (var (verifier, answer) in answers) Assert.True(answer.Verdict == BundleReport.Altered, $"{verifier}: {answer.Verdict}\n{answer.Evidence}");
        Assert.Equal([BundleVerifier.CheckpointSignature], answers["cli"].Failed!);
    }
}
