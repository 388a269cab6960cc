using System.Text.Json;
using Attest.LogServer.Api;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Commands;

/// <summary>
/// A mint, and the new attestation of a supersession (README "HTTP API": <c>POST /v1/attestations/mint</c> and
/// <c>/supersede</c>, the Truthlocks mint body; <c>attest.v1.MintRequest</c> in proto/attest/v1/attestations.proto),
/// validated: claims checked against the schema catalogue, <see cref="DocumentHash"/> defaulted from
/// <c>claims.document.sha256</c>, <see cref="ContentType"/> from <c>application/json</c>.
/// </summary>
public sealed record MintCommand(
    Guid IssuerId, string Kid, string Schema, JsonElement Claims, string? RecipientEmail, string? DocumentHash,
    Guid? PackId, string ContentType, byte[]? Payload)
{
    /// <summary>The RFC 8785 (JCS) form of <see cref="Claims"/>, made once: what the signed payload and the idempotency digest hold.</summary>
    public required byte[] ClaimsJcs { get; init; }

    /// <summary>The seed's limit on the base64url-encoded payload; a gRPC payload is held to the bytes it would encode.</summary>
    public const int MaxEncodedPayload = 50 * 1000 * 1000;

    public static readonly string[] ContentTypes =
    [
        "application/json", "application/pdf", "image/png", "image/jpeg", "image/webp", "image/tiff",
        "video/mp4", "video/webm", "audio/mpeg", "audio/wav", "application/octet-stream",
    ];

    private static readonly string[] JsonFields =
        ["issuer_id", "kid", "alg", "schema", "claims", "recipient_email", "document_hash", "pack_id", "content_type", "payload"];

    /// <summary>REST: the JSON body, strictly (unknown fields and wrong types refused); the payload is unpadded base64url.</summary>
    public static MintCommand FromJson(JsonElement body, LimitOptions limits)
    {
        var f = new RequestFields(body, JsonFields);
        byte[]? payload = null;
        if (f.String("payload") is { } encoded)
        {
            if (encoded.Length > MaxEncodedPayload) throw TooLarge();
            if (!Base64Url.TryDecode(encoded, out payload)) throw DomainError.Invalid("invalid_payload", "payload must be unpadded base64url");
        }
        return Validate(f.String("issuer_id"), f.String("kid"), f.String("alg"), f.String("schema"),
            body.TryGetProperty("claims", out var claims) ? claims : null,
            f.String("recipient_email"), f.String("document_hash"), f.String("pack_id"), f.String("content_type"), payload, limits);
    }

    /// <summary>gRPC: the message field by field; the claims Struct is written to JSON once, as REST would have sent it.</summary>
    public static MintCommand FromProto(V1.MintRequest r, LimitOptions limits) => Validate(
        Field.Present(r.IssuerId), Field.Present(r.Kid), Field.Present(r.Alg), Field.Present(r.Schema),
        r.Claims is null ? null : ProtoStruct.ToJson(r.Claims),
        Field.Present(r.RecipientEmail), Field.Present(r.DocumentHash), Field.Present(r.PackId), Field.Present(r.ContentType),
        r.Payload.IsEmpty ? null : r.Payload.ToByteArray(), limits);

    /// <summary>The one validator of a mint, whichever transport bound its fields.</summary>
    public static MintCommand Validate(
        string? issuerId, string? kid, string? alg, string? schema, JsonElement? claims, string? recipientEmail, string? documentHash,
        string? packId, string? contentType, byte[]? payload, LimitOptions limits)
    {
        var issuer = Field.Id(Field.Required(issuerId, "issuer_id", 36), "issuer");
        kid = Field.Required(kid, "kid", limits.MaxKidLength, nameof(limits.MaxKidLength));
        if (Field.Required(alg, "alg", 20) != "Ed25519") throw DomainError.Invalid("unsupported_alg", "alg must be \"Ed25519\"");
        schema = Field.Required(schema, "schema", 64);
        var entry = SchemaCatalogue.Find(schema) ?? throw DomainError.Invalid("unknown_schema", $"unknown schema \"{schema}\"; see GET /v1/schemas");
        if (claims is not { ValueKind: JsonValueKind.Object } c) throw DomainError.Invalid("invalid_field", "\"claims\" must be an object");
        var claimsJcs = Commands.Claims.Check(entry, c, limits);
        if (Field.Optional(recipientEmail, "recipient_email", EmailAddress.MaxLength) is { } email && !EmailAddress.IsValid(email))
            throw DomainError.Invalid("invalid_email", "recipient_email must be a bare address, local@domain (ASCII, no name or comment)");
        if (Field.Optional(documentHash, "document_hash", 64) is { } hash && !Hash.TryParseHex(hash, out _))
            throw DomainError.Invalid("invalid_document_hash", "document_hash must be 64 hex digits (a SHA-256)");
        Guid? pack = Field.Optional(packId, "pack_id", 36) is { } p ? Field.Id(p, "pack") : null;
        contentType = Field.Optional(contentType, "content_type", 64) ?? "application/json";
        if (Array.IndexOf(ContentTypes, contentType) < 0)
            throw DomainError.Invalid("unsupported_content_type", $"content_type must be one of: {string.Join(", ", ContentTypes)}");
        // Unpadded base64url: 4 characters per 3 bytes, and 2 or 3 for a last group of 1 or 2.
        if (payload is not null && (payload.LongLength * 4 + 2) / 3 > MaxEncodedPayload) throw TooLarge();
        return new MintCommand(issuer, kid, schema, c, recipientEmail, documentHash?.ToLowerInvariant() ?? Commands.Claims.DocumentSha256(c),
            pack, contentType, payload) { ClaimsJcs = claimsJcs };
    }

    /// <summary>The <see cref="IdempotencyDigest"/> of this command as <paramref name="operation"/>.</summary>
    public byte[] Digest(string operation) => IdempotencyDigest.Of(operation, this, static (m, w) =>
    {
        w.String("alg", "Ed25519").Canonical("claims", m.ClaimsJcs).String("content_type", m.ContentType);
        if (m.DocumentHash is not null) w.String("document_hash", m.DocumentHash);
        w.String("issuer_id", m.IssuerId.ToString()).String("kid", m.Kid);
        if (m.PackId is { } pack) w.String("pack_id", pack.ToString());
        if (m.Payload is not null) w.String("payload_sha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(m.Payload)));
        if (m.RecipientEmail is not null) w.String("recipient_email", m.RecipientEmail);
        w.String("schema", m.Schema).End();
    });

    private static DomainError TooLarge() => DomainError.TooLarge("payload_too_large", "the base64url payload is over 50 MB");
}
