using System.Security.Cryptography;
using System.Text.Json;
using Attest.LogServer.Api;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Commands;

/// <summary>What a verify request names: a stamp by its content, or an attestation in one of four forms.</summary>
public enum VerifySubject { ContentHash, Content, AttestationId, Attestation, Bundle, DocumentHash }

/// <summary>
/// A verification (README "HTTP API": <c>POST /v1/verify</c>; <c>attest.v1.VerifyRequest</c>): exactly one subject,
/// with the fields it needs set; <see cref="DocumentSha256"/> (lowercase hex, from <c>document_sha256</c> or the hash of
/// <c>document</c>) only with an attestation, <see cref="Policy"/> only with a bundle.
/// </summary>
public sealed record VerifyCommand(VerifySubject Subject, string? DocumentSha256, string? Policy)
{
    public static readonly string[] Subjects = ["content_hash", "content", "attestation_id", "attestation", "bundle", "document_hash"];

    /// <summary>The content hash of a <see cref="VerifySubject.ContentHash"/> or <see cref="VerifySubject.Content"/> subject.</summary>
    public Hash ContentHash { get; private init; }

    public Guid AttestationId { get; private init; }

    /// <summary>The signed payload and signature of an <see cref="VerifySubject.Attestation"/> subject.</summary>
    public JsonElement Payload { get; private init; }

    public string Signature { get; private init; } = "";

    public JsonElement Bundle { get; private init; }

    /// <summary>The lowercase hex document hash of a <see cref="VerifySubject.DocumentHash"/> subject.</summary>
    public string DocumentHash { get; private init; } = "";

    /// <summary>REST: a <c>document</c> longer than <paramref name="maxDocumentChars"/> (base64url) is refused with 413.</summary>
    public static VerifyCommand FromJson(JsonElement body, long maxDocumentChars)
    {
        var f = new RequestFields(body, [.. Subjects, "document", "document_sha256", "policy"]);
        var given = Subjects.Where(f.Has).ToArray();
        if (given.Length != 1) throw MissingSubject();
        byte[]? document = null;
        if (f.String("document") is { } encoded)
        {
            if (encoded.Length > maxDocumentChars) throw DocumentTooLarge(maxDocumentChars);
            if (!Base64Url.TryDecode(encoded, out document)) throw DomainError.Invalid("invalid_document", "document must be unpadded base64url");
        }
        JsonElement payload = default, bundle = default;
        string? signature = null;
        if (given[0] == "attestation")
        {
            var a = body.GetProperty("attestation");
            if (a.ValueKind != JsonValueKind.Object || !a.TryGetProperty("payload", out payload) || !a.TryGetProperty("signature", out var sig)
                || sig.ValueKind != JsonValueKind.String)
                throw InvalidAttestation();
            signature = sig.GetString();
        }
        if (given[0] == "bundle") bundle = body.GetProperty("bundle");
        var subject = (VerifySubject)Array.IndexOf(Subjects, given[0]);
        return Validate(subject, f.String("content_hash"), f.String("content"), f.String("attestation_id"), payload, signature, bundle,
            f.String("document_hash"), f.String("document_sha256"), document, f.String("policy"), maxDocumentChars);
    }

    /// <summary>gRPC: the oneof names the subject; the attestation's payload and the bundle (Structs) are written to JSON once.</summary>
    public static VerifyCommand FromProto(V1.VerifyRequest r, long maxDocumentChars)
    {
        var subject = r.SubjectCase switch
        {
            V1.VerifyRequest.SubjectOneofCase.ContentHash => VerifySubject.ContentHash,
            V1.VerifyRequest.SubjectOneofCase.Content => VerifySubject.Content,
            V1.VerifyRequest.SubjectOneofCase.AttestationId => VerifySubject.AttestationId,
            V1.VerifyRequest.SubjectOneofCase.Attestation => VerifySubject.Attestation,
            V1.VerifyRequest.SubjectOneofCase.Bundle => VerifySubject.Bundle,
            V1.VerifyRequest.SubjectOneofCase.DocumentHash => VerifySubject.DocumentHash,
            _ => throw MissingSubject(),
        };
        JsonElement payload = default;
        string? signature = null;
        if (subject == VerifySubject.Attestation)
        {
            if (r.Attestation.Payload is null || r.Attestation.Signature.Length == 0) throw InvalidAttestation();
            payload = ProtoStruct.ToJson(r.Attestation.Payload);
            signature = r.Attestation.Signature;
        }
        if (!r.Document.IsEmpty && (r.Document.Length * 4L + 2) / 3 > maxDocumentChars) throw DocumentTooLarge(maxDocumentChars);
        string? Text(VerifySubject given, string value) => subject == given ? value : null;
        return Validate(subject, Text(VerifySubject.ContentHash, r.ContentHash), Text(VerifySubject.Content, r.Content), Text(VerifySubject.AttestationId, r.AttestationId),
            payload, signature, r.Bundle is null ? default : ProtoStruct.ToJson(r.Bundle), Text(VerifySubject.DocumentHash, r.DocumentHash),
            Field.Present(r.DocumentSha256), r.Document.IsEmpty ? null : r.Document.ToByteArray(), Field.Present(r.Policy), maxDocumentChars);
    }

    /// <summary>The one validator of a verification, whichever transport bound its fields.</summary>
    public static VerifyCommand Validate(
        VerifySubject subject, string? contentHash, string? content, string? attestationId, JsonElement payload, string? signature, JsonElement bundle,
        string? documentHash, string? documentSha256, byte[]? document, string? policy, long maxDocumentChars)
    {
        if (payload.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object)) throw InvalidAttestation();
        string? compare = null;
        if (documentSha256 is not null)
        {
            if (document is not null) throw DomainError.Invalid("invalid_field", "send \"document_sha256\" or \"document\", not both");
            compare = Hash.TryParseHex(documentSha256, out _) ? documentSha256.ToLowerInvariant()
                : throw DomainError.Invalid("invalid_document_sha256", "document_sha256 must be 64 hex digits (a SHA-256)");
        }
        else if (document is not null) compare = Convert.ToHexStringLower(SHA256.HashData(document));
        bool stamp = subject is VerifySubject.ContentHash or VerifySubject.Content;
        if (compare is not null && stamp)
            throw DomainError.Invalid("invalid_field", "\"document_sha256\" and \"document\" go with an attestation, not a stamp");
        // The policy is a trust root for the bundle's evidence; the other forms are judged on this log's own state.
        if (Field.Optional(policy, "policy", TrustPolicy.MaxBytes) is not null && subject != VerifySubject.Bundle)
            throw DomainError.Invalid("invalid_field", "\"policy\" goes with a \"bundle\"");
        var command = new VerifyCommand(subject, compare, policy);
        return subject switch
        {
            VerifySubject.ContentHash or VerifySubject.Content => command with
            {
                ContentHash = StampCommand.ContentHashOf(contentHash, content, StampCommand.MaxVerifyContentLength).Hash,
            },
            VerifySubject.AttestationId => command with { AttestationId = Field.Id(Field.Required(attestationId, "attestation_id", 36), "attestation") },
            VerifySubject.Attestation => command with { Payload = payload, Signature = signature! },
            VerifySubject.Bundle => command with { Bundle = bundle },
            _ => command with
            {
                DocumentHash = Hash.TryParseHex(Field.Required(documentHash, "document_hash", 64), out _) ? documentHash!.ToLowerInvariant()
                    : throw DomainError.Invalid("invalid_document_hash", "document_hash must be 64 hex digits (a SHA-256)"),
            },
        };
    }

    private static DomainError MissingSubject() => DomainError.Invalid("missing_content", $"send exactly one of: {string.Join(", ", Subjects)}");

    private static DomainError InvalidAttestation() => DomainError.Invalid("invalid_field", "\"attestation\" must be {\"payload\": {…}, \"signature\": \"…\"}");

    private static DomainError DocumentTooLarge(long maxDocumentChars) =>
        DomainError.TooLarge("payload_too_large", $"\"document\" is over {maxDocumentChars} characters; send its SHA-256 as \"document_sha256\"");
}
