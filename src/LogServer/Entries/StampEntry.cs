using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>stamp/v1</c> entry (docs/ENTRIES.md "stamp/v1"): proof that content with this SHA-256 existed at
/// <paramref name="CreatedAt"/>. Only the id, the hash and the time, never the content. A sealed stamp also says until
/// when (<paramref name="SealedUntil"/>, Unix seconds), so an auditor knows a <c>stamp-reveal/v1</c> entry is due.
/// </summary>
public readonly record struct StampEntry(string Id, Hash ContentHash, string CreatedAt, long? SealedUntil = null)
{
    public const string Type = "stamp/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode()
    {
        var entry = new JsonObject
        {
            ["type"] = Type,
            ["id"] = Id,
            ["content_hash"] = ContentHash.ToHex(),
            ["created_at"] = CreatedAt,
        };
        if (SealedUntil is { } until) entry["sealed_until"] = until;
        return Jcs.Canonicalize(entry);
    }

    public static StampEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var stamp = new StampEntry(f.String("id"), f.HexHash("content_hash"), f.String("created_at"), f.OptionalLong("sealed_until"));
        f.End();
        return stamp;
    }

    public static StampEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
