using System.Numerics;

namespace Attest.LogServer.Anchor;

/// <summary>
/// EIP-1559 fee-market transactions (type 2), in their EIP-2718 envelope: 0x02 || rlp([chainId, nonce,
/// maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList, yParity, r, s]). The signing hash
/// covers the same envelope over the first nine fields, so the type byte is signed too and a signature cannot be
/// replayed as another transaction type.
/// </summary>
public static partial class EvmTransaction
{
    private const byte Eip1559Type = 0x02;

    public static SignedTransaction Eip1559(EvmKey key, BigInteger chainId, long nonce, BigInteger maxPriorityFeePerGas,
        BigInteger maxFeePerGas, long gasLimit, ReadOnlySpan<byte> to, BigInteger value, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(key);
        // EIP-1559 makes such a transaction invalid, not merely unattractive.
        if (maxPriorityFeePerGas > maxFeePerGas)
            throw new ArgumentException("maxPriorityFeePerGas exceeds maxFeePerGas.", nameof(maxPriorityFeePerGas));
        byte[][] fields =
        [
            ChainId(chainId),
            Counter(nonce, nameof(nonce)),
            Quantity(maxPriorityFeePerGas, nameof(maxPriorityFeePerGas)),
            Quantity(maxFeePerGas, nameof(maxFeePerGas)),
            Counter(gasLimit, nameof(gasLimit)),
            Recipient(to),
            Quantity(value, nameof(value)),
            Rlp.EncodeBytes(data),
            Rlp.EncodeList(), // no access list: an anchor touches no storage worth pre-warming
        ];
        var (yParity, r, s) = key.Sign(Keccak.Hash256(Typed(Eip1559Type, Rlp.EncodeList(fields))));
        return Seal(Typed(Eip1559Type, Rlp.EncodeList([.. fields, Rlp.EncodeUInt(yParity), Scalar(r), Scalar(s)])));
    }

    // EIP-2718: TransactionType || TransactionPayload.
    private static byte[] Typed(byte type, byte[] payload) => [type, .. payload];
}
