using System.Diagnostics;
using System.Numerics;

namespace Attest.Merkle;

/// <summary>
/// The dense, append-only layout of every hash of the tree that Go's golang.org/x/mod/sumdb/tlog uses (Crosby and
/// Wallach §3.3): appending record n writes its leaf hash and then the hash of every subtree it completes, so stored
/// hashes are only ever appended and each is written once. The hashes themselves are those of RFC 6962 §2.1.
/// </summary>
public static class StoredHashes
{
    /// <summary>
    /// The most stored hashes a single proof (inclusion or consistency) reads: at most 63 levels of single siblings
    /// plus one fringe of at most 62 complete subtrees, plus one for the consistency proof's final subtree.
    /// </summary>
    internal const int MaxProofReads = 128;

    // A tree of 2^63 - 1 records has at most 63 complete subtrees, one per set bit of its size.
    private const int MaxSubtrees = 64;

    /// <summary>
    /// The position in storage of the hash of the <paramref name="n"/>th subtree of 2^<paramref name="level"/>
    /// leaves (tlog StoredHashIndex). Level L's nth hash is written right after level L+1's (2n+1)th hash, because
    /// that is when the subtree is complete.
    /// </summary>
    public static long StoredHashIndex(int level, long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 63);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        checked
        {
            for (int l = level; l > 0; l--) n = 2 * n + 1;
            // Leaf n is stored at n + n/2 + n/4 + ..., one slot per hash written before it.
            long i = 0;
            for (; n > 0; n >>= 1) i += n;
            return i + level;
        }
    }

    /// <summary>The inverse of <see cref="StoredHashIndex"/> (tlog SplitStoredHashIndex).</summary>
    public static (int Level, long N) SplitStoredHashIndex(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        // StoredHashIndex(0, n) < 2n, so the record that wrote this hash is in [index/2, index/2 + log2(index)].
        long n = index / 2;
        // StoredHashIndex(0, n) = n + n/2 + n/4 + ... = 2n - popcount(n), without the loop: servers split every
        // stored index a proof reads.
        long indexN = 2 * n - BitOperations.PopCount((ulong)n);
        if (indexN > index) throw new UnreachableException("StoredHashIndex(0, index/2) > index");
        while (true)
        {
            // Record n writes 1 + trailingZeros(n+1) hashes.
            long next = indexN + 1 + BitOperations.TrailingZeroCount(n + 1);
            if (next > index) break;
            n++;
            indexN = next;
        }
        int level = (int)(index - indexN);
        return (level, n >> level);
    }

    /// <summary>How many hashes are stored for a tree of <paramref name="n"/> records (tlog StoredHashCount).</summary>
    public static long StoredHashCount(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return 0;
        long count = StoredHashIndex(0, n - 1) + 1;
        for (long i = n - 1; (i & 1) != 0; i >>= 1) count++;
        return count;
    }

    /// <summary>
    /// Writes to <paramref name="output"/> the hashes to append to storage, starting at StoredHashIndex(0, n), when
    /// adding record <paramref name="n"/> whose leaf hash (RFC 6962 §2.1) is <paramref name="leafHash"/>: the leaf
    /// hash, then the hash of each subtree the record completes (tlog StoredHashesForRecordHash). Reads at most 63
    /// earlier hashes in one <see cref="IHashReader.ReadHashes"/> call; returns the count written, at most 64.
    /// </summary>
    public static int ForRecord(long n, in Hash leafHash, IHashReader r, Span<Hash> output)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfEqual(n, long.MaxValue);
        ArgumentNullException.ThrowIfNull(r);
        // Each trailing 1 bit of n completes a subtree, paired with the left sibling already in storage.
        int m = BitOperations.TrailingZeroCount(n + 1);
        if (output.Length < 1 + m) throw new ArgumentException($"record {n} writes {1 + m} hashes", nameof(output));

        Span<long> indexes = stackalloc long[m];
        for (int i = 0; i < m; i++) indexes[m - 1 - i] = StoredHashIndex(i, (n >> i) - 1); // ascending order
        Span<Hash> siblings = stackalloc Hash[m];
        r.ReadHashes(indexes, siblings);

        Hash h = leafHash;
        output[0] = h;
        for (int i = 0; i < m; i++)
        {
            h = Rfc6962.HashChildren(siblings[m - 1 - i], h);
            output[1 + i] = h;
        }
        return 1 + m;
    }

    /// <summary>
    /// The root MTH(D[n]) of the first <paramref name="n"/> records (RFC 6962 §2.1), or <see cref="Rfc6962.EmptyRoot"/>
    /// for n = 0 (where tlog returns zeros). Reads one stored hash per complete subtree, in one call.
    /// </summary>
    public static Hash TreeHash(long n, IHashReader r)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(r);
        if (n == 0) return Rfc6962.EmptyRoot;
        Span<long> indexes = stackalloc long[MaxSubtrees];
        int count = SubTreeIndex(0, n, indexes, 0);
        Span<Hash> hashes = stackalloc Hash[count];
        r.ReadHashes(indexes[..count], hashes);
        Hash root = SubTreeHash(0, n, hashes, out int used);
        if (used != count) throw new UnreachableException("TreeHash read hashes it did not use");
        return root;
    }

    /// <summary>The largest power of two strictly below <paramref name="n"/> ≥ 2: the size of the left subtree.</summary>
    internal static long SplitPoint(long n)
    {
        if (n < 2) throw new UnreachableException("only trees of two or more leaves split");
        return 1L << BitOperations.Log2((ulong)(n - 1));
    }

    /// <summary>
    /// Appends at need[count..] the stored indexes of the complete subtrees that make up leaves [lo, hi), largest
    /// first (tlog subTreeIndex); returns the new count.
    /// </summary>
    internal static int SubTreeIndex(long lo, long hi, Span<long> need, int count)
    {
        while (lo < hi)
        {
            int level = BitOperations.Log2((ulong)(hi - lo)); // the largest complete subtree that fits
            if ((lo & ((1L << level) - 1)) != 0) throw new UnreachableException("subtree not aligned");
            need[count++] = StoredHashIndex(level, lo >> level);
            lo += 1L << level;
        }
        return count;
    }

    /// <summary>
    /// The hash of leaves [lo, hi) from the hashes <see cref="SubTreeIndex"/> named, which it consumes from the start
    /// of <paramref name="hashes"/> (tlog subTreeHash).
    /// </summary>
    internal static Hash SubTreeHash(long lo, long hi, ReadOnlySpan<Hash> hashes, out int consumed)
    {
        int subtrees = 0;
        while (lo < hi)
        {
            lo += 1L << BitOperations.Log2((ulong)(hi - lo));
            subtrees++;
        }
        if (subtrees == 0 || hashes.Length < subtrees) throw new UnreachableException("too few hashes for subtree");
        // The RFC 6962 tree hangs the smaller complete subtrees off the right, so fold from the right.
        Hash h = hashes[subtrees - 1];
        for (int i = subtrees - 2; i >= 0; i--) h = Rfc6962.HashChildren(hashes[i], h);
        consumed = subtrees;
        return h;
    }
}

/// <summary>
/// Stored hashes (<see cref="StoredHashes"/> layout) in a growable array: for tests, benchmarks and tools, not for
/// logs that outgrow memory. Not thread-safe.
/// </summary>
public sealed class MemoryHashStore : IHashReader
{
    private Hash[] hashes = new Hash[16];
    private long count;

    /// <summary>Number of records appended.</summary>
    public long Size { get; private set; }

    /// <summary>Appends a record, hashing it as an RFC 6962 §2.1 leaf.</summary>
    public void Append(ReadOnlySpan<byte> entry) => AppendLeafHash(Rfc6962.HashLeaf(entry));

    /// <summary>Appends a record given its leaf hash, storing it and the subtrees it completes.</summary>
    public void AppendLeafHash(in Hash leafHash)
    {
        Span<Hash> added = stackalloc Hash[64];
        int n = StoredHashes.ForRecord(Size, leafHash, this, added);
        if (count + n > hashes.Length) Array.Resize(ref hashes, checked((int)Math.Max(2L * hashes.Length, count + n)));
        added[..n].CopyTo(hashes.AsSpan((int)count));
        count += n;
        Size++;
    }

    public void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> output)
    {
        if (indexes.Length != output.Length) throw new ArgumentException("one output slot per index", nameof(output));
        for (int i = 0; i < indexes.Length; i++)
        {
            long index = indexes[i];
            if ((ulong)index >= (ulong)count) throw new ArgumentOutOfRangeException(nameof(indexes), index, $"only {count} hashes are stored");
            output[i] = hashes[index];
        }
    }
}
