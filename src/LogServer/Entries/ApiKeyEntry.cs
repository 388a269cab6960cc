using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>The events of an issuer API key, as <c>api-key/v1</c>'s <c>event</c> names them.</summary>
public enum ApiKeyEvent
{
    /// <summary>The key was created (with its expiry, when set; its credit balance, if any, is private).</summary>
    Created,

    /// <summary>The key was revoked: it is refused from then on.</summary>
    Revoked,

    /// <summary>The admin added credits to the key's balance; how many is private.</summary>
    Credited,
}

/// <summary>
/// The <c>api-key/v1</c> entry (docs/ENTRIES.md "api-key/v1"): an issuer API key was created (with its expiry, when
/// set), revoked, or credited. The key's name, its SHA-256 and its credits are private; the key itself is never stored.
/// </summary>
public readonly record struct ApiKeyEntry(ApiKeyEvent Event, Guid Id, Guid IssuerId, string At, string? ExpiresAt = null)
{
    public const string Type = "api-key/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode()
    {
        var e = new JsonObject { ["type"] = Type, ["event"] = EventName(Event), ["id"] = Id.ToString(), ["issuer_id"] = IssuerId.ToString(), ["at"] = At };
        if (ExpiresAt is not null) e["expires_at"] = ExpiresAt;
        return Jcs.Canonicalize(e);
    }

    public static ApiKeyEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var ev = f.String("event") switch
        {
            "created" => ApiKeyEvent.Created,
            "revoked" => ApiKeyEvent.Revoked,
            "credited" => ApiKeyEvent.Credited,
            _ => throw new EntryFormatException($"the {Type} entry's \"event\" is not created, revoked or credited"),
        };
        var key = new ApiKeyEntry(ev, f.Guid("id"), f.Guid("issuer_id"), f.String("at"), f.OptionalString("expires_at"));
        f.End();
        if (ev != ApiKeyEvent.Created && key.ExpiresAt is not null) throw new EntryFormatException($"only a created {Type} entry has \"expires_at\"");
        return key;
    }

    public static ApiKeyEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);

    private static string EventName(ApiKeyEvent e) => e switch
    {
        ApiKeyEvent.Created => "created",
        ApiKeyEvent.Revoked => "revoked",
        ApiKeyEvent.Credited => "credited",
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
