using System.Numerics;

namespace Attest.LogServer.Anchor;

/// <summary>
/// Builds and signs Ethereum transactions: EIP-1559 (EvmTransaction.Eip1559.cs) and EIP-155 legacy
/// (EvmTransaction.Eip155.cs). Field rules shared by both come from the Yellow Paper §4.3.
/// </summary>
/// <remarks>
/// Arguments are checked here because a node would reject the transaction anyway, and it is cheaper to learn that
/// before spending a nonce on it. Only calls are supported: an empty <c>to</c> means contract creation, which
/// anchoring never wants, so <c>to</c> must be a 20-byte address.
/// </remarks>
public static partial class EvmTransaction
{
    private static readonly BigInteger TwoTo256 = BigInteger.One << 256;

    // Quantities (value, fees) are 256-bit in the Yellow Paper; a larger one cannot be a valid transaction.
    private static byte[] Quantity(BigInteger v, string name)
    {
        if (v.Sign < 0 || v >= TwoTo256) throw new ArgumentOutOfRangeException(name, v, "Must be in [0, 2^256).");
        return Rlp.EncodeUInt(v);
    }

    private static byte[] ChainId(BigInteger chainId)
    {
        // Chain id 0 would sign for no chain in particular, which is what EIP-155 exists to prevent.
        if (chainId.Sign <= 0) throw new ArgumentOutOfRangeException(nameof(chainId), chainId, "Must be positive.");
        return Quantity(chainId, nameof(chainId));
    }

    private static byte[] Counter(long v, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(v, name);
        return Rlp.EncodeUInt(v);
    }

    private static byte[] Recipient(ReadOnlySpan<byte> to)
    {
        if (to.Length != 20) throw new ArgumentException("The recipient must be a 20-byte address.", nameof(to));
        return Rlp.EncodeBytes(to);
    }

    // r and s are integers in the RLP, so their leading zero bytes go.
    private static byte[] Scalar(byte[] bigEndian32) => Rlp.EncodeUInt(new BigInteger(bigEndian32, isUnsigned: true, isBigEndian: true));

    private static SignedTransaction Seal(byte[] raw) => new(raw, "0x" + Convert.ToHexStringLower(Keccak.Hash256(raw)));
}
