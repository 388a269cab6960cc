using System.Diagnostics;
using System.Numerics;

namespace Attest.Merkle;

/// <summary>
/// Merkle consistency proofs: RFC 6962 §2.1.2 to generate, RFC 9162 §2.1.4.2 to verify. A proof shows that the tree
/// of size1 leaves is a prefix of the tree of size2 leaves.
/// </summary>
public static class ConsistencyProof
{
    /// <summary>
    /// The consistency proof PROOF(size1, D[size2]) of RFC 6962 §2.1.2 (tlog ProveTree): empty when the sizes are
    /// equal, else at most 64 hashes. Reads the O(log n) stored hashes it needs in one
    /// <see cref="IHashReader.ReadHashes"/> call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">unless 0 &lt; size1 ≤ size2 (see <see cref="Verify"/> on size 0).</exception>
    public static Hash[] Prove(long size1, long size2, IHashReader r)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size1, size2);
        ArgumentNullException.ThrowIfNull(r);

        Span<long> indexes = stackalloc long[StoredHashes.MaxProofReads];
        int count = TreeProofIndex(0, size2, size1, indexes, 0);
        if (count == 0) return [];
        Span<Hash> hashes = stackalloc Hash[count];
        r.ReadHashes(indexes[..count], hashes);

        Span<Hash> proof = stackalloc Hash[65];
        int used = 0;
        int length = TreeProof(0, size2, size1, hashes, ref used, proof);
        if (used != count) throw new UnreachableException("consistency proof read hashes it did not use");
        return proof[..length].ToArray();
    }

    /// <summary>
    /// Verifies that <paramref name="proof"/> shows the tree of <paramref name="size1"/> leaves with root
    /// <paramref name="root1"/> to be a prefix of the tree of <paramref name="size2"/> leaves with root
    /// <paramref name="root2"/>, by the algorithm of RFC 9162 §2.1.4.2 (reads 32 bytes per proof element; allocates
    /// nothing). Equal sizes need an empty proof and equal roots, since §2.1.4.1 proves nothing between them and the
    /// algorithm rejects an empty path.
    /// <para>
    /// size1 = 0 always fails, even with an empty proof: every tree extends the empty tree, so such a "proof" proves
    /// nothing and accepting it here would let a caller believe it had checked something (this is also the policy of
    /// transparency-dev/merkle, whose vectors expect it). C2SP tlog-witness's rule that an old size of 0 with an empty
    /// proof is acceptable belongs to the witness, which must special-case it before calling this.
    /// </para>
    /// </summary>
    public static bool Verify(long size1, long size2, ReadOnlySpan<Hash> proof, in Hash root1, in Hash root2)
    {
        if (size1 <= 0 || size1 > size2) return false;
        if (size1 == size2) return proof.IsEmpty && root1.Equals(root2);
        if (proof.IsEmpty) return false;

        long fn = size1 - 1, sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        // When the old tree is a complete subtree the proof omits its root, which the verifier already has; the RFC
        // prepends it to the path, which here means starting from root1 instead of the first element.
        bool prepended = BitOperations.IsPow2(size1);
        Hash fr = prepended ? root1 : proof[0];
        Hash sr = fr;
        foreach (ref readonly Hash c in prepended ? proof : proof[1..])
        {
            if (sn == 0) return false; // more elements than the trees have levels
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Rfc6962.HashChildren(c, fr);
                sr = Rfc6962.HashChildren(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = Rfc6962.HashChildren(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && fr.Equals(root1) && sr.Equals(root2);
    }

    // tlog treeProofIndex: the stored indexes treeProof will consume, in the order it consumes them.
    private static int TreeProofIndex(long lo, long hi, long n, Span<long> need, int count)
    {
        if (!(lo < n && n <= hi)) throw new UnreachableException("old size outside subtree");
        if (n == hi) return lo == 0 ? count : StoredHashes.SubTreeIndex(lo, hi, need, count);
        long k = StoredHashes.SplitPoint(hi - lo);
        if (n <= lo + k)
        {
            count = TreeProofIndex(lo, lo + k, n, need, count);
            return StoredHashes.SubTreeIndex(lo + k, hi, need, count);
        }
        count = StoredHashes.SubTreeIndex(lo, lo + k, need, count);
        return TreeProofIndex(lo + k, hi, n, need, count);
    }

    // tlog treeProof (RFC 6962 SUBPROOF): returns the length written to proof.
    private static int TreeProof(long lo, long hi, long n, ReadOnlySpan<Hash> hashes, ref int used, Span<Hash> proof)
    {
        if (!(lo < n && n <= hi)) throw new UnreachableException("old size outside subtree");
        int consumed;
        if (n == hi)
        {
            if (lo == 0) return 0; // the old tree itself: the verifier has its root
            proof[0] = StoredHashes.SubTreeHash(lo, hi, hashes[used..], out consumed);
            used += consumed;
            return 1;
        }
        long k = StoredHashes.SplitPoint(hi - lo);
        int length;
        Hash sibling;
        if (n <= lo + k)
        {
            length = TreeProof(lo, lo + k, n, hashes, ref used, proof);
            sibling = StoredHashes.SubTreeHash(lo + k, hi, hashes[used..], out consumed);
            used += consumed;
        }
        else
        {
            sibling = StoredHashes.SubTreeHash(lo, lo + k, hashes[used..], out consumed);
            used += consumed;
            length = TreeProof(lo + k, hi, n, hashes, ref used, proof);
        }
        proof[length] = sibling;
        return length + 1;
    }
}
