using System.Buffers.Binary;

namespace Attest.LogServer.Storage;

/// <summary>
/// The framing of one entry-log record: <c>uint16_be public_length || public_entry || private_bytes</c>.
/// The public entry is the Merkle leaf (what tiles, bundles and proofs show); the private bytes are the
/// access-controlled side data of the same request (for example a public stamp's content, or the idempotency
/// key's request digest). Keeping both in one record means one commit makes both durable, and every index can be
/// rebuilt from the entry log alone.
/// </summary>
public static class LogRecord
{
    /// <summary>C2SP tlog-tiles entry bundles length-prefix entries with a uint16, so an entry is at most this long.</summary>
    public const int MaxEntrySize = ushort.MaxValue;

    public static byte[] Encode(ReadOnlySpan<byte> entry, ReadOnlySpan<byte> privateBytes)
    {
        if (entry.Length > MaxEntrySize) throw new ArgumentException($"a log entry is at most {MaxEntrySize} bytes", nameof(entry));
        var record = new byte[2 + entry.Length + privateBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)entry.Length);
        entry.CopyTo(record.AsSpan(2));
        privateBytes.CopyTo(record.AsSpan(2 + entry.Length));
        return record;
    }

    public static ReadOnlySpan<byte> Entry(ReadOnlySpan<byte> record) => record.Slice(2, BinaryPrimitives.ReadUInt16BigEndian(record));

    public static ReadOnlySpan<byte> Private(ReadOnlySpan<byte> record) => record[(2 + BinaryPrimitives.ReadUInt16BigEndian(record))..];

    public static ReadOnlyMemory<byte> Entry(ReadOnlyMemory<byte> record) => record.Slice(2, BinaryPrimitives.ReadUInt16BigEndian(record.Span));

    public static ReadOnlyMemory<byte> Private(ReadOnlyMemory<byte> record) => record[(2 + BinaryPrimitives.ReadUInt16BigEndian(record.Span))..];
}
