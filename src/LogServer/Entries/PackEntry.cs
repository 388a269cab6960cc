using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>pack/v1</c> entry (docs/ENTRIES.md "pack/v1"): a verification pack was created (as a draft) or activated.
/// Its name and description are private.
/// </summary>
public readonly record struct PackEntry(bool Activated, Guid Id, Guid IssuerId, string At)
{
    public const string Type = "pack/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode() => Jcs.Canonicalize(new JsonObject
    {
        ["type"] = Type, ["event"] = Activated ? "activated" : "created", ["id"] = Id.ToString(), ["issuer_id"] = IssuerId.ToString(), ["at"] = At,
    });

    public static PackEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        bool activated = f.String("event") switch
        {
            "created" => false,
            "activated" => true,
            _ => throw new EntryFormatException($"the {Type} entry's \"event\" is not created or activated"),
        };
        var pack = new PackEntry(activated, f.Guid("id"), f.Guid("issuer_id"), f.String("at"));
        f.End();
        return pack;
    }

    public static PackEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
