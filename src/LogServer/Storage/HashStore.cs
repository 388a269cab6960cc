using Attest.Merkle;

namespace Attest.LogServer.Storage;

/// <summary>
/// The stored Merkle hashes of the log, in the stored-hash layout of <see cref="StoredHashes"/>: a proof or tile at
/// any tree size reads O(log n) of them. The embedded <see cref="IHashStore"/>, in one file (<c>hashes.bin</c>).
/// </summary>
/// <remarks>
/// Contract: the sequencer stages the hashes of a batch with <see cref="Stage"/> (visible to itself at once, since
/// each record's hashes depend on earlier ones), then writes them with <see cref="WriteStaged"/> before it
/// counts the batch as integrated. Readers of published tree sizes only ever touch written hashes.
/// </remarks>
/// <remarks>
/// Reads: the hashes of level 8 and up (one in 128 of the file: 2.5 MB at 10M entries) are also kept in memory; the
/// ones below level 8 that an inclusion proof or a level-0 tile asks for all lie in one 256-record stretch of the
/// file, which is read with one pread. So an inclusion proof costs one system call, and the file is not mapped:
/// mapped, random proofs put the whole 640 MB file of a 10M log in the server's RSS (docs/PERFORMANCE.md, "The
/// hash store's reads").
/// </remarks>
public sealed class HashStore : IHashStore
{
    private const int UpperLevel = 8;
    private readonly RecordFile<Hash> file;
    private readonly List<Hash> staged = [];

    // Hashes of level >= UpperLevel in the stored-hash layout of the tree whose leaves are the level-8 subtrees:
    // the hash of (level L, n) is upper[StoredHashIndex(L - 8, n)]. Appended in file order, before the file, so a
    // reader that sees a hash written also finds it here; the array is replaced, never changed, when it grows.
    private Hash[] upper = new Hash[1024];
    private int upperCount;

    public HashStore(string path)
    {
        file = new RecordFile<Hash>(path, map: false);
        LoadUpper();
    }

    // One pass over the file in 4 MiB reads. The upper hashes lie one in every 16 KiB of the file, and a pread for
    // each from a cold page cache took 3 s of a 10M log's restart; the pass takes 0.4 s (docs/PERFORMANCE.md, "The
    // hash store's reads").
    private void LoadUpper()
    {
        var window = new Hash[1 << 17];
        long start = 0, end = 0;
        for (long u = 0, at; (at = FileIndex(u)) < file.Count; u++)
        {
            if (at >= end)
            {
                (start, end) = (at, Math.Min(file.Count, at + window.Length));
                file.Read(start, window.AsSpan(0, (int)(end - start)));
            }
            AddUpper(window[at - start]);
        }
    }

    /// <summary>Hashes written to the file.</summary>
    public long Count => file.Count;

    public void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> hashes)
    {
        long written = file.Count;
        var top = Volatile.Read(ref upper);
        long lo = long.MaxValue, hi = -1;
        Span<bool> fromFile = indexes.Length <= 512 ? stackalloc bool[indexes.Length] : new bool[indexes.Length];
        for (int i = 0; i < indexes.Length; i++)
        {
            long index = indexes[i];
            if (index >= written)
            {
                if (index - written < staged.Count) hashes[i] = staged[(int)(index - written)];
                else throw new ArgumentOutOfRangeException(nameof(indexes), $"stored hash {index} does not exist yet");
                continue;
            }
            var (level, n) = StoredHashes.SplitStoredHashIndex(index);
            if (level >= UpperLevel)
            {
                hashes[i] = top[StoredHashes.StoredHashIndex(level - UpperLevel, n)];
                continue;
            }
            fromFile[i] = true;
            (lo, hi) = (Math.Min(lo, index), Math.Max(hi, index));
        }
        if (hi < 0) return;
        if (hi - lo >= 512)
        {
            // More than one stretch (a consistency proof between two right edges far apart): a pread each.
            for (int i = 0; i < indexes.Length; i++)
                if (fromFile[i]) file.Read(indexes[i], hashes.Slice(i, 1));
            return;
        }
        Span<Hash> stretch = stackalloc Hash[(int)(hi - lo + 1)];
        file.Read(lo, stretch);
        for (int i = 0; i < indexes.Length; i++)
            if (fromFile[i]) hashes[i] = stretch[(int)(indexes[i] - lo)];
    }

    public void Stage(ReadOnlySpan<Hash> hashes)
    {
        foreach (var h in hashes) staged.Add(h);
    }

    public void WriteStaged()
    {
        long index = file.Count;
        foreach (var h in staged)
            if (StoredHashes.SplitStoredHashIndex(index++).Level >= UpperLevel) AddUpper(h);
        file.Append(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(staged));
        staged.Clear();
    }

    public void Truncate(long count)
    {
        file.Truncate(count);
        while (upperCount > 0 && FileIndex(upperCount - 1) >= count) upperCount--;
    }

    public void Flush() => file.Flush();

    public void Dispose() => file.Dispose();

    /// <summary>Where <c>upper[u]</c> is stored in the file.</summary>
    private static long FileIndex(long u)
    {
        var (level, n) = StoredHashes.SplitStoredHashIndex(u);
        return StoredHashes.StoredHashIndex(level + UpperLevel, n);
    }

    private void AddUpper(in Hash h)
    {
        if (upperCount == upper.Length)
        {
            var bigger = new Hash[upper.Length * 2];
            upper.CopyTo(bigger, 0);
            Volatile.Write(ref upper, bigger);
        }
        upper[upperCount++] = h;
    }
}
