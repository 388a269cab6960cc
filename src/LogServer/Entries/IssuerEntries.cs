using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>
/// Log entries of issuers and their keys (docs/ENTRIES.md). Names of API keys and packs, key material and key
/// hashes are private (kept beside the entry), never in the entry.
/// </summary>
public static class IssuerEntries
{
    public const string IssuerType = "issuer/v1", KeyType = "key/v1", ApiKeyType = "api-key/v1", PackType = "pack/v1";

    public static byte[] Issuer(Guid id, string name, string createdAt) =>
        Jcs.Canonicalize(new JsonObject { ["type"] = IssuerType, ["id"] = id.ToString(), ["name"] = name, ["created_at"] = createdAt });

    /// <summary><c>event</c> is created, rotated (a new key replacing <paramref name="rotatedFrom"/>) or compromised.</summary>
    public static byte[] Key(string @event, Guid issuerId, string kid, string publicKey, string at, string? rotatedFrom = null, string? compromisedAt = null)
    {
        var e = new JsonObject
        {
            ["type"] = KeyType, ["event"] = @event, ["issuer_id"] = issuerId.ToString(), ["kid"] = kid,
            ["alg"] = "Ed25519", ["public_key"] = publicKey, ["at"] = at,
        };
        if (rotatedFrom is not null) e["rotated_from"] = rotatedFrom;
        if (compromisedAt is not null) e["compromised_at"] = compromisedAt;
        return Jcs.Canonicalize(e);
    }

    public static byte[] ApiKey(string @event, Guid id, Guid issuerId, string at, string? expiresAt = null)
    {
        var e = new JsonObject { ["type"] = ApiKeyType, ["event"] = @event, ["id"] = id.ToString(), ["issuer_id"] = issuerId.ToString(), ["at"] = at };
        if (expiresAt is not null) e["expires_at"] = expiresAt;
        return Jcs.Canonicalize(e);
    }

    public static byte[] Pack(string @event, Guid id, Guid issuerId, string at) =>
        Jcs.Canonicalize(new JsonObject { ["type"] = PackType, ["event"] = @event, ["id"] = id.ToString(), ["issuer_id"] = issuerId.ToString(), ["at"] = at });
}

/// <summary>Log entries of attestations: ids, key id, schema, the payload's SHA-256 and the signature, never claims.</summary>
public static class AttestationEntries
{
    public const string AttestationType = "attestation/v1", RevocationType = "revocation/v1";

    public static byte[] Attestation(Guid id, Guid issuerId, string kid, string schema, Hash payloadSha256, string signature, string createdAt, Guid? supersedes)
    {
        // Written member by member in canonical order: one of these is made per mint.
        var entry = new System.Buffers.ArrayBufferWriter<byte>(512);
        var members = new Jcs.ObjectWriter(entry)
            .String("created_at", createdAt).String("id", id.ToString()).String("issuer_id", issuerId.ToString()).String("kid", kid)
            .String("payload_sha256", payloadSha256.ToHex()).String("schema", schema).String("signature", signature);
        if (supersedes is { } old) members.String("supersedes", old.ToString());
        members.String("type", AttestationType).End();
        return entry.WrittenSpan.ToArray();
    }

    public static byte[] Revocation(Guid attestationId, Guid issuerId, string revokedAt) =>
        Jcs.Canonicalize(new JsonObject { ["type"] = RevocationType, ["attestation_id"] = attestationId.ToString(), ["issuer_id"] = issuerId.ToString(), ["revoked_at"] = revokedAt });
}
