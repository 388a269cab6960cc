using System.Globalization;
using System.Text.Json;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Anchor;

/// <summary>A logged anchor, numbered from 0 in log order (<see cref="Sequence"/>), with the index of its entry.</summary>
public sealed record AnchorView(
    long Sequence, long LogIndex, long ChainId, string TxHash, long BlockNumber, string BlockHash, long BlockTimestamp,
    long TreeSize, string RootHash, string From, string To, string Checkpoint);

/// <summary>
/// The anchors in the log, in log order. Each <c>anchor/v1</c> entry gets the next sequence number in the index:
/// <c>anchor-seq n</c> → (entry index, tree size), and <c>anchor-count</c> → (count, last counted entry index).
/// Anchored sizes strictly grow with the sequence (the anchorer anchors only a larger checkpoint than the last),
/// so the earliest anchor covering an entry is found by binary search.
/// </summary>
public sealed class AnchorLedger(IIndexStore kv, TransparencyLog log)
{
    private static readonly IndexKey CountKey = IndexKey.For("anchor-count", "");

    private static IndexKey SeqKey(long n) => IndexKey.For("anchor-seq", n.ToString(CultureInfo.InvariantCulture));

    /// <summary>Indexes the anchor entry at log index <paramref name="i"/>; re-applying it changes nothing (<see cref="IEntryIndexer"/>).</summary>
    public static void Apply(IIndexStore kv, long i, JsonElement entry)
    {
        bool counted = kv.TryGet(CountKey, out var c);
        if (counted && i <= c.C) return;
        long n = counted ? c.B : 0;
        // The slot before the count, so a crash between the two re-writes the same slot.
        kv.Put(SeqKey(n), new IndexValue(i, entry.GetProperty("tree_size").GetInt64(), 0));
        kv.Put(CountKey, new IndexValue(0, n + 1, i));
    }

    /// <summary>Anchors whose entries are integrated (readable); the index may briefly run ahead of the log size.</summary>
    public long Count
    {
        get
        {
            long n = kv.TryGet(CountKey, out var c) ? c.B : 0, size = log.Size;
            while (n > 0 && Slot(n - 1).A >= size) n--;
            return n;
        }
    }

    /// <summary>The tree size of the last logged anchor, 0 before the first.</summary>
    public long AnchoredSize => Count is var n and > 0 ? Slot(n - 1).B : 0;

    /// <summary>
    /// Entries of a tree of <paramref name="treeSize"/> that no anchor covers, not counting anchor entries: an
    /// anchor entry grows the tree, but anchoring it alone would only anchor the last anchor, forever.
    /// </summary>
    public long Unanchored(long treeSize)
    {
        long n = Count, anchored = n > 0 ? Slot(n - 1).B : 0, uncovered = Math.Max(0, treeSize - anchored);
        for (long k = n - 1; k >= 0 && Slot(k) is var slot && slot.A >= anchored; k--)
            if (slot.A < treeSize) uncovered--;
        return uncovered;
    }

    /// <summary>The sequence number of the earliest anchor whose tree contains entry <paramref name="index"/>.</summary>
    public long? FirstCovering(long index)
    {
        long count = Count, lo = 0, hi = count; // invariant: every anchor below lo has tree size ≤ index; from hi, more
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (Slot(mid).B > index) hi = mid; else lo = mid + 1;
        }
        return lo < count ? lo : null;
    }

    public async Task<AnchorView> Read(long sequence, CancellationToken token)
    {
        long i = Slot(sequence).A;
        using var doc = JsonDocument.Parse(LogRecord.Entry(await log.ReadRecordAsync(i, token)).ToArray());
        var a = AnchorEntry.Parse(doc.RootElement);
        return new AnchorView(sequence, i, a.ChainId, a.TxHash, a.BlockNumber, a.BlockHash, a.BlockTimestamp, a.TreeSize, a.RootHash, a.From, a.To, a.Checkpoint);
    }

    private IndexValue Slot(long n) => kv.TryGet(SeqKey(n), out var v) ? v
        : throw new System.Diagnostics.UnreachableException($"anchor {n} is counted but not indexed");
}
