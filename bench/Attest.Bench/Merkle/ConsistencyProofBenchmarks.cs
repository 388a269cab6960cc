using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/ConsistencyProof.cs: verifying that a random earlier size is a prefix of a 1,000,000-leaf tree
/// (proofs made once in setup from a <see cref="MemoryHashStore"/>), and proving it. Verify must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class ConsistencyProofBenchmarks
{
    private const int TreeSize = 1_000_000;
    private const int Samples = 1024; // a power of two

    private MemoryHashStore store = null!;
    private long[] oldSizes = [];
    private Hash[] oldRoots = [];
    private Hash[][] proofs = [];
    private Hash root;
    private int next;

    [GlobalSetup]
    public void Setup()
    {
        store = new MemoryHashStore();
        var entry = new byte[Data.EntrySize];
        for (int i = 0; i < TreeSize; i++)
        {
            BitConverter.TryWriteBytes(entry, i);
            store.Append(entry);
        }
        root = StoredHashes.TreeHash(TreeSize, store);
        oldSizes = Data.Indexes(Samples, TreeSize - 1).Select(i => i + 1).ToArray(); // 1 ≤ size1 < TreeSize
        oldRoots = new Hash[Samples];
        proofs = new Hash[Samples][];
        for (int s = 0; s < Samples; s++)
        {
            oldRoots[s] = StoredHashes.TreeHash(oldSizes[s], store);
            proofs[s] = ConsistencyProof.Prove(oldSizes[s], TreeSize, store);
            if (!ConsistencyProof.Verify(oldSizes[s], TreeSize, proofs[s], oldRoots[s], root))
                throw new InvalidOperationException($"the consistency proof from {oldSizes[s]} does not verify");
        }
    }

    [Benchmark]
    public Hash[] Prove()
    {
        int s = next++ & (Samples - 1);
        return ConsistencyProof.Prove(oldSizes[s], TreeSize, store);
    }

    [Benchmark]
    public bool Verify()
    {
        int s = next++ & (Samples - 1);
        return ConsistencyProof.Verify(oldSizes[s], TreeSize, proofs[s], oldRoots[s], root);
    }
}
