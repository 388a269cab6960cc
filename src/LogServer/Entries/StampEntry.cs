using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>The <c>stamp/v1</c> log entry: proof that a content hash existed (docs/ENTRIES.md).</summary>
public static class StampEntry
{
    public const string Type = "stamp/v1";

    /// <summary>The RFC 8785 (JCS) bytes of the entry: only the id, the hash and the time, never the content.</summary>
    public static byte[] Encode(string id, in Hash contentHash, string createdAt) => Jcs.Canonicalize(new JsonObject
    {
        ["type"] = Type,
        ["id"] = id,
        ["content_hash"] = contentHash.ToHex(),
        ["created_at"] = createdAt,
    });
}
