using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>stamp/v1</c> entry (docs/ENTRIES.md "stamp/v1"): proof that content with this SHA-256 existed at
/// <paramref name="CreatedAt"/>. Only the id, the hash and the time, never the content. A sealed stamp also says until
/// when (<paramref name="SealedUntil"/>, Unix seconds), so an auditor knows a <c>stamp-reveal/v1</c> entry is due. A URL
/// stamp (<paramref name="Url"/>: the content is an http(s) URL) also says so, with its page's <paramref name="Snapshot"/>
/// when one was taken; a text stamp's entry has neither member, as before URL stamps existed.
/// </summary>
public readonly record struct StampEntry(string Id, Hash ContentHash, string CreatedAt, long? SealedUntil = null, bool Url = false, UrlSnapshot? Snapshot = null)
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
        if (Url) entry["content_type"] = "url";
        if (Snapshot is { } snapshot)
        {
            entry["snapshot_sha256"] = snapshot.Sha256.ToHex();
            entry["snapshot_size"] = snapshot.Size;
        }
        return Jcs.Canonicalize(entry);
    }

    public static StampEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var stamp = new StampEntry(f.String("id"), f.HexHash("content_hash"), f.String("created_at"), f.OptionalLong("sealed_until"));
        if (f.OptionalString("content_type") is { } contentType)
        {
            if (contentType != "url") throw new EntryFormatException("a stamp/v1 entry's \"content_type\" is \"url\" when present");
            stamp = stamp with { Url = true };
            if (entry.TryGetProperty("snapshot_sha256", out _))
            {
                long size = f.Long("snapshot_size");
                if (size < 0) throw new EntryFormatException("a stamp/v1 entry's \"snapshot_size\" is not negative");
                stamp = stamp with { Snapshot = new UrlSnapshot(f.HexHash("snapshot_sha256"), size) };
            }
        }
        f.End();
        return stamp;
    }

    public static StampEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}

/// <summary>A URL stamp's page as fetched: the SHA-256 and length of its body, which the blob store keeps under that hash.</summary>
public readonly record struct UrlSnapshot(Hash Sha256, long Size);
