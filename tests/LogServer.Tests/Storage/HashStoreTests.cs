using System.Text;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Storage;

/// <summary>The on-disk hash store (upper levels in memory, lower ones read from the file) answers as the in-memory one.</summary>
public sealed class HashStoreTests
{
    // 140,000 records span more than one of the 4 MiB reads that load the upper levels on open.
    [Theory]
    [InlineData(3000, 1234)]
    [InlineData(140_000, 70_001)]
    public void proofs_tiles_and_roots_from_the_file_equal_those_of_the_in_memory_store_before_and_after_reopening_and_truncating(int records, int truncateTo)
    {
        string path = Path.Combine(Path.GetTempPath(), "attest-hashes-" + Guid.NewGuid().ToString("N"));
        var memory = new MemoryHashStore();
        var leaves = Enumerable.Range(0, records).Select(i => Rfc6962.HashLeaf(Encoding.UTF8.GetBytes($"entry {i}"))).ToArray();
        foreach (var leaf in leaves) memory.AppendLeafHash(leaf);
        try
        {
            using (var store = new HashStore(path))
            {
                Append(store, leaves, 0, records);
                AssertSame(memory, store, records);
            }
            using (var store = new HashStore(path))
            {
                AssertSame(memory, store, records);
                // Recovery truncates to a flushed length and integrates the rest again.
                store.Truncate(StoredHashes.StoredHashCount(truncateTo));
                AssertSame(memory, store, truncateTo);
                Append(store, leaves, truncateTo, records);
                AssertSame(memory, store, records);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Append(HashStore store, Hash[] leaves, int from, int to)
    {
        Span<Hash> buf = stackalloc Hash[64];
        for (int n = from; n < to; n++)
        {
            store.Stage(buf[..StoredHashes.ForRecord(n, leaves[n], store, buf)]);
            if (n % 100 == 99 || n == to - 1) store.WriteStaged();
        }
    }

    private static void AssertSame(MemoryHashStore memory, HashStore store, long size)
    {
        Assert.Equal(StoredHashes.StoredHashCount(size), store.Count);
        var random = new Random(7);
        foreach (long n in new long[] { 1, 2, 255, 256, 257, 511, 512, 1000, 65_537, size - 1, size }.Where(n => n >= 1 && n <= size))
        {
            Assert.Equal(StoredHashes.TreeHash(n, memory), StoredHashes.TreeHash(n, store));
            for (int k = 0; k < 20; k++)
            {
                long i = random.NextInt64(n);
                Assert.Equal(InclusionProof.Prove(i, n, memory), InclusionProof.Prove(i, n, store));
            }
            foreach (var tile in Tile.NewTiles(0, n))
                Assert.Equal(Tile.ReadTileData(tile, memory), Tile.ReadTileData(tile, store));
        }
        for (int k = 0; k < 50; k++)
        {
            long m = random.NextInt64(1, size + 1), n = random.NextInt64(m, size + 1);
            Assert.Equal(ConsistencyProof.Prove(m, n, memory), ConsistencyProof.Prove(m, n, store));
        }
    }
}
