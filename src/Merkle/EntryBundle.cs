using System.Buffers;
using System.Buffers.Binary;

namespace Attest.Merkle;

/// <summary>
/// The entry bundle of c2sp.org/tlog-tiles (the data at <c>tile/entries/…</c>): each entry as a big-endian uint16
/// length followed by that many bytes, one after another, nothing else.
/// </summary>
public static class EntryBundle
{
    public const int MaxEntryLength = ushort.MaxValue;

    /// <summary>Writes one entry, uint16_be length || entry, to <paramref name="w"/> (c2sp.org/tlog-tiles).</summary>
    /// <exception cref="ArgumentException">when the entry is longer than 65535 bytes, which the format cannot hold.</exception>
    public static void Append(IBufferWriter<byte> w, ReadOnlySpan<byte> entry)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (entry.Length > MaxEntryLength) throw new ArgumentException($"an entry is at most {MaxEntryLength} bytes, not {entry.Length}", nameof(entry));
        Span<byte> span = w.GetSpan(2 + entry.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)entry.Length);
        entry.CopyTo(span[2..]);
        w.Advance(2 + entry.Length);
    }

    /// <summary>
    /// Parses an untrusted entry bundle (c2sp.org/tlog-tiles) that must hold exactly <paramref name="expectedCount"/>
    /// entries, the width of its tile, and no trailing bytes. On success appends the entries to
    /// <paramref name="entries"/>; on failure leaves it as it was.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">unless 1 ≤ expectedCount ≤ 256.</exception>
    public static bool TryParse(ReadOnlySpan<byte> bundle, int expectedCount, List<byte[]> entries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expectedCount, Tile.FullWidth);
        ArgumentNullException.ThrowIfNull(entries);

        // Walk the lengths first so that a malformed bundle allocates nothing and changes nothing.
        ReadOnlySpan<byte> rest = bundle;
        for (int i = 0; i < expectedCount; i++)
        {
            if (rest.Length < 2) return false;
            int length = BinaryPrimitives.ReadUInt16BigEndian(rest);
            if (rest.Length - 2 < length) return false;
            rest = rest[(2 + length)..];
        }
        if (!rest.IsEmpty) return false;

        for (int i = 0; i < expectedCount; i++)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(bundle);
            entries.Add(bundle.Slice(2, length).ToArray());
            bundle = bundle[(2 + length)..];
        }
        return true;
    }
}
