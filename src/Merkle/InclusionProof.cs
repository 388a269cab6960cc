using System.Diagnostics;

namespace Attest.Merkle;

/// <summary>
/// Merkle inclusion proofs (audit paths): RFC 6962 §2.1.1 to generate, RFC 9162 §2.1.3.2 to verify. A proof is the
/// list of sibling hashes from the leaf up to the root, leaf-level first.
/// </summary>
public static class InclusionProof
{
    /// <summary>
    /// The audit path PATH(index, D[treeSize]) of RFC 6962 §2.1.1 (tlog ProveRecord), at most 63 hashes. Reads the
    /// O(log n) stored hashes it needs in one <see cref="IHashReader.ReadHashes"/> call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">unless 0 ≤ index &lt; treeSize.</exception>
    public static Hash[] Prove(long index, long treeSize, IHashReader r)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, treeSize);
        ArgumentNullException.ThrowIfNull(r);

        Span<long> indexes = stackalloc long[StoredHashes.MaxProofReads];
        int count = LeafProofIndex(0, treeSize, index, indexes, 0);
        if (count == 0) return [];
        Span<Hash> hashes = stackalloc Hash[count];
        r.ReadHashes(indexes[..count], hashes);

        Span<Hash> proof = stackalloc Hash[64];
        int used = 0;
        int length = LeafProof(0, treeSize, index, hashes, ref used, proof);
        if (used != count) throw new UnreachableException("inclusion proof read hashes it did not use");
        return proof[..length].ToArray();
    }

    /// <summary>
    /// Verifies that <paramref name="proof"/> shows the leaf with hash <paramref name="leafHash"/> at
    /// <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves with root <paramref name="root"/>,
    /// by the algorithm of RFC 9162 §2.1.3.2 (reads 32 bytes per proof element; allocates nothing). Any
    /// argument out of range, extra or missing element is a failed proof, not an exception.
    /// </summary>
    public static bool Verify(long index, long treeSize, in Hash leafHash, ReadOnlySpan<Hash> proof, in Hash root) =>
        RootFrom(index, treeSize, leafHash, proof) is { } r && r.Equals(root);

    /// <summary>
    /// The root that <paramref name="proof"/> leads to from the leaf <paramref name="leafHash"/> at
    /// <paramref name="index"/> in a tree of <paramref name="treeSize"/> leaves (RFC 9162 §2.1.3.2 steps 1 to 6,
    /// the root computed instead of compared, as a receipt with a detached payload needs), or null when the proof does
    /// not fit (index, treeSize).
    /// </summary>
    public static Hash? RootFrom(long index, long treeSize, in Hash leafHash, ReadOnlySpan<Hash> proof)
    {
        if (index < 0 || index >= treeSize) return null;
        long fn = index, sn = treeSize - 1;
        Hash r = leafHash;
        foreach (ref readonly Hash p in proof)
        {
            if (sn == 0) return null; // more elements than the path has levels
            if ((fn & 1) == 1 || fn == sn)
            {
                r = Rfc6962.HashChildren(p, r);
                // A right-edge node with no right sibling is promoted unchanged: skip the levels it rises through.
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = Rfc6962.HashChildren(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }

    // tlog leafProofIndex: the stored indexes leafProof will consume, in the order it consumes them.
    private static int LeafProofIndex(long lo, long hi, long n, Span<long> need, int count)
    {
        if (!(lo <= n && n < hi)) throw new UnreachableException("leaf outside subtree");
        if (lo + 1 == hi) return count;
        long k = StoredHashes.SplitPoint(hi - lo);
        if (n < lo + k)
        {
            count = LeafProofIndex(lo, lo + k, n, need, count);
            return StoredHashes.SubTreeIndex(lo + k, hi, need, count);
        }
        count = StoredHashes.SubTreeIndex(lo, lo + k, need, count);
        return LeafProofIndex(lo + k, hi, n, need, count);
    }

    // tlog leafProof: walks down towards leaf n, recording the hash of each subtree not taken; returns the length.
    private static int LeafProof(long lo, long hi, long n, ReadOnlySpan<Hash> hashes, ref int used, Span<Hash> proof)
    {
        if (!(lo <= n && n < hi)) throw new UnreachableException("leaf outside subtree");
        if (lo + 1 == hi) return 0; // the verifier has the leaf hash already
        long k = StoredHashes.SplitPoint(hi - lo);
        int length;
        Hash sibling;
        int consumed;
        if (n < lo + k)
        {
            length = LeafProof(lo, lo + k, n, hashes, ref used, proof);
            sibling = StoredHashes.SubTreeHash(lo + k, hi, hashes[used..], out consumed);
            used += consumed;
        }
        else
        {
            sibling = StoredHashes.SubTreeHash(lo, lo + k, hashes[used..], out consumed);
            used += consumed;
            length = LeafProof(lo + k, hi, n, hashes, ref used, proof);
        }
        proof[length] = sibling;
        return length + 1;
    }
}
