using System.Numerics;

namespace Attest.LogServer.Anchor;

/// <summary>
/// Legacy transactions with EIP-155 replay protection: rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s])
/// with v = yParity + 2·chainId + 35, signed over rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0]).
/// Folding the chain id into the signed data is what stops the transaction being replayed on another chain. Kept
/// for chains and tools that still lack EIP-1559.
/// </summary>
public static partial class EvmTransaction
{
    public static SignedTransaction Legacy(EvmKey key, BigInteger chainId, long nonce, BigInteger gasPrice, long gasLimit,
        ReadOnlySpan<byte> to, BigInteger value, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(key);
        var chain = ChainId(chainId);
        byte[][] fields =
        [
            Counter(nonce, nameof(nonce)),
            Quantity(gasPrice, nameof(gasPrice)),
            Counter(gasLimit, nameof(gasLimit)),
            Recipient(to),
            Quantity(value, nameof(value)),
            Rlp.EncodeBytes(data),
        ];
        var zero = Rlp.EncodeUInt(BigInteger.Zero);
        var (yParity, r, s) = key.Sign(Keccak.Hash256(Rlp.EncodeList([.. fields, chain, zero, zero])));
        var v = yParity + chainId * 2 + 35;
        return Seal(Rlp.EncodeList([.. fields, Rlp.EncodeUInt(v), Scalar(r), Scalar(s)]));
    }
}
