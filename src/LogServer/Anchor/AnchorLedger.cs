using System.Globalization;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Service;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Anchor;

/// <summary>A logged anchor, numbered from 0 in log order (<see cref="Sequence"/>), with the index of its entry.</summary>
public sealed record AnchorView(
    long Sequence, long LogIndex, long ChainId, string TxHash, long BlockNumber, string BlockHash, long BlockTimestamp,
    long TreeSize, string RootHash, string From, string To, string Checkpoint);

/// <summary>
/// The anchors in the log, in log order. Each <c>anchor/v1</c> entry gets the next sequence number in the index:
/// <c>anchor-seq n</c> → <see cref="AnchorSlot"/> (its entry index and tree size), and <c>anchor-count</c> →
/// a <see cref="Counter"/> of them.
/// Anchored sizes strictly grow with the sequence (the anchorer anchors only a larger checkpoint than the last),
/// so the earliest anchor covering an entry is found by binary search.
/// </summary>
public sealed class AnchorLedger(IIndexStore kv, TransparencyLog log)
{
    private static readonly IndexKey CountKey = IndexKey.For("anchor-count", "");

    private static IndexKey SeqKey(long n) => IndexKey.For("anchor-seq", n.ToString(CultureInfo.InvariantCulture));

    /// <summary>Indexes the anchor entry at log index <paramref name="i"/>; re-applying it changes nothing (<see cref="IEntryIndexer"/>).</summary>
    public static void Apply(IIndexStore kv, long i, in AnchorEntry entry)
    {
        kv.TryGet(CountKey, out Counter anchors);
        if (!anchors.Counts(i)) return;
        // The slot before the count, so a crash between the two re-writes the same slot.
        kv.Put(SeqKey(anchors.Count), new AnchorSlot(i, entry.TreeSize));
        kv.Put(CountKey, anchors.With(i));
    }

    /// <summary>Anchors whose entries are integrated (readable); the index may briefly run ahead of the log size.</summary>
    public long Count
    {
        get
        {
            kv.TryGet(CountKey, out Counter anchors);
            long n = anchors.Count, size = log.Size;
            while (n > 0 && Slot(n - 1).EntryIndex >= size) n--;
            return n;
        }
    }

    /// <summary>The tree size of the last logged anchor, 0 before the first.</summary>
    public long AnchoredSize => Count is var n and > 0 ? Slot(n - 1).TreeSize : 0;

    /// <summary>
    /// Entries of a tree of <paramref name="treeSize"/> that no anchor covers, not counting anchor entries: an
    /// anchor entry grows the tree, but anchoring it alone would only anchor the last anchor, forever.
    /// </summary>
    public long Unanchored(long treeSize)
    {
        long n = Count, anchored = n > 0 ? Slot(n - 1).TreeSize : 0, uncovered = Math.Max(0, treeSize - anchored);
        for (long k = n - 1; k >= 0 && Slot(k) is var slot && slot.EntryIndex >= anchored; k--)
            if (slot.EntryIndex < treeSize) uncovered--;
        return uncovered;
    }

    /// <summary>The sequence number of the earliest anchor whose tree contains entry <paramref name="index"/>.</summary>
    public long? FirstCovering(long index)
    {
        long count = Count, lo = 0, hi = count; // invariant: every anchor below lo has tree size ≤ index; from hi, more
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (Slot(mid).TreeSize > index) hi = mid; else lo = mid + 1;
        }
        return lo < count ? lo : null;
    }

    public async Task<AnchorView> Read(long sequence, CancellationToken token)
    {
        long i = Slot(sequence).EntryIndex;
        var a = AnchorEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(i, token)));
        return new AnchorView(sequence, i, a.ChainId, a.TxHash, a.BlockNumber, a.BlockHash, a.BlockTimestamp, a.TreeSize, a.RootHash, a.From, a.To, a.Checkpoint);
    }

    private AnchorSlot Slot(long n) => kv.TryGet(SeqKey(n), out AnchorSlot slot) ? slot
        : throw new System.Diagnostics.UnreachableException($"anchor {n} is counted but not indexed");
}

/// <summary>The n-th anchor's entry index and anchored tree size. Stored as (entry index, tree size, 0).</summary>
public readonly record struct AnchorSlot(long EntryIndex, long TreeSize) : IIndexRecord<AnchorSlot>
{
    public static AnchorSlot From(IndexValue value) => new(value.A, value.B);

    public IndexValue ToIndexValue() => new(EntryIndex, TreeSize, 0);
}
