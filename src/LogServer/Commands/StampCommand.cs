using System.Text.Json;
using Attest.LogServer.Api;
using Attest.LogServer.Entries;
using Attest.LogServer.Service;
using Attest.Merkle;

namespace Attest.LogServer.Commands;

/// <summary>
/// A stamp, after the TruthStamp API (README "HTTP API": <c>POST /v1/stamps</c>; <c>attest.v1.CreateStampRequest</c>
/// in proto/attest/v1/stamps.proto), validated: the content hashed, <see cref="Visibility"/> defaulted to
/// <c>hash_only</c>, and the content kept only for a public or sealed stamp, as only those store it. A sealed stamp
/// has <see cref="SealedUntil"/> (Unix seconds); how far ahead it must be is <see cref="StampService"/>'s rule, as it
/// depends on the clock. A <c>content_type: "url"</c> stamp's content is an http(s) URL (<see cref="HttpUrl"/>),
/// hashed as text is, and <see cref="Url"/> is set whatever the visibility: its page may be fetched.
/// </summary>
public sealed record StampCommand(Hash ContentHash, string Visibility, string? Content, string? DisplayTitle, IReadOnlyList<string> Tags, long? SealedUntil = null, Uri? Url = null)
{
    /// <summary>The largest <c>sealed_until</c>: 9999-12-31T23:59:59Z, the last second a timestamp can show.</summary>
    public const long MaxSealedUntil = 253_402_300_799;

    /// <summary>The longest content <c>POST /v1/verify</c> hashes (it stores nothing); stamps use <see cref="LimitOptions.MaxContentLength"/>.</summary>
    public const int MaxVerifyContentLength = 100_000;

    public static StampCommand FromJson(JsonElement body, LimitOptions limits)
    {
        var f = new RequestFields(body, "content_hash", "content", "visibility", "display_title", "tags", "sealed_until", "content_type");
        return Validate(f.String("content_hash"), f.String("content"), f.String("visibility"), f.String("display_title"), f.Strings("tags"), limits,
            f.Long("sealed_until"), f.String("content_type"));
    }

    public static StampCommand FromProto(V1.CreateStampRequest r, LimitOptions limits) => Validate(
        r.SubjectCase == V1.CreateStampRequest.SubjectOneofCase.ContentHash ? r.ContentHash : null,
        r.SubjectCase == V1.CreateStampRequest.SubjectOneofCase.Content ? r.Content : null,
        Field.Present(r.Visibility), Field.Present(r.DisplayTitle), r.Tags, limits, r.SealedUntil == 0 ? null : r.SealedUntil, Field.Present(r.ContentType));

    public static StampCommand Validate(string? contentHash, string? content, string? visibility, string? displayTitle, IReadOnlyList<string>? tags, LimitOptions limits,
        long? sealedUntil = null, string? contentType = null)
    {
        var (hash, text) = ContentHashOf(contentHash, content, limits.MaxContentLength, nameof(limits.MaxContentLength));
        Uri? url = contentType is null or "text" ? null : contentType == "url" ? UrlOf(text)
            : throw DomainError.Invalid("unsupported_content_type", "content_type must be \"text\" or \"url\"");
        visibility = Field.Optional(visibility, "visibility", 20) ?? "hash_only";
        if (visibility is not ("hash_only" or "public" or "sealed"))
            throw DomainError.Invalid("invalid_visibility", "visibility must be \"hash_only\", \"public\" or \"sealed\"");
        if (visibility != "hash_only" && text is null)
            throw DomainError.Invalid("missing_content", $"a {visibility} stamp keeps its content: send \"content\", not only \"content_hash\"");
        if (visibility == "sealed" && url is not null)
            throw DomainError.Invalid("unsupported_content_type", "a sealed stamp is text: a \"url\" stamp cannot be sealed");
        if (visibility == "sealed") CheckSeal(hash, text!, sealedUntil);
        else if (sealedUntil is not null) throw DomainError.Invalid("invalid_field", "\"sealed_until\" is only for a sealed stamp (\"visibility\": \"sealed\")");
        return new StampCommand(hash, visibility, visibility == "hash_only" ? null : text,
            Field.Optional(displayTitle, "display_title", limits.MaxTitleLength, nameof(limits.MaxTitleLength)),
            CheckTags(tags, limits), sealedUntil, url);
    }

    /// <summary>
    /// A sealed stamp's reveal logs its content in a <c>stamp-reveal/v1</c> entry, so the content must fit one
    /// (C2SP tlog-tiles caps an entry at 65,535 bytes): that is checked now, not when the reveal would fail.
    /// </summary>
    private static void CheckSeal(Hash hash, string content, long? sealedUntil)
    {
        if (sealedUntil is not { } until) throw DomainError.Invalid("missing_sealed_until", "a sealed stamp needs \"sealed_until\", the Unix time (seconds) it may be revealed");
        if (until is <= 0 or > MaxSealedUntil) throw DomainError.Invalid("invalid_sealed_until", $"\"sealed_until\" is Unix seconds, from 1 to {MaxSealedUntil}");
        if (new StampRevealEntry(Guid.Empty.ToString(), hash, content, "0000-00-00T00:00:00.000Z").Encode().Length > Storage.LogRecord.MaxEntrySize)
            throw new DomainError(ErrorKind.TooLarge, "sealed_content_too_large",
                $"a sealed stamp's content is logged whole when it is revealed, and a log entry holds at most {Storage.LogRecord.MaxEntrySize} bytes (UTF-8, JSON-escaped)");
    }

    private static Uri UrlOf(string? content)
    {
        if (content is null) throw DomainError.Invalid("missing_content", "a url stamp's content is the URL: send \"content\", not only \"content_hash\"");
        return HttpUrl.TryParse(content, out var url, out string? problem) ? url : throw DomainError.Invalid("invalid_url", problem);
    }

    /// <summary>Exactly one of <c>content_hash</c> (64 hex digits) or <c>content</c> (hashed with SHA-256 as UTF-8).</summary>
    public static (Hash Hash, string? Content) ContentHashOf(string? contentHash, string? content, int maxContentLength, string? setting = null)
    {
        if ((contentHash is null) == (content is null))
            throw DomainError.Invalid("missing_content", "send exactly one of \"content_hash\" or \"content\"");
        if (contentHash is not null)
        {
            if (contentHash.Length > 64 || !Hash.TryParseHex(contentHash, out var h))
                throw contentHash.Length > 64 ? DomainError.Invalid("field_too_long", "\"content_hash\" is longer than 64 characters")
                    : DomainError.Invalid("invalid_content_hash", "content_hash must be 64 hex digits (a SHA-256)");
            return (h, null);
        }
        Field.Optional(content, "content", maxContentLength, setting);
        if (content!.Length == 0) throw DomainError.Invalid("missing_content", "content is empty");
        return (StampService.Sha256(content), content);
    }

    private static IReadOnlyList<string> CheckTags(IReadOnlyList<string>? tags, LimitOptions limits)
    {
        if (tags is null || tags.Count == 0) return [];
        if (tags.Count > limits.MaxTags) throw DomainError.Invalid("too_many_tags", $"\"tags\" has more than {limits.MaxTags} items (Attest:Limits:{nameof(limits.MaxTags)})");
        foreach (var tag in tags)
        {
            if (tag.Length == 0) throw DomainError.Invalid("invalid_field", $"each of \"tags\" must be 1 to {limits.MaxTagLength} characters");
            if (tag.Length > limits.MaxTagLength) throw LimitOptions.TooLong("one of \"tags\"", nameof(limits.MaxTagLength), limits.MaxTagLength);
        }
        return [.. tags];
    }

    /// <summary>The <see cref="IdempotencyDigest"/> of this stamp.</summary>
    public byte[] Digest() => IdempotencyDigest.Of("stamp", this, static (s, w) =>
    {
        if (s.Content is not null) w.String("content", s.Content);
        w.String("content_hash", s.ContentHash.ToHex());
        if (s.Url is not null) w.String("content_type", "url");
        if (s.DisplayTitle is not null) w.String("display_title", s.DisplayTitle);
        if (s.SealedUntil is { } until) w.Value("sealed_until", JsonSerializer.SerializeToElement(until));
        if (s.Tags.Count > 0) w.Value("tags", JsonSerializer.SerializeToElement(s.Tags));
        w.String("visibility", s.Visibility).End();
    });
}
