using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/InclusionProof.cs: proving and verifying random leaves of a <see cref="MemoryHashStore"/> tree of
/// <see cref="TreeSize"/> leaves built once (the Go sumdb/tlog peer figure is for a 2M-leaf tree). Each call takes
/// the next of 4096 pre-drawn random indexes. Verify must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class InclusionProofBenchmarks
{
    private const int Samples = 4096; // a power of two

    [Params(1_000_000, 2_000_000)]
    public int TreeSize { get; set; }

    private MemoryHashStore store = null!;
    private long[] indexes = [];
    private Hash[] leafHashes = [];
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
        indexes = Data.Indexes(Samples, TreeSize);
        leafHashes = new Hash[Samples];
        proofs = new Hash[Samples][];
        for (int s = 0; s < Samples; s++)
        {
            BitConverter.TryWriteBytes(entry, (int)indexes[s]);
            leafHashes[s] = Rfc6962.HashLeaf(entry);
            proofs[s] = InclusionProof.Prove(indexes[s], TreeSize, store);
            if (!InclusionProof.Verify(indexes[s], TreeSize, leafHashes[s], proofs[s], root))
                throw new InvalidOperationException($"the proof of leaf {indexes[s]} does not verify");
        }
    }

    [Benchmark]
    public Hash[] Prove()
    {
        int s = next++ & (Samples - 1);
        return InclusionProof.Prove(indexes[s], TreeSize, store);
    }

    [Benchmark]
    public bool Verify()
    {
        int s = next++ & (Samples - 1);
        return InclusionProof.Verify(indexes[s], TreeSize, leafHashes[s], proofs[s], root);
    }
}
