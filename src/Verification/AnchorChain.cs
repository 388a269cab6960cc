using System.Text.Json;

namespace Attest.Verification;

/// <summary>
/// The chain side of an anchor (docs/ANCHORING.md "Verifying an anchor offline"), asked of an EVM node over JSON-RPC:
/// the node is on the anchor's chain; the transaction exists, carries exactly the anchor's calldata, was sent by the
/// anchor's <c>from</c> to its <c>to</c>, and succeeded (receipt status 1); and its block is the anchor's block, by
/// number, hash and timestamp, still on the node's canonical chain. The node's answers are untrusted input.
/// </summary>
public static class AnchorChain
{
    public static async Task<CheckResult> Check(EthRpc rpc, BundleAnchor a)
    {
        const string name = BundleVerifier.AnchorChain;
        try
        {
            long chainId = await rpc.ChainId();
            if (chainId != a.ChainId) return BundleVerifier.Fail(name, $"the node is on chain {chainId}, the anchor on chain {a.ChainId}");
            if (await rpc.TransactionByHash(a.TxHash) is not { } tx) return BundleVerifier.Fail(name, $"the node knows no transaction {a.TxHash}");
            string input = Field(tx, "input");
            if (!string.Equals(input, a.Calldata, StringComparison.OrdinalIgnoreCase)) return BundleVerifier.Fail(name, $"transaction {a.TxHash} carries calldata {input}, not the anchor's {a.Calldata}");
            if (!string.Equals(Field(tx, "from"), a.From, StringComparison.OrdinalIgnoreCase)) return BundleVerifier.Fail(name, $"transaction {a.TxHash} was sent by {Field(tx, "from")}, not {a.From}");
            if (!string.Equals(Field(tx, "to"), a.To, StringComparison.OrdinalIgnoreCase)) return BundleVerifier.Fail(name, $"transaction {a.TxHash} went to {Field(tx, "to")}, not {a.To}");
            if (await rpc.Receipt(a.TxHash) is not { } receipt) return BundleVerifier.Fail(name, $"transaction {a.TxHash} has no receipt: it is not mined");
            if (EthRpc.Long(receipt.GetProperty("status")) != 1) return BundleVerifier.Fail(name, $"transaction {a.TxHash} failed (receipt status 0)");
            if (EthRpc.Hash32(receipt, "blockHash") != a.BlockHash.ToLowerInvariant() || EthRpc.Long(receipt.GetProperty("blockNumber")) != a.BlockNumber)
                return BundleVerifier.Fail(name, $"transaction {a.TxHash} is in block {EthRpc.Long(receipt.GetProperty("blockNumber"))} {EthRpc.Hash32(receipt, "blockHash")}, not {a.BlockNumber} {a.BlockHash}");
            if (await rpc.BlockByNumber(EthRpc.Quantity(a.BlockNumber)) is not { } block || EthRpc.Hash32(block, "hash") != a.BlockHash.ToLowerInvariant())
                return BundleVerifier.Fail(name, $"block {a.BlockNumber} of the node's chain is not {a.BlockHash}: the anchor's block was reorganised away");
            long timestamp = EthRpc.Long(block.GetProperty("timestamp"));
            if (timestamp != a.BlockTimestamp) return BundleVerifier.Fail(name, $"block {a.BlockNumber} has timestamp {timestamp}, the anchor says {a.BlockTimestamp}");
            long head = await rpc.BlockNumber();
            return BundleVerifier.Pass(name, $"chain {chainId} holds transaction {a.TxHash} from {a.From} with the anchor's calldata, succeeded, in block {a.BlockNumber} " +
                $"({head - a.BlockNumber + 1} confirmations) of {DateTimeOffset.FromUnixTimeSeconds(timestamp):yyyy-MM-ddTHH:mm:ssZ}: the entry existed no later than that");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or EthRpcException or FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return BundleVerifier.Fail(name, $"could not confirm the anchor on the chain: {e.Message}");
        }
    }

    private static string Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"the node's transaction has no \"{name}\"");
}
