using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>The <c>issuer/v1</c> entry (docs/ENTRIES.md "issuer/v1"): an issuer was registered under its public name.</summary>
public readonly record struct IssuerEntry(Guid Id, string Name, string CreatedAt)
{
    public const string Type = "issuer/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode() =>
        Jcs.Canonicalize(new JsonObject { ["type"] = Type, ["id"] = Id.ToString(), ["name"] = Name, ["created_at"] = CreatedAt });

    public static IssuerEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var issuer = new IssuerEntry(f.Guid("id"), f.String("name"), f.String("created_at"));
        f.End();
        return issuer;
    }

    public static IssuerEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
