namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// The committed copy of the vectors (tests/testdata/bundles/), kept for verifiers outside this repository: its
/// manifest is the generator's, and the offline verifiers reach the expected offline verdict on every static bundle.
/// No server runs: offline verdicts depend on nothing but the files.
/// </summary>
public sealed class CommittedVectorTests
{
    private static readonly string Dir = BundleVectors.CommittedDir;

    [Fact]
    public void the_committed_manifest_is_the_generators_and_names_only_files_that_are_there()
    {
        Assert.Equal(BundleVectors.ManifestJson(), File.ReadAllText(Path.Combine(Dir, "vectors.json")));
        var vectors = BundleVectors.ReadManifest(Dir);
        Assert.Equal(BundleVectors.All.Select(v => v.Name), vectors.Select(v => v.Name));
        foreach (var v in vectors)
        {
            Assert.True(File.Exists(Path.Combine(Dir, v.Bundle)), $"{v.Name}: no {v.Bundle}");
            Assert.True(v.TrustFile is null == (v.Trust == TrustKind.None), $"{v.Name}: trust {v.Trust} with file {v.TrustFile}");
            if (v.TrustFile is not null) Assert.True(File.Exists(Path.Combine(Dir, v.TrustFile)), $"{v.Name}: no {v.TrustFile}");
        }
        string readme = File.ReadAllText(Path.Combine(Dir, "README.md"));
        foreach (var v in vectors) Assert.Contains($"`{v.Name}`", readme);
    }

    [Fact]
    public async Task the_csharp_library_reaches_every_expected_offline_verdict_on_the_committed_bundles() =>
        await VectorVerifiers.AssertAll(BundleVectors.ReadManifest(Dir), Verifiers.Cli, v => v.ExpectedOffline, v => VectorVerifiers.Library(Dir, v), failedChecks: true);

    [Fact]
    public async Task attest_verify_reaches_every_expected_offline_verdict_on_the_committed_bundles() =>
        await VectorVerifiers.AssertAll(BundleVectors.ReadManifest(Dir), Verifiers.Cli, v => v.ExpectedOffline, v => VectorVerifiers.Cli(Dir, v), failedChecks: true);

    [Fact]
    public async Task the_independent_npm_verifier_reaches_every_expected_offline_verdict_on_the_committed_bundles() =>
        await VectorVerifiers.AssertAll(BundleVectors.ReadManifest(Dir), Verifiers.Npm, v => v.ExpectedOffline, v => VectorVerifiers.Npm(Dir, v));
}
