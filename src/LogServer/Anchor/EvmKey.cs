using System.Security.Cryptography;
using Nethereum.Signer;

namespace Attest.LogServer.Anchor;

/// <summary>
/// An Ethereum account key: a secp256k1 private key and its address (Yellow Paper appendix F: the last 20 bytes of
/// the Keccak-256 of the uncompressed public key). Nethereum signs with it (RFC 6979 deterministic nonces, EIP-2
/// low s), so a signature depends only on key and hash: a bad random source can never leak the key, and our
/// transactions can be compared byte for byte with other signers' (ethers).
/// </summary>
public sealed class EvmKey
{
    private EvmKey(EthECKey key)
    {
        Key = key;
        Address = key.GetPublicAddress();
    }

    internal EthECKey Key { get; }

    /// <summary>
    /// Parses a 32-byte private key written as 64 hex digits, with or without a "0x" prefix. Anything else, and keys
    /// outside [1, n−1], are rejected rather than reduced, so a truncated or mangled secret fails loudly instead of
    /// quietly becoming a different account. (Nethereum would take any length and reduce it.)
    /// </summary>
    public static EvmKey FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var digits = hex.StartsWith("0x", StringComparison.Ordinal) ? hex.AsSpan(2) : hex.AsSpan();
        if (digits.Length != 64 || digits.ContainsAnyExcept(HexDigits))
            throw new FormatException("An EVM private key is 64 hex digits, optionally prefixed with 0x.");
        var bytes = Convert.FromHexString(digits);
        try
        {
            // Big-endian bytes compare as the integers they encode.
            if (bytes.AsSpan().IndexOfAnyExcept((byte)0) < 0 || bytes.AsSpan().SequenceCompareTo(GroupOrder) >= 0)
                throw new FormatException("An EVM private key must lie between 1 and the secp256k1 group order minus 1.");
            return new EvmKey(new EthECKey(bytes, isPrivate: true));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    // n, the order of secp256k1's generator (SEC 2 v2 §2.4.1).
    private static readonly byte[] GroupOrder = Convert.FromHexString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The 20-byte account address (a copy: callers may keep or change it).</summary>
    public byte[] AddressBytes => Convert.FromHexString(Address.AsSpan(2));

    /// <summary>The address in EIP-55 checksummed form.</summary>
    public string Address { get; }

    /// <summary>The address: a key must never print its secret into a log line or exception message.</summary>
    public override string ToString() => Address;
}
