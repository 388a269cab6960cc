using Org.BouncyCastle.Crypto.Digests;

namespace Attest.LogServer.Anchor;

/// <summary>
/// Keccak-256 as Ethereum uses it (Yellow Paper §3 "KEC"): the original Keccak submission's 0x01 padding, not the
/// 0x06 padding FIPS 202 later standardised as SHA3-256, so the two give different digests for every input.
/// BouncyCastle's <see cref="KeccakDigest"/> is the original; its <c>Sha3Digest</c> would be wrong here.
/// </summary>
public static class Keccak
{
    public static byte[] Hash256(ReadOnlySpan<byte> data)
    {
        var digest = new KeccakDigest(256);
        // BouncyCastle 1.8.10 has no span overloads, hence the copy.
        digest.BlockUpdate(data.ToArray(), 0, data.Length);
        var hash = new byte[32];
        digest.DoFinal(hash, 0);
        return hash;
    }
}
