using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Attest.LogServer.Service;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Api;

/// <summary>Mint, read, revoke and supersede attestations (the Truthlocks mint API, field for field).</summary>
public static class AttestationApi
{
    /// <summary>The seed's limit on the base64url-encoded payload.</summary>
    public const int MaxEncodedPayload = 50 * 1000 * 1000;

    public static readonly string[] ContentTypes =
    [
        "application/json", "application/pdf", "image/png", "image/jpeg", "image/webp", "image/tiff",
        "video/mp4", "video/webm", "audio/mpeg", "audio/wav", "application/octet-stream",
    ];

    private static readonly string[] MintFields =
        ["issuer_id", "kid", "alg", "schema", "claims", "recipient_email", "document_hash", "pack_id", "content_type", "payload"];

    public static void MapAttestationApi(this WebApplication app)
    {
        var mintLimit = new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxEncodedPayload + (1 << 20));
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        keyed.MapPost("/v1/attestations/mint", async (HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            using var slot = large.Enter(request, caller);
            string key = RequiredIdempotencyKey(request, limits);
            var (mint, digest) = await ReadMint(request, "mint", limits, token);
            return Json.Result(await attestations.Mint(caller, mint, key, digest, token), 201);
        }).WithMetadata(mintLimit, RateLimitBucketAttribute.Mint);

        // Keyless with a holder token, so limited per address like the public routes (a key's reader is limited there too).
        app.Keyed(AuthPolicies.Reader).MapGet("/v1/attestations/{id}", async (string id, HttpContext context, AttestationService attestations, CancellationToken token) =>
            Json.Result(await attestations.Get(AttestationReader.From(context), Id(id, "attestation"), token))).PublicRoute();

        keyed.MapPost("/v1/attestations/{id}/revoke", async (string id, HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, CancellationToken token) =>
        {
            var fields = new RequestFields(await Json.ReadObject(request, token, allowEmpty: true), "reason");
            return Json.Result(await attestations.Revoke(caller, Id(id, "attestation"), fields.String("reason", limits.MaxReasonLength, nameof(limits.MaxReasonLength)), token));
        });

        keyed.MapPost("/v1/attestations/{id}/supersede", async (string id, HttpRequest request, Principal caller, AttestationService attestations, LimitOptions limits, LargeBodies large, CancellationToken token) =>
        {
            using var slot = large.Enter(request, caller);
            var oldId = Id(id, "attestation");
            string key = RequiredIdempotencyKey(request, limits);
            var (mint, digest) = await ReadMint(request, $"supersede {oldId}", limits, token);
            return Json.Result(await attestations.Supersede(caller, oldId, mint, key, digest, token), 201);
        }).WithMetadata(mintLimit, RateLimitBucketAttribute.Mint);
    }

    /// <summary>
    /// What an idempotency key is bound to: the operation (with its target) and the JCS form of the body, so a key
    /// replayed on another operation or another attestation is a different request (409), not a silent replay.
    /// </summary>
    public static byte[] RequestDigest(string operation, JsonElement body)
    {
        // One buffer and a one-shot hash: an IncrementalHash costs more to create than the JCS of a mint body.
        var input = new ArrayBufferWriter<byte>(512);
        Encoding.UTF8.GetBytes(operation, input);
        input.Write("\n"u8);
        try
        {
            Jcs.Canonicalize(body, input);
        }
        catch (ArgumentException e)
        {
            // Json.ReadObject refuses such bodies already; this keeps any other caller's bad input a 400 too.
            throw ApiError.BadRequest("invalid_json", "the request body is not I-JSON (RFC 7493): " + e.Message);
        }
        return Sha256.Hash(input.WrittenSpan);
    }

    /// <summary>A revocation reason within <see cref="LimitOptions.MaxReasonLength"/>.</summary>
    public static string? Reason(string? reason, LimitOptions limits) =>
        reason is { } r && r.Length > limits.MaxReasonLength ? throw LimitOptions.TooLong("\"reason\"", nameof(limits.MaxReasonLength), limits.MaxReasonLength) : reason;

    public static Guid Id(string text, string what) =>
        Guid.TryParseExact(text, "D", out var id) ? id : throw ApiError.BadRequest("invalid_id", $"a {what} id is a UUID");

    public static string RequiredIdempotencyKey(HttpRequest request, LimitOptions limits) =>
        StampApi.IdempotencyKey(request, limits) ?? throw ApiError.BadRequest("missing_idempotency_key", "this request needs an Idempotency-Key header");

    private static async Task<(MintRequest Request, byte[] Digest)> ReadMint(HttpRequest request, string operation, LimitOptions limits, CancellationToken token) =>
        ParseMint(await Json.ReadObject(request, token), operation, limits);

    /// <summary>Parses and checks a mint body (REST, or a gRPC message as JSON), and its <see cref="RequestDigest"/> for <paramref name="operation"/>.</summary>
    public static (MintRequest Request, byte[] Digest) ParseMint(JsonElement body, string operation, LimitOptions limits)
    {
        var f = new RequestFields(body, MintFields);
        var issuerId = Id(f.Required("issuer_id", 36), "issuer");
        string kid = f.Required("kid", limits.MaxKidLength, nameof(limits.MaxKidLength));
        if (f.Required("alg", 20) != "Ed25519") throw ApiError.BadRequest("unsupported_alg", "alg must be \"Ed25519\"");
        string schemaId = f.Required("schema", 64);
        var schema = SchemaCatalogue.Find(schemaId) ?? throw ApiError.BadRequest("unknown_schema", $"unknown schema \"{schemaId}\"; see GET /v1/schemas");
        if (!body.TryGetProperty("claims", out var claimsElement) || claimsElement.ValueKind != JsonValueKind.Object)
            throw ApiError.BadRequest("invalid_field", "\"claims\" must be an object");
        var claims = Claims.Check(schema, claimsElement, limits);

        string? email = f.String("recipient_email", 254);
        if (email is not null && !System.Net.Mail.MailAddress.TryCreate(email, out _)) throw ApiError.BadRequest("invalid_email", "recipient_email is not an e-mail address");
        string? documentHash = f.String("document_hash", 64);
        if (documentHash is not null && !Hash.TryParseHex(documentHash, out _)) throw ApiError.BadRequest("invalid_document_hash", "document_hash must be 64 hex digits (a SHA-256)");
        documentHash = documentHash?.ToLowerInvariant() ?? Claims.DocumentSha256(claimsElement);
        Guid? packId = f.String("pack_id", 36) is { } pack ? Id(pack, "pack") : null;
        string contentType = f.String("content_type", 64) ?? "application/json";
        if (Array.IndexOf(ContentTypes, contentType) < 0)
            throw ApiError.BadRequest("unsupported_content_type", $"content_type must be one of: {string.Join(", ", ContentTypes)}");
        byte[]? payload = null;
        if (f.String("payload", int.MaxValue) is { } encoded)
        {
            if (encoded.Length > MaxEncodedPayload) throw new ApiError(413, "payload_too_large", "the base64url payload is over 50 MB");
            if (!Base64Url.TryDecode(encoded, out payload)) throw ApiError.BadRequest("invalid_payload", "payload must be unpadded base64url");
        }
        var mint = new MintRequest(issuerId, kid, schemaId, claims, email, documentHash, packId, contentType, payload);
        return (mint, RequestDigest(operation, body));
    }
}

/// <summary>Claims against the schema catalogue: every listed field a non-empty string, nothing unknown, every cap kept.</summary>
public static class Claims
{
    public static JsonElement Check(Schema schema, JsonElement claims, LimitOptions limits)
    {
        CheckSizes(claims, limits);
        foreach (var field in schema.ClaimFields)
        {
            if (!claims.TryGetProperty(field, out var v)) throw ApiError.BadRequest("missing_claim", $"schema \"{schema.Id}\" needs claim \"{field}\"");
            if (v.ValueKind != JsonValueKind.String || v.ValueEquals(""u8))
                throw ApiError.BadRequest("invalid_claim", $"claim \"{field}\" must be a non-empty string");
        }
        foreach (var p in claims.EnumerateObject())
        {
            // "document" ({"sha256": …}) is where the seed looks for a document hash, so every schema accepts it.
            // Names are compared in place: a mint is checked on the hot path, and its names need no strings.
            if (p.NameEquals("document"u8)) DocumentSha256(claims);
            else if (!schema.AllowsExtraFields && !Listed(schema, p))
                throw ApiError.BadRequest("unknown_claim", $"schema \"{schema.Id}\" has no claim \"{p.Name}\"");
        }
        return claims;
    }

    /// <summary>
    /// The caps of <see cref="LimitOptions"/> on the claims: count, name and value lengths, and the size of their JCS
    /// form (what is signed and stored). Measured on the raw UTF-8 text where that bounds the answer, so a mint's
    /// usual claims cost no strings and no canonicalization: a string's UTF-8 text, escapes included, is never
    /// shorter than its UTF-16 length, nor than its JCS form.
    /// </summary>
    private static void CheckSizes(JsonElement claims, LimitOptions limits)
    {
        int count = 0;
        bool onlyStrings = true;
        foreach (var p in claims.EnumerateObject())
        {
            if (++count > limits.MaxClaims)
                throw ApiError.BadRequest("too_many_claims", $"more than {limits.MaxClaims} claims (Attest:Limits:MaxClaims)");
            if (JsonMarshal.GetRawUtf8PropertyName(p).Length > limits.MaxClaimNameLength && p.Name.Length > limits.MaxClaimNameLength)
                throw LimitOptions.TooLong("a claim name", nameof(limits.MaxClaimNameLength), limits.MaxClaimNameLength);
            var raw = JsonMarshal.GetRawUtf8Value(p.Value);
            if (p.Value.ValueKind == JsonValueKind.String)
            {
                if (raw.Length - 2 > limits.MaxClaimValueLength && p.Value.GetString()!.Length > limits.MaxClaimValueLength)
                    throw LimitOptions.TooLong($"the value of claim \"{p.Name}\"", nameof(limits.MaxClaimValueLength), limits.MaxClaimValueLength);
            }
            else
            {
                onlyStrings = false;
                if (raw.Length > limits.MaxClaimValueLength)
                    throw LimitOptions.TooLong($"the JSON text of claim \"{p.Name}\"", nameof(limits.MaxClaimValueLength), limits.MaxClaimValueLength);
            }
        }
        // Numbers can grow in JCS (1e20 is written out in 21 digits): only then, or near the cap, is the JCS size computed.
        int size = JsonMarshal.GetRawUtf8Value(claims).Length;
        if (onlyStrings && size <= limits.MaxClaimsBytes) return;
        var jcs = new ArrayBufferWriter<byte>(size);
        try
        {
            Jcs.Canonicalize(claims, jcs);
        }
        catch (ArgumentException e)
        {
            throw ApiError.BadRequest("invalid_claim", "the claims are not I-JSON (RFC 7493): " + e.Message);
        }
        if (jcs.WrittenCount > limits.MaxClaimsBytes)
            throw new ApiError(413, "claims_too_large", $"the claims take {jcs.WrittenCount} bytes in JCS form, over {limits.MaxClaimsBytes} (Attest:Limits:MaxClaimsBytes)");
    }

    private static bool Listed(Schema schema, JsonProperty claim)
    {
        for (int i = 0; i < schema.ClaimFields.Count; i++)
            if (claim.NameEquals(schema.ClaimFields[i])) return true;
        return false;
    }

    /// <summary><c>claims.document.sha256</c> (lowercased), when present; a malformed one is an error.</summary>
    public static string? DocumentSha256(JsonElement claims)
    {
        if (!claims.TryGetProperty("document", out var doc)) return null;
        if (doc.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("invalid_claim", "claim \"document\" must be an object");
        if (!doc.TryGetProperty("sha256", out var sha)) return null;
        if (sha.ValueKind != JsonValueKind.String || !Hash.TryParseHex(sha.GetString(), out _))
            throw ApiError.BadRequest("invalid_claim", "claims.document.sha256 must be 64 hex digits");
        return sha.GetString()!.ToLowerInvariant();
    }
}
