using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// A note relayed through several hands can gain a copy of a signature line. Go's note.Open (golang.org/x/mod/sumdb/note)
/// reads a key's first line and drops identical unknown ones; every verifier here does the same, so a witness line
/// copied into each checkpoint of a bundle changes no verdict (it was ALTERED in attest verify and the page, VALID in
/// the independent verifier). The witness line in each entry's proof and in log.checkpoint is copied.
/// </summary>
public sealed partial class RepeatedCosignatureTests : IAsyncLifetime
{
    private ServerProcess server = null!;
    private string dir = null!;

    public async Task InitializeAsync()
    {
        server = await ServerProcess.Start();
        dir = Directory.CreateTempSubdirectory("attest-repeated-").FullName;
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(BundleVectors.CommittedDir, "good.json")))!;
        int copied = Repeat(bundle);
        Assert.True(copied > 1, $"the good bundle's checkpoints carry no witness line to copy ({copied})");
        await File.WriteAllTextAsync(Path.Combine(dir, "repeated.json"), bundle.ToJsonString());
        File.Copy(Path.Combine(BundleVectors.CommittedDir, BundleVectors.QuorumPolicy), Path.Combine(dir, BundleVectors.QuorumPolicy));
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(server.DataDir, recursive: true);
        Directory.Delete(dir, recursive: true);
    }

    // Every string of the bundle that holds a witness signature line gets that line twice; the anchor's checkpoint is
    // also written inside its logged anchor/v1 entry, which a relay cannot change, so the anchor is left as it is.
    private static int Repeat(JsonNode node)
    {
        int copied = 0;
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    if (name == "anchor") continue;
                    if (child is JsonValue v && v.TryGetValue<string>(out var text) && WitnessLine().IsMatch(text))
                    {
                        o[name] = WitnessLine().Replace(text, m => m.Value + m.Value);
                        copied++;
                    }
                    else if (child is not null)
                    {
                        copied += Repeat(child);
                    }
                }
                break;
            case JsonArray a:
                foreach (var child in a) if (child is not null) copied += Repeat(child);
                break;
        }
        return copied;
    }

    [GeneratedRegex("— witness\\.test/w1 [A-Za-z0-9+/=]+\n")]
    private static partial Regex WitnessLine();

    private static BundleVector Vector => new("repeated-cosignature", "The good bundle with its witness line copied in every checkpoint.", "repeated.json",
        TrustKind.Policy, BundleVectors.QuorumPolicy, BundleReport.Valid, BundleReport.Valid, [Verifiers.Cli, Verifiers.Npm, Verifiers.Page], []);

    [Fact]
    public async Task a_witness_line_copied_into_every_checkpoint_leaves_the_bundle_valid_in_every_verifier()
    {
        var answers = new Dictionary<string, VerifierAnswer>
        {
            ["cli"] = await VectorVerifiers.Cli(dir, Vector),
            ["npm"] = await VectorVerifiers.Npm(dir, Vector),
            ["page"] = await VectorVerifiers.Page(dir, Vector, server.BaseAddress),
        };
        foreach (var (verifier, answer) in answers) Assert.True(answer.Verdict == BundleReport.Valid, $"{verifier}: {answer.Verdict}\n{answer.Evidence}");
    }
}
