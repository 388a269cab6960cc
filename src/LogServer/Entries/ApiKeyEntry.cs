using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>api-key/v1</c> entry (docs/ENTRIES.md "api-key/v1"): an issuer API key was created (with its expiry, when
/// set) or revoked. The key's name and its SHA-256 are private; the key itself is never stored.
/// </summary>
public readonly record struct ApiKeyEntry(bool Revoked, Guid Id, Guid IssuerId, string At, string? ExpiresAt = null)
{
    public const string Type = "api-key/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode()
    {
        var e = new JsonObject { ["type"] = Type, ["event"] = Revoked ? "revoked" : "created", ["id"] = Id.ToString(), ["issuer_id"] = IssuerId.ToString(), ["at"] = At };
        if (ExpiresAt is not null) e["expires_at"] = ExpiresAt;
        return Jcs.Canonicalize(e);
    }

    public static ApiKeyEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        bool revoked = f.String("event") switch
        {
            "created" => false,
            "revoked" => true,
            _ => throw new EntryFormatException($"the {Type} entry's \"event\" is not created or revoked"),
        };
        var key = new ApiKeyEntry(revoked, f.Guid("id"), f.Guid("issuer_id"), f.String("at"), f.OptionalString("expires_at"));
        f.End();
        if (revoked && key.ExpiresAt is not null) throw new EntryFormatException($"a revoked {Type} entry has no \"expires_at\"");
        return key;
    }

    public static ApiKeyEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
