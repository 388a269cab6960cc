namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// "One truth for every verifier" (docs/VERIFYING.md): on every vector of tests/testdata/bundles/vectors.json,
/// generated afresh from real processes by <see cref="VectorFixture"/>, the C# library, <c>attest verify</c>, the
/// server's <c>POST /v1/verify</c>, the independent npm verifier and the web page in chromium reach the verdict the
/// manifest expects, offline and (where they can) online. The online checks ask the log server that produced the
/// vectors; for the forged vector that is the real log, which never logged it.
/// </summary>
public sealed class VectorAgreementTests(VectorFixture fixture) : IClassFixture<VectorFixture>
{
    [Fact]
    public void the_generator_writes_the_committed_manifest()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(BundleVectors.CommittedDir, "vectors.json")), File.ReadAllText(Path.Combine(fixture.Dir, "vectors.json")));
        foreach (var v in BundleVectors.All) Assert.True(File.Exists(Path.Combine(fixture.Dir, v.Bundle)), $"the generator wrote no {v.Bundle}");
    }

    [Fact]
    public async Task the_csharp_library_reaches_every_expected_verdict_offline_and_online()
    {
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Cli, v => v.ExpectedOffline, v => VectorVerifiers.Library(fixture.Dir, v), failedChecks: true);
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Cli, v => v.ExpectedOnline, v => VectorVerifiers.Library(fixture.Dir, v, fixture.Server.Client));
    }

    [Fact]
    public async Task attest_verify_reaches_every_expected_verdict_offline_and_online()
    {
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Cli, v => v.ExpectedOffline, v => VectorVerifiers.Cli(fixture.Dir, v), failedChecks: true);
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Cli, v => v.ExpectedOnline, v => VectorVerifiers.Cli(fixture.Dir, v, fixture.Server.BaseAddress));
    }

    [Fact]
    public async Task the_servers_verify_reaches_every_expected_online_verdict() =>
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Server, v => v.ExpectedOnline, v => VectorVerifiers.Server(fixture.Dir, v, fixture.Server.Client));

    [Fact]
    public async Task the_independent_npm_verifier_reaches_every_expected_offline_verdict() =>
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Npm, v => v.ExpectedOffline, v => VectorVerifiers.Npm(fixture.Dir, v));

    [Fact]
    public async Task the_web_page_in_chromium_reaches_every_expected_offline_verdict() =>
        await VectorVerifiers.AssertAll(BundleVectors.All, Verifiers.Page, v => v.ExpectedOffline, v => VectorVerifiers.Page(fixture.Dir, v, fixture.Server.BaseAddress));
}
