using System.Security.Cryptography;
using System.Text.Json;
using Attest.LogServer.Service;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Api;

/// <summary>
/// The public <c>POST /v1/verify</c>: a stamp by <c>content</c> or <c>content_hash</c> (earliest stamp), or an
/// attestation by <c>attestation_id</c>, <c>attestation</c> (payload and signature), <c>bundle</c> or
/// <c>document_hash</c>, optionally with the <c>document_sha256</c> to compare (or, within the body limit, the
/// <c>document</c> itself, base64url); and the proof bundle. A <c>bundle</c> is verified as <c>attest verify
/// --online</c> verifies it (docs/VERIFYING.md), under this log's key or the <c>policy</c> file's text when given.
/// </summary>
public static class VerifyApi
{
    private static readonly string[] Subjects = ["content_hash", "content", "attestation_id", "attestation", "bundle", "document_hash"];

    public static void MapVerifyApi(this WebApplication app)
    {
        long maxBody = app.Services.GetRequiredService<AttestOptions>().MaxVerifyBodyBytes;
        // The route is keyless, so its body limit is what any client may make the server read and parse per request.
        app.MapPost("/v1/verify", async (HttpRequest request, StampService stamps, VerifyService verify, CancellationToken token) =>
        {
            return Json.Result(await Verify(await Json.ReadObject(request, token), stamps, verify, maxBody, token));
        }).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(maxBody)).RequireCors(Cors.Public).PublicRoute(expensive: true);

        // Anyone gets the public part; the payload needs the issuer's key, the admin key or the holder token.
        app.Keyed(AuthPolicies.KeyIfAny).MapGet("/v1/attestations/{id}/proof-bundle", async (string id, HttpContext context, VerifyService verify, CancellationToken token) =>
            Json.Result(await verify.ProofBundle(AttestationApi.Id(id, "attestation"), AttestationReader.From(context), token))).RequireCors(Cors.Public).PublicRoute(expensive: true);
    }

    /// <summary>
    /// Dispatches on the one subject the request names; the answer is a stamp or an attestation verification. A
    /// <c>document</c> longer than <paramref name="maxDocumentChars"/> (base64url) is refused with 413.
    /// </summary>
    public static async Task<object> Verify(JsonElement body, StampService stamps, VerifyService verify, long maxDocumentChars, CancellationToken token)
    {
        var f = new RequestFields(body, [.. Subjects, "document", "document_sha256", "policy"]);
        var given = Subjects.Where(f.Has).ToArray();
        if (given.Length != 1) throw ApiError.BadRequest("missing_content", $"send exactly one of: {string.Join(", ", Subjects)}");
        string? documentSha256 = DocumentSha256(f, maxDocumentChars);
        if (documentSha256 is not null && given[0] is "content" or "content_hash")
            throw ApiError.BadRequest("invalid_field", "\"document_sha256\" and \"document\" go with an attestation, not a stamp");
        // The policy is a trust root for the bundle's evidence; the other forms are judged on this log's own state.
        string? policy = f.String("policy", TrustPolicy.MaxBytes);
        if (policy is not null && given[0] != "bundle") throw ApiError.BadRequest("invalid_field", "\"policy\" goes with a \"bundle\"");
        return given[0] switch
        {
            "content" or "content_hash" => await stamps.Verify(StampApi.ContentHash(f).Hash, token),
            "attestation_id" => await verify.ById(AttestationApi.Id(f.Required("attestation_id", 36), "attestation"), documentSha256, token),
            "attestation" => await verify.ByAttestation(body.GetProperty("attestation"), documentSha256, token),
            "bundle" => await verify.ByBundle(body.GetProperty("bundle"), policy, documentSha256, token),
            _ => await verify.ByDocumentHash(DocumentHash(f.Required("document_hash", 64)), documentSha256, token),
        };
    }

    /// <summary>The document to compare, as lowercase hex: <c>document_sha256</c>, or the hash of <c>document</c>; not both.</summary>
    private static string? DocumentSha256(RequestFields f, long maxDocumentChars)
    {
        if (f.Has("document_sha256"))
        {
            if (f.Has("document")) throw ApiError.BadRequest("invalid_field", "send \"document_sha256\" or \"document\", not both");
            string text = f.String("document_sha256", int.MaxValue)!;
            return Hash.TryParseHex(text, out _) ? text.ToLowerInvariant() : throw ApiError.BadRequest("invalid_document_sha256", "document_sha256 must be 64 hex digits (a SHA-256)");
        }
        if (f.String("document", int.MaxValue) is not { } encoded) return null;
        if (encoded.Length > maxDocumentChars)
            throw new ApiError(413, "payload_too_large", $"\"document\" is over {maxDocumentChars} characters; send its SHA-256 as \"document_sha256\"");
        if (!Base64Url.TryDecode(encoded, out var document)) throw ApiError.BadRequest("invalid_document", "document must be unpadded base64url");
        return Convert.ToHexStringLower(SHA256.HashData(document));
    }

    private static string DocumentHash(string text) =>
        Hash.TryParseHex(text, out _) ? text.ToLowerInvariant() : throw ApiError.BadRequest("invalid_document_hash", "document_hash must be 64 hex digits (a SHA-256)");
}
