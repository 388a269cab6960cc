using System.Text.Json;
using Attest.LogServer.Service;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Api;

/// <summary>
/// The public <c>POST /v1/verify</c>: a stamp by <c>content</c> or <c>content_hash</c> (earliest stamp), or an
/// attestation by <c>attestation_id</c>, <c>attestation</c> (payload and signature), <c>bundle</c> or
/// <c>document_hash</c>, optionally with the <c>document</c> (base64url) to compare; and the proof bundle.
/// </summary>
public static class VerifyApi
{
    private static readonly string[] Subjects = ["content_hash", "content", "attestation_id", "attestation", "bundle", "document_hash"];

    public static void MapVerifyApi(this WebApplication app)
    {
        app.MapPost("/v1/verify", async (HttpRequest request, StampService stamps, VerifyService verify, CancellationToken token) =>
        {
            return Json.Result(await Verify(await Json.ReadObject(request, token), stamps, verify, token));
        }).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(AttestationApi.MaxEncodedPayload + (1 << 20))).RequireCors(Cors.Public);

        // Anyone gets the public part; the payload needs the issuer's key, the admin key or the holder token.
        app.MapGet("/v1/attestations/{id}/proof-bundle", async (string id, HttpRequest request, Auth auth, VerifyService verify, CancellationToken token) =>
            Json.Result(await verify.ProofBundle(AttestationApi.Id(id, "attestation"), AttestationReader.From(request, auth), token))).RequireCors(Cors.Public);
    }

    /// <summary>Dispatches on the one subject the request names; the answer is a stamp or an attestation verification.</summary>
    public static async Task<object> Verify(JsonElement body, StampService stamps, VerifyService verify, CancellationToken token)
    {
        var f = new RequestFields(body, [.. Subjects, "document"]);
        var given = Subjects.Where(f.Has).ToArray();
        if (given.Length != 1) throw ApiError.BadRequest("missing_content", $"send exactly one of: {string.Join(", ", Subjects)}");
        byte[]? document = null;
        if (f.String("document", int.MaxValue) is { } encoded && !Base64Url.TryDecode(encoded, out document))
            throw ApiError.BadRequest("invalid_document", "document must be unpadded base64url");
        if (document is not null && given[0] is "content" or "content_hash")
            throw ApiError.BadRequest("invalid_field", "\"document\" goes with an attestation, not a stamp");
        return given[0] switch
        {
            "content" or "content_hash" => await stamps.Verify(StampApi.ContentHash(f).Hash, token),
            "attestation_id" => await verify.ById(AttestationApi.Id(f.Required("attestation_id", 36), "attestation"), document, token),
            "attestation" => await verify.ByAttestation(body.GetProperty("attestation"), document, token),
            "bundle" => await verify.ByBundle(body.GetProperty("bundle"), document, token),
            _ => await verify.ByDocumentHash(DocumentHash(f.Required("document_hash", 64)), document, token),
        };
    }

    private static string DocumentHash(string text) =>
        Hash.TryParseHex(text, out _) ? text.ToLowerInvariant() : throw ApiError.BadRequest("invalid_document_hash", "document_hash must be 64 hex digits (a SHA-256)");
}
