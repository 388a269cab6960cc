using System.Text.Json;
using Attest.LogServer.Service;
using Attest.Merkle;

namespace Attest.LogServer.Api;

/// <summary>Stamps, after the TruthStamp API (the earliest-stamp verify is in <see cref="VerifyApi"/>).</summary>
public static class StampApi
{
    /// <summary>The longest content <c>POST /v1/verify</c> hashes (it stores nothing); stamps use <see cref="LimitOptions.MaxContentLength"/>.</summary>
    public const int MaxContentLength = 100_000;

    public static void MapStampApi(this WebApplication app)
    {
        var keyed = app.Keyed(AuthPolicies.ApiKey);

        keyed.MapPost("/v1/stamps", async (HttpRequest request, Principal caller, StampService stamps, LimitOptions limits, CancellationToken token) =>
        {
            return Json.Result(await Create(caller, IdempotencyKey(request, limits), await Json.ReadObject(request, token), stamps, limits, token), 201);
        });

        keyed.MapGet("/v1/stamps/{id}", async (string id, Principal caller, StampService stamps, CancellationToken token) =>
        {
            if (!Guid.TryParseExact(id, "D", out _)) throw ApiError.BadRequest("invalid_id", "a stamp id is a UUID");
            return Json.Result(await stamps.Get(caller, id, token));
        });

        // Public: only what the log itself holds about the stamp (id, content hash, time), with its proofs.
        app.MapGet("/v1/stamps/{id}/proof", async (string id, VerifyService verify, CancellationToken token) =>
        {
            if (!Guid.TryParseExact(id, "D", out _)) throw ApiError.BadRequest("invalid_id", "a stamp id is a UUID");
            return Json.Result(await verify.StampProof(id, token));
        }).RequireCors(Cors.Public).PublicRoute(expensive: true);
    }

    /// <summary>Parses a stamp request (REST body or gRPC message as JSON) and appends it.</summary>
    public static Task<Stamp> Create(Principal caller, string? idempotencyKey, JsonElement body, StampService stamps, LimitOptions limits, CancellationToken token)
    {
        var fields = new RequestFields(body, "content_hash", "content", "visibility", "display_title", "tags");
        var (hash, content) = ContentHash(fields, limits.MaxContentLength, nameof(limits.MaxContentLength));
        string visibility = fields.String("visibility", 20) ?? "hash_only";
        if (visibility is not ("hash_only" or "public"))
            throw ApiError.BadRequest("invalid_visibility", "visibility must be \"hash_only\" or \"public\"");
        if (visibility == "public" && content is null)
            throw ApiError.BadRequest("missing_content", "a public stamp keeps its content: send \"content\", not only \"content_hash\"");
        var request = new StampRequest(hash, visibility, content,
            fields.String("display_title", limits.MaxTitleLength, nameof(limits.MaxTitleLength)),
            fields.Strings("tags", limits.MaxTags, limits.MaxTagLength, nameof(limits.MaxTags), nameof(limits.MaxTagLength)),
            caller.IssuerId);
        return stamps.Create(request, caller.Scope, idempotencyKey, AttestationApi.RequestDigest("stamp", body), token);
    }

    /// <summary>Exactly one of <c>content_hash</c> (64 hex digits) or <c>content</c> (hashed with SHA-256 as UTF-8).</summary>
    public static (Hash Hash, string? Content) ContentHash(RequestFields fields, int maxContentLength = MaxContentLength, string? setting = null)
    {
        bool hasHash = fields.Has("content_hash"), hasContent = fields.Has("content");
        if (hasHash == hasContent)
            throw ApiError.BadRequest("missing_content", "send exactly one of \"content_hash\" or \"content\"");
        if (hasHash)
        {
            if (!Hash.TryParseHex(fields.String("content_hash", 64), out var h))
                throw ApiError.BadRequest("invalid_content_hash", "content_hash must be 64 hex digits (a SHA-256)");
            return (h, null);
        }
        string content = fields.String("content", maxContentLength, setting)!;
        if (content.Length == 0) throw ApiError.BadRequest("missing_content", "content is empty");
        return (StampService.Sha256(content), content);
    }

    public static string? IdempotencyKey(HttpRequest request, LimitOptions limits)
    {
        if (!request.Headers.TryGetValue("Idempotency-Key", out var values)) return null;
        string key = values.ToString();
        if (values.Count == 1 && key.Length > limits.MaxIdempotencyKeyLength)
            throw LimitOptions.TooLong("Idempotency-Key", nameof(limits.MaxIdempotencyKeyLength), limits.MaxIdempotencyKeyLength);
        if (values.Count != 1 || key.Length == 0 || key.Any(c => c < 0x21 || c > 0x7e))
            throw ApiError.BadRequest("invalid_idempotency_key", $"Idempotency-Key must be 1 to {limits.MaxIdempotencyKeyLength} printable ASCII characters");
        return key;
    }
}
