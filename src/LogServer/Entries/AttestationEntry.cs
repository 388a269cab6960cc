using System.Buffers;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// The <c>attestation/v1</c> entry (docs/ENTRIES.md "attestation/v1"): what a verifier needs to tie a presented
/// attestation to the log, and nothing of its content: ids, the key id, the schema, the SHA-256 of the signed
/// payload's RFC 8785 bytes, the issuer's signature over those bytes (base64url), the time, and the attestation it
/// supersedes, if any. The payload (claims, salt) stays in the entry's private data.
/// </summary>
public readonly record struct AttestationEntry(
    Guid Id, Guid IssuerId, string Kid, string Schema, Hash PayloadSha256, string Signature, string CreatedAt, Guid? Supersedes)
{
    public const string Type = "attestation/v1";

    /// <summary>The entry's RFC 8785 (JCS) bytes.</summary>
    public byte[] Encode()
    {
        // Written member by member in canonical order: one of these is made per mint.
        var entry = new ArrayBufferWriter<byte>(512);
        var members = new Jcs.ObjectWriter(entry)
            .String("created_at", CreatedAt).String("id", Id.ToString()).String("issuer_id", IssuerId.ToString()).String("kid", Kid)
            .String("payload_sha256", PayloadSha256.ToHex()).String("schema", Schema).String("signature", Signature);
        if (Supersedes is { } old) members.String("supersedes", old.ToString());
        members.String("type", Type).End();
        return entry.WrittenSpan.ToArray();
    }

    public static AttestationEntry Parse(JsonElement entry)
    {
        var f = new EntryFields(entry, Type);
        var attestation = new AttestationEntry(
            f.Guid("id"), f.Guid("issuer_id"), f.String("kid"), f.String("schema"), f.HexHash("payload_sha256"), f.String("signature"),
            f.String("created_at"), f.OptionalGuid("supersedes"));
        f.End();
        return attestation;
    }

    public static AttestationEntry Parse(ReadOnlySpan<byte> entry) => Entry.Parse(entry, Parse);
}
