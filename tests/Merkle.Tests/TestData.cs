namespace Attest.Merkle.Tests;

/// <summary>
/// The public test vectors in tests/testdata, copied from ../shared/testvectors (see tests/testdata/README.md for
/// where each set comes from and its licence).
/// </summary>
internal static class TestData
{
    public static string Root { get; } = Path.Combine(ExternalTools.RepoRoot, "tests", "testdata");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);
}
