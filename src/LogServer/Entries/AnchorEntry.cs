using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>anchor/v1</c> entry (docs/ENTRIES.md "anchor/v1", docs/ANCHORING.md): a confirmed anchor, the checkpoint
/// (signed note) whose size, root and origin the transaction's calldata names, and where the chain holds that
/// transaction. Logged by the server itself.
/// </summary>
public readonly record struct AnchorEntry(
    long ChainId, string TxHash, long BlockNumber, string BlockHash, long BlockTimestamp, long TreeSize, string RootHash,
    string From, string To, string Checkpoint)
{
    public const string Type = "anchor/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode() => Jcs.Canonicalize(new JsonObject
    {
        ["type"] = Type, ["chain_id"] = ChainId, ["tx_hash"] = TxHash, ["block_number"] = BlockNumber, ["block_hash"] = BlockHash,
        ["block_timestamp"] = BlockTimestamp, ["tree_size"] = TreeSize, ["root_hash"] = RootHash, ["from"] = From, ["to"] = To,
        ["checkpoint"] = Checkpoint,
    });

    public static AnchorEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var anchor = new AnchorEntry(
            f.Long("chain_id"), f.String("tx_hash"), f.Long("block_number"), f.String("block_hash"), f.Long("block_timestamp"),
            f.Long("tree_size"), f.String("root_hash"), f.String("from"), f.String("to"), f.String("checkpoint"));
        f.End();
        return anchor;
    }

    public static AnchorEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
