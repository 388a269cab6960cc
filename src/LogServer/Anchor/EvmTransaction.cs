using System.Numerics;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Model;
using Nethereum.Signer;
using Nethereum.Util;

namespace Attest.LogServer.Anchor;

/// <summary>
/// Builds and signs Ethereum transactions through Nethereum: EIP-1559 fee-market transactions (type 2, in their
/// EIP-2718 envelope), and EIP-155 legacy ones for chains and tools that still lack EIP-1559. Field rules shared by
/// both come from the Yellow Paper §4.3.
/// </summary>
/// <remarks>
/// Arguments are checked here because a node would reject the transaction anyway, and it is cheaper to learn that
/// before spending a nonce on it; Nethereum encodes whatever it is given. Only calls are supported: an empty
/// <c>to</c> means contract creation, which anchoring never wants, so <c>to</c> must be a 20-byte address.
/// </remarks>
public static class EvmTransaction
{
    private static readonly BigInteger TwoTo256 = BigInteger.One << 256;

    /// <summary>
    /// 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList,
    /// yParity, r, s]) with an empty access list: an anchor touches no storage worth pre-warming.
    /// </summary>
    public static SignedTransaction Eip1559(EvmKey key, BigInteger chainId, long nonce, BigInteger maxPriorityFeePerGas,
        BigInteger maxFeePerGas, long gasLimit, ReadOnlySpan<byte> to, BigInteger value, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckChainId(chainId);
        ArgumentOutOfRangeException.ThrowIfNegative(nonce);
        CheckQuantity(maxPriorityFeePerGas, nameof(maxPriorityFeePerGas));
        CheckQuantity(maxFeePerGas, nameof(maxFeePerGas));
        // EIP-1559 makes such a transaction invalid, not merely unattractive.
        if (maxPriorityFeePerGas > maxFeePerGas)
            throw new ArgumentException("maxPriorityFeePerGas exceeds maxFeePerGas.", nameof(maxPriorityFeePerGas));
        ArgumentOutOfRangeException.ThrowIfNegative(gasLimit);
        CheckQuantity(value, nameof(value));
        var tx = new Transaction1559(chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, Recipient(to), value,
            data.ToArray().ToHex(prefix: true), []);
        return Seal(new Transaction1559Signer().SignTransaction(key.Key, tx));
    }

    /// <summary>
    /// EIP-155: rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s]) with v = yParity + 2·chainId + 35, signed
    /// over rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0]). Folding the chain id into the signed
    /// data is what stops the transaction being replayed on another chain.
    /// </summary>
    public static SignedTransaction Legacy(EvmKey key, BigInteger chainId, long nonce, BigInteger gasPrice, long gasLimit,
        ReadOnlySpan<byte> to, BigInteger value, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckChainId(chainId);
        ArgumentOutOfRangeException.ThrowIfNegative(nonce);
        CheckQuantity(gasPrice, nameof(gasPrice));
        ArgumentOutOfRangeException.ThrowIfNegative(gasLimit);
        CheckQuantity(value, nameof(value));
        var tx = new LegacyTransactionChainId(Recipient(to), value, nonce, gasPrice, gasLimit, data.ToArray().ToHex(prefix: true), chainId);
        // What LegacyTransactionSigner does, which takes only the raw private key.
        var signature = key.Key.SignAndCalculateV(tx.RawHash, chainId);
        tx.SetSignature(new Signature { R = signature.R, S = signature.S, V = signature.V });
        return Seal(tx.GetRLPEncoded().ToHex(prefix: true));
    }

    // Quantities (value, fees) are 256-bit in the Yellow Paper; a larger one cannot be a valid transaction.
    private static void CheckQuantity(BigInteger v, string name)
    {
        if (v.Sign < 0 || v >= TwoTo256) throw new ArgumentOutOfRangeException(name, v, "Must be in [0, 2^256).");
    }

    // Chain id 0 would sign for no chain in particular, which is what EIP-155 exists to prevent.
    private static void CheckChainId(BigInteger chainId)
    {
        if (chainId.Sign <= 0 || chainId >= TwoTo256) throw new ArgumentOutOfRangeException(nameof(chainId), chainId, "Must be in [1, 2^256).");
    }

    private static string Recipient(ReadOnlySpan<byte> to)
    {
        if (to.Length != 20) throw new ArgumentException("The recipient must be a 20-byte address.", nameof(to));
        return to.ToArray().ToHex(prefix: true);
    }

    // EIP-2718: the transaction hash is Keccak-256 of the whole raw form, type byte included.
    private static SignedTransaction Seal(string rawHex)
    {
        var raw = rawHex.HexToByteArray();
        return new SignedTransaction(raw, "0x" + Convert.ToHexStringLower(Sha3Keccack.Current.CalculateHash(raw)));
    }
}
