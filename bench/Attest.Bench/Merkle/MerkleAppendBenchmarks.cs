using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/StoredHashes.cs: building a tree in memory, one <see cref="MemoryHashStore.Append"/> per pre-made
/// 300-byte entry (leaf hash, then the hashes of the subtrees it completes: on average 2 SHA-256 per leaf).
/// Each invocation builds a fresh tree of <see cref="Leaves"/> leaves; figures are per append.
/// </summary>
/// <remarks>
/// The allocation column is the store's own array doubling (about 2 stored hashes of 32 bytes per leaf, times the
/// geometric growth), amortised per append; nothing else allocates.
/// </remarks>
[MemoryDiagnoser]
public class MerkleAppendBenchmarks
{
    public const int Leaves = 1 << 16;

    private byte[][] entries = [];
    private Hash[] leafHashes = [];

    [GlobalSetup]
    public void Setup()
    {
        entries = Data.Entries(Leaves);
        leafHashes = [.. entries.Select(e => Rfc6962.HashLeaf(e))];
    }

    [Benchmark(OperationsPerInvoke = Leaves)]
    public long Append()
    {
        var store = new MemoryHashStore();
        foreach (var e in entries) store.Append(e);
        return store.Size;
    }

    /// <summary>
    /// The same tree from pre-computed leaf hashes (<see cref="MemoryHashStore.AppendLeafHash"/>): the tree part of an
    /// append alone, on average one 65-byte SHA-256 per leaf plus the stored-hash bookkeeping.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Leaves)]
    public long AppendLeafHash()
    {
        var store = new MemoryHashStore();
        foreach (var h in leafHashes) store.AppendLeafHash(h);
        return store.Size;
    }
}
