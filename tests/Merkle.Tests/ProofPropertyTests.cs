using System.Text;

namespace Attest.Merkle.Tests;

public class ProofPropertyTests
{
    private const int MaxSize = 10_000;

    // One log of MaxSize records: the stored hashes of any smaller tree are a prefix of it.
    private static readonly Lazy<(MemoryHashStore Store, Hash[] Leaves)> Log = new(() =>
    {
        var store = new MemoryHashStore();
        var leaves = new Hash[MaxSize];
        for (int i = 0; i < MaxSize; i++)
        {
            leaves[i] = Rfc6962.HashLeaf(Encoding.ASCII.GetBytes($"record {i}"));
            store.AppendLeafHash(leaves[i]);
        }
        return (store, leaves);
    });

    public static TheoryData<int> Sizes()
    {
        var sizes = new SortedSet<int> { 1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 4096, 9999, MaxSize };
        var random = new Random(6962);
        while (sizes.Count < 32) sizes.Add(random.Next(1, MaxSize + 1));
        return new TheoryData<int>(sizes);
    }

    // MTH(D[lo:hi]) straight from RFC 6962 §2.1, with no stored hashes: the reference for TreeHash.
    private static Hash Mth(ReadOnlySpan<Hash> leaves)
    {
        if (leaves.Length == 1) return leaves[0];
        int k = 1;
        while (k * 2 < leaves.Length) k *= 2;
        return Rfc6962.HashChildren(Mth(leaves[..k]), Mth(leaves[k..]));
    }

    private static Hash Root(long size) => StoredHashes.TreeHash(size, Log.Value.Store);

    private static Hash FlipBit(Hash h, int bit)
    {
        byte[] bytes = h.ToArray();
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        return new Hash(bytes);
    }

    private static IEnumerable<Hash[]> Mutations(Hash[] proof, Random random)
    {
        for (int i = 0; i < proof.Length; i++)
        {
            Hash[] flipped = (Hash[])proof.Clone();
            flipped[i] = FlipBit(flipped[i], random.Next(256));
            yield return flipped;
            yield return [.. proof[..i], .. proof[(i + 1)..]];
        }
        Hash extra = Rfc6962.HashLeaf("extra"u8);
        yield return [.. proof, extra];
        yield return [extra, .. proof];
        if (proof.Length > 0) yield return [.. proof, proof[^1]];
        if (proof.Length > 1) yield return [.. proof[1..], proof[0]];
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void tree_hash_from_stored_hashes_equals_the_rfc_definition(int size)
    {
        Assert.Equal(Mth(Log.Value.Leaves.AsSpan(0, size)), Root(size));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void every_inclusion_proof_verifies_and_every_mutation_of_it_fails(int size)
    {
        var (store, leaves) = Log.Value;
        var random = new Random(size);
        Hash root = Root(size);
        var indexes = new SortedSet<long> { 0, size - 1, size / 2 };
        while (indexes.Count < Math.Min(size, 12)) indexes.Add(random.NextInt64(size));
        foreach (long index in indexes)
        {
            Hash[] proof = InclusionProof.Prove(index, size, store);
            Hash leaf = leaves[index];
            Assert.True(InclusionProof.Verify(index, size, leaf, proof, root), $"{index} in {size}");
            Assert.True(proof.Length <= 64 - long.LeadingZeroCount(size - 1));

            foreach (Hash[] mutated in Mutations(proof, random))
                Assert.False(InclusionProof.Verify(index, size, leaf, mutated, root), $"mutated proof of {index} in {size}");
            Assert.False(InclusionProof.Verify(index, size, FlipBit(leaf, 0), proof, root));
            Assert.False(InclusionProof.Verify(index, size, leaf, proof, FlipBit(root, 255)));
            foreach (long other in new[] { index - 1, index + 1, index ^ 1, index ^ 2, size, -1, long.MaxValue })
                if (other != index) Assert.False(InclusionProof.Verify(other, size, leaf, proof, root), $"{index} as {other} in {size}");
            foreach (long otherSize in new[] { size - 1L, size + 1L, 2L * size, size / 2, 0 })
                if (otherSize != size && otherSize <= MaxSize)
                    Assert.False(InclusionProof.Verify(index, otherSize, leaf, proof, otherSize > 0 ? Root(otherSize) : Rfc6962.EmptyRoot), $"{index} in {size} as in {otherSize}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void every_consistency_proof_verifies_and_every_mutation_of_it_fails(int size2)
    {
        var store = Log.Value.Store;
        var random = new Random(-size2);
        Hash root2 = Root(size2);
        var olds = new SortedSet<long> { 1, size2, Math.Max(1, size2 - 1), Math.Max(1, size2 / 2) };
        while (olds.Count < Math.Min(size2, 12)) olds.Add(random.NextInt64(1, size2 + 1));
        foreach (long size1 in olds)
        {
            Hash root1 = Root(size1);
            Hash[] proof = ConsistencyProof.Prove(size1, size2, store);
            Assert.True(ConsistencyProof.Verify(size1, size2, proof, root1, root2), $"{size1} to {size2}");
            Assert.True(proof.Length <= 65 - long.LeadingZeroCount(size2 - 1));

            foreach (Hash[] mutated in Mutations(proof, random))
                Assert.False(ConsistencyProof.Verify(size1, size2, mutated, root1, root2), $"mutated proof of {size1} to {size2}");
            Assert.False(ConsistencyProof.Verify(size1, size2, proof, FlipBit(root1, 7), root2));
            Assert.False(ConsistencyProof.Verify(size1, size2, proof, root1, FlipBit(root2, 7)));
            if (size1 != size2) Assert.False(ConsistencyProof.Verify(size2, size1, proof, root2, root1));
            foreach (long other in new[] { size1 - 1, size1 + 1, size1 * 2, size1 / 2, 0 })
                if (other != size1 && other >= 1 && other <= MaxSize)
                    Assert.False(ConsistencyProof.Verify(other, size2, proof, Root(other), root2), $"{size1} as {other} to {size2}");
            foreach (long other in new[] { size2 - 1L, size2 + 1L, size2 * 2L })
                if (other != size2 && other >= 1 && other <= MaxSize)
                    Assert.False(ConsistencyProof.Verify(size1, other, proof, root1, Root(other)), $"{size1} to {size2} as {other}");
        }
    }

    [Fact]
    public void verification_allocates_nothing()
    {
        var store = Log.Value.Store;
        Hash[] inclusion = InclusionProof.Prove(1234, 5000, store);
        Hash[] consistency = ConsistencyProof.Prove(1234, 5000, store);
        Hash leaf = Log.Value.Leaves[1234], root1 = Root(1234), root2 = Root(5000);
        bool ok = true;
        for (int i = 0; i < 3; i++)
            ok &= InclusionProof.Verify(1234, 5000, leaf, inclusion, root2) && ConsistencyProof.Verify(1234, 5000, consistency, root1, root2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            ok &= InclusionProof.Verify(1234, 5000, leaf, inclusion, root2) && ConsistencyProof.Verify(1234, 5000, consistency, root1, root2);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(ok);
    }

    [Fact]
    public void proofs_read_stored_hashes_in_one_call()
    {
        var store = Log.Value.Store;
        var counting = new CountingReader(store);
        InclusionProof.Prove(777, 9999, counting);
        ConsistencyProof.Prove(777, 9999, counting);
        StoredHashes.TreeHash(9999, counting);
        Assert.Equal(3, counting.Calls);
    }

    [Fact]
    public void stored_hash_indexes_follow_go_tlog()
    {
        // The first leaves' slots in tlog's layout: leaf n is stored at n + n/2 + n/4 + ...
        long[] leafSlots = [0, 1, 3, 4, 7, 8, 10, 11, 15, 16, 18];
        for (int n = 0; n < leafSlots.Length; n++) Assert.Equal(leafSlots[n], StoredHashes.StoredHashIndex(0, n));
        Assert.Equal(2, StoredHashes.StoredHashIndex(1, 0));
        Assert.Equal(6, StoredHashes.StoredHashIndex(2, 0));
        Assert.Equal(14, StoredHashes.StoredHashIndex(3, 0));

        long expectedCount = 0;
        var store = new MemoryHashStore();
        Span<Hash> added = stackalloc Hash[64];
        for (long n = 0; n <= 3000; n++)
        {
            Assert.Equal(expectedCount, StoredHashes.StoredHashCount(n));
            expectedCount += StoredHashes.ForRecord(n, Rfc6962.HashLeaf([]), store, added);
            store.AppendLeafHash(Rfc6962.HashLeaf([]));
        }
        for (long index = 0; index < 20_000; index++)
        {
            (int level, long n) = StoredHashes.SplitStoredHashIndex(index);
            Assert.Equal(index, StoredHashes.StoredHashIndex(level, n));
        }
    }

    [Fact]
    public void for_record_needs_room_for_every_hash_it_writes()
    {
        var store = Rfc6962Tests.ReferenceTree(); // 8 records: record 7 completes three subtrees
        Assert.Equal(4, StoredHashes.ForRecord(7, Rfc6962.HashLeaf([]), store, new Hash[4]));
        Assert.Throws<ArgumentException>(() => StoredHashes.ForRecord(7, Rfc6962.HashLeaf([]), store, new Hash[3]));
    }

    private sealed class CountingReader(IHashReader inner) : IHashReader
    {
        public int Calls { get; private set; }

        public void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> hashes)
        {
            Calls++;
            inner.ReadHashes(indexes, hashes);
        }
    }
}
