using System.Buffers;

namespace Attest.Merkle;

/// <summary>The Merkle tree hashing of RFC 6962 §2.1 (unchanged in RFC 9162 §2.1.1), with SHA-256.</summary>
public static class Rfc6962
{
    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    // Entries up to this size are hashed from a stack buffer; larger ones borrow a pooled array so that a
    // single huge entry cannot overflow the stack and no call allocates.
    private const int StackLimit = 1024;

    /// <summary>The root of the empty tree, MTH({}) = SHA-256() (RFC 6962 §2.1).</summary>
    public static Hash EmptyRoot { get; } = new(Sha256.Hash(ReadOnlySpan<byte>.Empty));

    /// <summary>
    /// The leaf hash MTH({d0}) = SHA-256(0x00 || entry) (RFC 6962 §2.1). Reads the entry's bytes as they are; the
    /// 0x00 prefix separates leaves from interior nodes so that a leaf can never pass for a subtree.
    /// </summary>
    public static Hash HashLeaf(ReadOnlySpan<byte> entry)
    {
        Span<byte> digest = stackalloc byte[Hash.Size];
        if (entry.Length < StackLimit)
        {
            Span<byte> input = stackalloc byte[StackLimit];
            input[0] = LeafPrefix;
            entry.CopyTo(input[1..]);
            Sha256.Hash(input[..(entry.Length + 1)], digest);
        }
        else
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(entry.Length + 1);
            rented[0] = LeafPrefix;
            entry.CopyTo(rented.AsSpan(1));
            Sha256.Hash(rented.AsSpan(0, entry.Length + 1), digest);
            ArrayPool<byte>.Shared.Return(rented); // log entries are public, so the copy need not be wiped
        }
        return new Hash(digest);
    }

    /// <summary>
    /// The interior node hash SHA-256(0x01 || left || right) (RFC 6962 §2.1): 65 bytes in, 32 out.
    /// </summary>
    public static Hash HashChildren(in Hash left, in Hash right)
    {
        Span<byte> input = stackalloc byte[1 + 2 * Hash.Size];
        input[0] = NodePrefix;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + Hash.Size)..]);
        Span<byte> digest = stackalloc byte[Hash.Size];
        Sha256.Hash(input, digest);
        return new Hash(digest);
    }
}
