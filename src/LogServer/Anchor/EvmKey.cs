using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Utilities;
using BigInteger = Org.BouncyCastle.Math.BigInteger;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Attest.LogServer.Anchor;

/// <summary>
/// An Ethereum account key: a secp256k1 private key, its address (Yellow Paper appendix F: the last 20 bytes of the
/// Keccak-256 of the uncompressed public key), and ECDSA signing with RFC 6979 deterministic nonces and EIP-2 low s.
/// </summary>
/// <remarks>
/// Deterministic nonces mean a signature depends only on key and hash, so a bad random source can never leak the
/// key, and our transactions can be compared byte for byte with other signers' (libsecp256k1, ethers).
/// </remarks>
public sealed class EvmKey
{
    private readonly ECPrivateKeyParameters privateKey;
    private readonly ECPoint publicKey;
    private readonly byte[] address;

    private EvmKey(BigInteger d)
    {
        privateKey = new ECPrivateKeyParameters(d, Secp256k1.Domain);
        // The comb multiplier is what BouncyCastle's own key generation uses for k·G.
        publicKey = new FixedPointCombMultiplier().Multiply(Secp256k1.Domain.G, d).Normalize();
        var uncompressed = publicKey.GetEncoded(compressed: false);
        address = Keccak.Hash256(uncompressed.AsSpan(1))[12..];
        Address = EvmAddress.Format(address);
    }

    /// <summary>
    /// Parses a 32-byte private key written as 64 hex digits, with or without a "0x" prefix. Anything else, and keys
    /// outside [1, n−1], are rejected rather than reduced, so a truncated or mangled secret fails loudly instead of
    /// quietly becoming a different account.
    /// </summary>
    public static EvmKey FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var digits = hex.StartsWith("0x", StringComparison.Ordinal) ? hex.AsSpan(2) : hex.AsSpan();
        if (digits.Length != 64 || digits.ContainsAnyExcept(HexDigits))
            throw new FormatException("An EVM private key is 64 hex digits, optionally prefixed with 0x.");
        var bytes = Convert.FromHexString(digits);
        var d = new BigInteger(1, bytes);
        CryptographicOperations.ZeroMemory(bytes);
        if (d.SignValue == 0 || d.CompareTo(Secp256k1.N) >= 0)
            throw new FormatException("An EVM private key must lie between 1 and the secp256k1 group order minus 1.");
        return new EvmKey(d);
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The 20-byte account address (a copy: callers may keep or change it).</summary>
    public byte[] AddressBytes => (byte[])address.Clone();

    /// <summary>The address in EIP-55 checksummed form.</summary>
    public string Address { get; }

    /// <summary>
    /// Signs a 32-byte hash. s is at most n/2 because EIP-2 makes nodes reject the high-s twin of every signature
    /// (otherwise anyone could flip s and change the transaction hash). YParity is the y parity of the R matching the
    /// returned s, as EIP-155 and EIP-1559 encode it.
    /// </summary>
    public (byte YParity, byte[] R, byte[] S) Sign(ReadOnlySpan<byte> hash32)
    {
        if (hash32.Length != 32) throw new ArgumentException("Ethereum signs 32-byte Keccak-256 hashes.", nameof(hash32));
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, privateKey);
        var rs = signer.GenerateSignature(hash32.ToArray());
        BigInteger r = rs[0], s = rs[1];
        // Replacing s by n − s is the signature made with −R, whose y has the other parity. Recovering against the
        // final s (rather than flipping a parity taken from R) gets that flip right by construction.
        if (s.CompareTo(Secp256k1.HalfN) > 0) s = Secp256k1.N.Subtract(s);

        for (byte parity = 0; parity <= 1; parity++)
        {
            if (PublicKeyRecovery.Recover(hash32, r, s, parity) is { } recovered && recovered.Equals(publicKey))
                return (parity, BigIntegers.AsUnsignedByteArray(32, r), BigIntegers.AsUnsignedByteArray(32, s));
        }
        // Only when R.x >= n (odds about 2^-127): valid ECDSA, but Ethereum's one parity bit cannot express it.
        throw new CryptographicException("This signature's R cannot be encoded as an Ethereum y parity.");
    }

    /// <summary>The address: a key must never print its secret into a log line or exception message.</summary>
    public override string ToString() => Address;
}
