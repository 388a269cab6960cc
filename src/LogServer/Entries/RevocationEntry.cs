using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>The <c>revocation/v1</c> entry (docs/ENTRIES.md "revocation/v1"): an attestation was revoked, irreversibly. The reason is private.</summary>
public readonly record struct RevocationEntry(Guid AttestationId, Guid IssuerId, string RevokedAt)
{
    public const string Type = "revocation/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode() => Jcs.Canonicalize(new JsonObject
    {
        ["type"] = Type, ["attestation_id"] = AttestationId.ToString(), ["issuer_id"] = IssuerId.ToString(), ["revoked_at"] = RevokedAt,
    });

    public static RevocationEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var revocation = new RevocationEntry(f.Guid("attestation_id"), f.Guid("issuer_id"), f.String("revoked_at"));
        f.End();
        return revocation;
    }

    public static RevocationEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
