using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>stamp-reveal/v1</c> entry (docs/ENTRIES.md "stamp-reveal/v1"): a sealed stamp's content, made public after
/// its <c>sealed_until</c>. It repeats the stamp's <paramref name="ContentHash"/>, so that anyone holding both entries
/// checks SHA-256(UTF-8 <paramref name="Content"/>) against the hash logged when the stamp was sealed.
/// </summary>
public readonly record struct StampRevealEntry(string StampId, Hash ContentHash, string Content, string RevealedAt)
{
    public const string Type = "stamp-reveal/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode() => Jcs.Canonicalize(new JsonObject
    {
        ["type"] = Type, ["stamp_id"] = StampId, ["content_hash"] = ContentHash.ToHex(), ["content"] = Content, ["revealed_at"] = RevealedAt,
    });

    public static StampRevealEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var reveal = new StampRevealEntry(f.String("stamp_id"), f.HexHash("content_hash"), f.String("content"), f.String("revealed_at"));
        f.End();
        return reveal;
    }

    public static StampRevealEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
