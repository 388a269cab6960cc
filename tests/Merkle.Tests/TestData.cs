namespace Attest.Merkle.Tests;

/// <summary>
/// The public test vectors in tests/testdata, copied from ../shared/testvectors (see tests/testdata/README.md for
/// where each set comes from and its licence).
/// </summary>
internal static class TestData
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "testdata");
            if (File.Exists(Path.Combine(candidate, "README.md"))) return candidate;
        }
        throw new InvalidOperationException("tests/testdata not found above " + AppContext.BaseDirectory);
    }
}
