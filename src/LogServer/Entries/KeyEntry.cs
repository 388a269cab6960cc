using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>The events of an issuer's signing key, as <c>key/v1</c>'s <c>event</c> names them.</summary>
public enum KeyEvent
{
    /// <summary>A first key of the issuer.</summary>
    Created,

    /// <summary>A new key replacing <see cref="KeyEntry.RotatedFrom"/>, which signs nothing more; what it signed stays valid.</summary>
    Rotated,

    /// <summary>The key signs nothing more, and what it signed from <see cref="KeyEntry.CompromisedAt"/> on is not valid.</summary>
    Compromised,
}

/// <summary>
/// The <c>key/v1</c> entry (docs/ENTRIES.md "key/v1"): an event of an issuer's signing key. A server-held key is
/// Ed25519 (<see cref="ServerHeld"/>); its private key never enters the log (it is kept sealed beside the entry). An
/// issuer-held key is <c>ES256</c> or <c>EdDSA</c>, and the server never has its private key.
/// <see cref="RotatedFrom"/> is set exactly with <see cref="KeyEvent.Rotated"/>, <see cref="CompromisedAt"/> exactly
/// with <see cref="KeyEvent.Compromised"/>.
/// </summary>
public readonly record struct KeyEntry(
    KeyEvent Event, Guid IssuerId, string Kid, string PublicKey, string At, string? RotatedFrom = null, string? CompromisedAt = null, string Alg = KeyEntry.ServerHeld)
{
    public const string Type = "key/v1";

    /// <summary>The algorithm of the keys the server holds (RFC 9864's name).</summary>
    public const string ServerHeld = "Ed25519";

    /// <summary>
    /// The algorithms of issuer-held keys, by their COSE names (RFC 9053 §2.1, §2.2): the public key is the 65-byte
    /// uncompressed P-256 point for ES256, the 32-byte Ed25519 key for EdDSA, in base64url like a server-held key's.
    /// </summary>
    public const string Es256 = "ES256", EdDsa = "EdDSA";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode()
    {
        var e = new JsonObject
        {
            ["type"] = Type, ["event"] = EventName(Event), ["issuer_id"] = IssuerId.ToString(), ["kid"] = Kid,
            ["alg"] = Alg, ["public_key"] = PublicKey, ["at"] = At,
        };
        if (RotatedFrom is not null) e["rotated_from"] = RotatedFrom;
        if (CompromisedAt is not null) e["compromised_at"] = CompromisedAt;
        return Jcs.Canonicalize(e);
    }

    public static KeyEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var @event = f.String("event") switch
        {
            "created" => KeyEvent.Created,
            "rotated" => KeyEvent.Rotated,
            "compromised" => KeyEvent.Compromised,
            _ => throw new EntryFormatException($"the {Type} entry's \"event\" is not created, rotated or compromised"),
        };
        string alg = f.String("alg");
        if (alg is not (ServerHeld or Es256 or EdDsa)) throw new EntryFormatException($"the {Type} entry's \"alg\" is not \"{ServerHeld}\", \"{Es256}\" or \"{EdDsa}\"");
        var key = new KeyEntry(@event, f.Guid("issuer_id"), f.String("kid"), f.String("public_key"), f.String("at"),
            f.OptionalString("rotated_from"), f.OptionalString("compromised_at"), alg);
        f.End();
        if ((key.RotatedFrom is not null) != (@event == KeyEvent.Rotated))
            throw new EntryFormatException($"a {Type} entry has \"rotated_from\" exactly when its event is rotated");
        if ((key.CompromisedAt is not null) != (@event == KeyEvent.Compromised))
            throw new EntryFormatException($"a {Type} entry has \"compromised_at\" exactly when its event is compromised");
        return key;
    }

    public static KeyEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);

    private static string EventName(KeyEvent e) => e switch
    {
        KeyEvent.Created => "created",
        KeyEvent.Rotated => "rotated",
        KeyEvent.Compromised => "compromised",
        _ => throw new System.Diagnostics.UnreachableException($"key event {e}"),
    };
}
