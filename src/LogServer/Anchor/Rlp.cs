using System.Numerics;

namespace Attest.LogServer.Anchor;

/// <summary>
/// Recursive Length Prefix encoding, Ethereum Yellow Paper appendix B. Only encoding: the server builds
/// transactions and never needs to parse them.
/// </summary>
public static class Rlp
{
    // Payloads up to 55 bytes carry their length in the prefix byte itself; longer ones spell it out after it.
    private const int ShortLimit = 55;

    /// <summary>A byte-string item.</summary>
    public static byte[] EncodeBytes(ReadOnlySpan<byte> b)
    {
        // A single byte below 0x80 is its own encoding: the prefix ranges start at 0x80 so it cannot be mistaken for one.
        if (b.Length == 1 && b[0] < 0x80) return [b[0]];
        return WithHeader(0x80, b);
    }

    /// <summary>
    /// A non-negative integer: its minimal big-endian bytes as a string item, so 0 is the empty string (0x80).
    /// Leading zeros are forbidden because the Yellow Paper defines integers that way and nodes reject them.
    /// </summary>
    public static byte[] EncodeUInt(BigInteger v)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(v);
        return v.IsZero ? EncodeBytes([]) : EncodeBytes(v.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    /// <summary>A list of items, each already encoded by this class.</summary>
    public static byte[] EncodeList(params byte[][] encodedItems)
    {
        ArgumentNullException.ThrowIfNull(encodedItems);
        var payload = new byte[encodedItems.Sum(i => i.Length)];
        int at = 0;
        foreach (var item in encodedItems)
        {
            item.CopyTo(payload, at);
            at += item.Length;
        }
        return WithHeader(0xc0, payload);
    }

    // offset is 0x80 for strings and 0xc0 for lists; long forms use offset + 55 + (length of the length).
    private static byte[] WithHeader(byte offset, ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= ShortLimit)
        {
            var shortForm = new byte[1 + payload.Length];
            shortForm[0] = (byte)(offset + payload.Length);
            payload.CopyTo(shortForm.AsSpan(1));
            return shortForm;
        }
        var length = new BigInteger(payload.Length).ToByteArray(isUnsigned: true, isBigEndian: true);
        var longForm = new byte[1 + length.Length + payload.Length];
        longForm[0] = (byte)(offset + ShortLimit + length.Length);
        length.CopyTo(longForm, 1);
        payload.CopyTo(longForm.AsSpan(1 + length.Length));
        return longForm;
    }
}
