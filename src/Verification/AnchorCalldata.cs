using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Attest.Merkle;

namespace Attest.Verification;

/// <summary>
/// The calldata of an anchor transaction (docs/ANCHORING.md), 77 bytes:
/// <c>"ATST"</c> (4 ASCII bytes) || version <c>0x01</c> || tree size (uint64 big-endian) || root hash (32 bytes) ||
/// SHA-256 of the checkpoint origin line (32 bytes). Together they name exactly one checkpoint of one log.
/// </summary>
public static class AnchorCalldata
{
    public const int Length = 77;
    public const byte Version = 1;
    private static ReadOnlySpan<byte> Magic => "ATST"u8;

    public static byte[] Encode(long treeSize, in Hash root, string origin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        var data = new byte[Length];
        Magic.CopyTo(data);
        data[4] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(5), (ulong)treeSize);
        root.Bytes.CopyTo(data.AsSpan(13));
        SHA256.HashData(Encoding.UTF8.GetBytes(origin), data.AsSpan(45));
        return data;
    }

    /// <summary>Reads calldata of exactly this form and version; anything else is not an anchor.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out long treeSize, out Hash root, out Hash originSha256)
    {
        treeSize = 0;
        root = originSha256 = default;
        if (data.Length != Length || !data[..4].SequenceEqual(Magic) || data[4] != Version) return false;
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(data[5..]);
        if (size > long.MaxValue) return false;
        treeSize = (long)size;
        root = new Hash(data.Slice(13, 32));
        originSha256 = new Hash(data.Slice(45, 32));
        return true;
    }
}
