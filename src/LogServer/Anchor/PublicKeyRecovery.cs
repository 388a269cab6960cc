using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Utilities;

namespace Attest.LogServer.Anchor;

/// <summary>
/// ECDSA public key recovery, SEC 1 v2 §4.1.6, as Ethereum uses it: a transaction carries no public key, only
/// (r, s) and the parity of R's y coordinate, and nodes recover the sender from those. Signing runs it too, because
/// BouncyCastle's ECDSA signer does not expose R, and recovery is how we learn which parity to publish.
/// </summary>
internal static class PublicKeyRecovery
{
    /// <summary>The key that made (r, s) over <paramref name="hash32"/>, if R had the given y parity; null if none did.</summary>
    public static ECPoint? Recover(ReadOnlySpan<byte> hash32, BigInteger r, BigInteger s, int yParity)
    {
        var n = Secp256k1.N;
        if (hash32.Length != 32 || yParity is not (0 or 1)) return null;
        if (r.SignValue <= 0 || r.CompareTo(n) >= 0 || s.SignValue <= 0 || s.CompareTo(n) >= 0) return null;

        // Step 1.1 takes x = r + j·n; Ethereum's parity byte cannot say j = 1 (possible only when R.x >= n, odds
        // about 2^-127), so x = r. Step 1.2's point decompression is the compressed encoding 0x02/0x03 || x.
        var compressed = new byte[33];
        compressed[0] = (byte)(0x02 | yParity);
        BigIntegers.AsUnsignedByteArray(r).CopyTo(compressed.AsSpan(33 - BigIntegers.GetUnsignedByteLength(r)));
        ECPoint point;
        try
        {
            point = Secp256k1.Domain.Curve.DecodePoint(compressed);
        }
        catch (ArgumentException)
        {
            return null; // r is not the x coordinate of any curve point
        }
        // Step 1.4 (nR = O) holds for every point: secp256k1's cofactor is 1.

        // A 32-byte hash is exactly as long as n, so step 1.5 truncates nothing.
        var e = new BigInteger(1, hash32.ToArray());
        var rInverse = r.ModInverse(n);
        var q = ECAlgorithms.SumOfTwoMultiplies(
            Secp256k1.Domain.G, e.Negate().Multiply(rInverse).Mod(n),
            point, s.Multiply(rInverse).Mod(n)).Normalize();
        return q.IsInfinity ? null : q;
    }
}
