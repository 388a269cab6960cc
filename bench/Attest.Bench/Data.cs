namespace Attest.Bench;

/// <summary>Deterministic benchmark inputs.</summary>
internal static class Data
{
    /// <summary>The entry size every figure is quoted for (a stamp or a pre-signed statement is about this size).</summary>
    public const int EntrySize = 300;

    /// <summary><paramref name="count"/> distinct pseudo-random byte arrays of <paramref name="size"/> bytes.</summary>
    public static byte[][] Entries(int count, int size = EntrySize, int seed = 6962)
    {
        var random = new Random(seed);
        var entries = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            entries[i] = new byte[size];
            random.NextBytes(entries[i]);
        }
        return entries;
    }

    /// <summary><paramref name="count"/> pseudo-random values in [0, <paramref name="below"/>).</summary>
    public static long[] Indexes(int count, long below, int seed = 9162)
    {
        var random = new Random(seed);
        var indexes = new long[count];
        for (int i = 0; i < count; i++) indexes[i] = random.NextInt64(below);
        return indexes;
    }

    /// <summary>A fresh directory under the system temp directory, for one benchmark process.</summary>
    public static string TempDirectory(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;
}
