using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Service;
using Attest.Merkle;

namespace Attest.LogServer.Anchor;

/// <summary>
/// A confirmed anchor: the checkpoint (signed note) whose size, root and origin the transaction's calldata names,
/// and where the chain holds that transaction. Logged as an <c>anchor/v1</c> entry (docs/ENTRIES.md).
/// </summary>
public sealed record AnchorEntry(
    long ChainId, string TxHash, long BlockNumber, string BlockHash, long BlockTimestamp, long TreeSize, string RootHash,
    string From, string To, string Checkpoint)
{
    public const string Type = "anchor/v1";

    public byte[] Encode() => Jcs.Canonicalize(new JsonObject
    {
        ["type"] = Type, ["chain_id"] = ChainId, ["tx_hash"] = TxHash, ["block_number"] = BlockNumber, ["block_hash"] = BlockHash,
        ["block_timestamp"] = BlockTimestamp, ["tree_size"] = TreeSize, ["root_hash"] = RootHash, ["from"] = From, ["to"] = To,
        ["checkpoint"] = Checkpoint,
    });

    /// <summary>Reads an entry this server wrote (already known to be <c>anchor/v1</c>).</summary>
    public static AnchorEntry Parse(JsonElement e) => new(
        Long(e, "chain_id"), e.Str("tx_hash"), Long(e, "block_number"), e.Str("block_hash"), Long(e, "block_timestamp"),
        Long(e, "tree_size"), e.Str("root_hash"), e.Str("from"), e.Str("to"), e.Str("checkpoint"));

    private static long Long(JsonElement e, string name) => e.GetProperty(name).GetInt64();
}
