using System.Diagnostics.CodeAnalysis;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Attest.Merkle;

/// <summary>A SHA-256 value: the 32 bytes of a leaf hash, node hash or tree root (RFC 9162 §2.1).</summary>
/// <remarks>A value type so that arrays of hashes are flat and proofs verify without allocating.</remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public readonly struct Hash : IEquatable<Hash>
{
    public const int Size = 32;

    private readonly Bytes32 bytes;

    [InlineArray(Size)]
    private struct Bytes32
    {
        private byte b0;
    }

    /// <summary>Copies exactly 32 bytes.</summary>
    /// <exception cref="ArgumentException">when <paramref name="value"/> is not 32 bytes long.</exception>
    public Hash(ReadOnlySpan<byte> value)
    {
        if (value.Length != Size) throw new ArgumentException($"a hash is {Size} bytes, not {value.Length}", nameof(value));
        value.CopyTo(bytes);
    }

    /// <summary>The 32 bytes, read-only. The span points into this value, so keep the value alive (use on a local or a field).</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Bytes => bytes;

    public void CopyTo(Span<byte> destination) => ((ReadOnlySpan<byte>)bytes).CopyTo(destination);

    public byte[] ToArray() => ((ReadOnlySpan<byte>)bytes).ToArray();

    public string ToBase64() => Convert.ToBase64String(bytes);

    public string ToHex() => Convert.ToHexStringLower(bytes);

    /// <summary>Strict: standard padded base64 of exactly 32 bytes, nothing else.</summary>
    public static bool TryParseBase64(ReadOnlySpan<char> text, out Hash hash)
    {
        hash = default;
        Span<byte> buf = stackalloc byte[Size + 3];
        if (text.Length != 44 || !Convert.TryFromBase64Chars(text, buf, out int n) || n != Size) return false;
        hash = new Hash(buf[..Size]);
        return hash.ToBase64().AsSpan().SequenceEqual(text); // canonical encoding only
    }

    /// <summary>Strict: exactly 64 hex digits (either case).</summary>
    public static bool TryParseHex(ReadOnlySpan<char> text, out Hash hash)
    {
        hash = default;
        if (text.Length != 2 * Size) return false;
        Span<byte> buf = stackalloc byte[Size];
        if (Convert.FromHexString(text, buf, out _, out int written) != System.Buffers.OperationStatus.Done || written != Size) return false;
        hash = new Hash(buf);
        return true;
    }

    public bool Equals(Hash other) => ((ReadOnlySpan<byte>)bytes).SequenceEqual(other.bytes);

    public override bool Equals(object? obj) => obj is Hash h && Equals(h);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(bytes);

    public static bool operator ==(Hash a, Hash b) => a.Equals(b);

    public static bool operator !=(Hash a, Hash b) => !a.Equals(b);

    public override string ToString() => ToBase64();
}
