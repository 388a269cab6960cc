using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>A stamp to append; <paramref name="IssuerId"/> is its creator's issuer, null for the admin (then the admin's alone).</summary>
public sealed record Stamp(
    bool Success, string Id, long LogIndex, string ContentHash, string CreatedAt, string Visibility,
    string? Content, string? DisplayTitle, IReadOnlyList<string> Tags, string LeafHash, string Entry,
    string ContentType = "text", string? SnapshotSha256 = null, long? SnapshotSize = null);

public sealed record VerifyResult(
    bool Success, bool Verified, string ContentHash, long? LogIndex, string? FirstStampedAt, long TotalStampsOfThisHash, string? StampId);

/// <summary>Stamps: the first-writer proof that a content hash existed, in the TruthStamp manner.</summary>
public sealed class StampService(TransparencyLog log, IIndexStore index, LogWriter writer, Idempotency idempotency, TimeProvider time,
    Snapshots.UrlSnapshotter snapshots, BlobStore blobs, IssuerQuotas quotas)
{
    /// <summary>Appends a stamp; with an idempotency key, a retry returns the original stamp (see <see cref="Idempotency"/>).</summary>
    public async Task<Stamp> Create(Principal caller, StampCommand command, string? idempotencyKey, CancellationToken token)
    {
        Stamp? created = null;
        long i = await idempotency.Run(caller.Scope, idempotencyKey, idempotencyKey is null ? null : command.Digest(), command.Url is not null && snapshots.Enabled
            ? AppendWithSnapshot(caller, command, token)
            : async idem =>
        {
            var record = Record(command, caller.IssuerId, idem);
            long index = await writer.Append(record);
            created = View(index, record);
            return index;
        }, token);
        // A new stamp is answered from the record just appended; only a retry reads the log.
        return created ?? View(i, await log.ReadRecordAsync(i, token));
    }

    /// <summary>
    /// The append of a URL stamp whose page is fetched (only a new stamp's: a retry fetches nothing). Apart from the text
    /// stamp's path, whose closure and state machine stay as small as before; it is answered from the log.
    /// </summary>
    private Func<IdempotencyRecord?, Task<long>> AppendWithSnapshot(Principal caller, StampCommand command, CancellationToken token) =>
        async idem => await writer.Append(Record(command, caller.IssuerId, idem, await TakeSnapshot(caller, command.Url!, token)));

    /// <summary>
    /// Fetches the URL's page and stores it as a blob before its entry is appended, so the entry never names a missing
    /// blob; a failure appends nothing (<c>snapshot_failed</c>). The page counts against the issuer's daily blob quota.
    /// </summary>
    private async Task<UrlSnapshot> TakeSnapshot(Principal caller, Uri url, CancellationToken token)
    {
        var page = await snapshots.Fetch(url, caller.Scope, token);
        if (caller.IssuerId is { } issuer) quotas.ReserveBlobBytes(issuer, page.Length);
        Hash.TryParseHex(blobs.Put(page.Span), out var sha256);
        return new UrlSnapshot(sha256, page.Length);
    }

    /// <summary>
    /// A URL stamp's snapshot, for whoever may read its content: anyone with an API key when the stamp is public, else
    /// the API keys of the issuer that created it and the admin.
    /// </summary>
    public async Task<(string Sha256, byte[] Bytes)> Snapshot(Principal caller, string id, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.StampKey(id), out EntryAt at)) throw DomainError.NotFound($"no stamp with id {id}");
        var record = await log.ReadRecordAsync(at.Index, token);
        var priv = AttestationService.PrivateOf(record);
        string? owner = priv.OptStr("issuer_id");
        bool entitled = caller.IsAdmin || priv.Str("visibility") == "public" || owner is not null && caller.IssuerId?.ToString() == owner;
        if (StampEntry.Parse(LogRecord.Entry(record)).Snapshot is not { } snapshot) throw DomainError.NotFound($"stamp {id} has no snapshot");
        if (!entitled) throw new DomainError(ErrorKind.PermissionDenied, "forbidden", "only the API keys of the issuer that created this stamp and the admin may read the snapshot of a stamp that is not public");
        string sha256 = snapshot.Sha256.ToHex();
        return (sha256, blobs.Get(sha256) ?? throw new InvalidOperationException($"the snapshot blob {sha256} of stamp {id} is missing"));
    }

    private byte[] Record(StampCommand request, Guid? owner, IdempotencyRecord? idempotencyRecord, UrlSnapshot? snapshot = null)
    {
        string id = Guid.CreateVersion7().ToString();
        var entry = new StampEntry(id, request.ContentHash, Timestamp(time.GetUtcNow()), request.Url is not null, snapshot).Encode();
        var priv = new JsonObject { ["visibility"] = request.Visibility };
        if (owner is { } issuer) priv["issuer_id"] = issuer.ToString();
        if (request.Visibility == "public") priv["content"] = request.Content;
        if (request.DisplayTitle is not null) priv["display_title"] = request.DisplayTitle;
        if (request.Tags is { Count: > 0 }) priv["tags"] = new JsonArray([.. request.Tags.Select(t => JsonValue.Create(t))]);
        if (idempotencyRecord is not null) priv["idempotency"] = idempotencyRecord.ToJson();
        return LogWriter.Record(entry, priv);
    }

    /// <summary>
    /// A stamp as <paramref name="caller"/> may see it: its title, tags and (unless public) content are private, for the
    /// API keys of the issuer that created it and the admin; anyone else sees what the log and a public stamp show.
    /// </summary>
    public async Task<Stamp> Get(Principal caller, string id, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.StampKey(id), out EntryAt at)) throw DomainError.NotFound($"no stamp with id {id}");
        var record = await log.ReadRecordAsync(at.Index, token);
        var stamp = View(at.Index, record);
        if (caller.IsAdmin) return stamp;
        // A stamp without an issuer_id was made with the admin key (or before owners were recorded): the admin's alone.
        string? owner = AttestationService.PrivateOf(record).OptStr("issuer_id");
        if (owner is not null && caller.IssuerId is { } mine && owner == mine.ToString()) return stamp;
        return stamp with { DisplayTitle = null, Tags = [], Content = stamp.Visibility == "public" ? stamp.Content : null };
    }

    /// <summary>The earliest stamp of a content hash: proof that the content existed by then.</summary>
    public async Task<VerifyResult> Verify(Hash contentHash, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.ContentKey(contentHash), out ContentStamps stamps))
            return new VerifyResult(true, false, contentHash.ToHex(), null, null, 0, null);
        var first = View(stamps.Earliest, await log.ReadRecordAsync(stamps.Earliest, token));
        return new VerifyResult(true, true, first.ContentHash, stamps.Earliest, first.CreatedAt, stamps.Stamps.Count, first.Id);
    }

    private static Stamp View(long index, byte[] record)
    {
        var entryBytes = LogRecord.Entry(record);
        var e = StampEntry.Parse(entryBytes);
        using var priv = JsonDocument.Parse(LogRecord.Private(record).ToArray());
        var p = priv.RootElement;
        string visibility = p.GetProperty("visibility").GetString()!;
        return new Stamp(
            true,
            e.Id,
            index,
            e.ContentHash.ToHex(),
            e.CreatedAt,
            visibility,
            p.TryGetProperty("content", out var c) ? c.GetString() : null,
            p.TryGetProperty("display_title", out var t) ? t.GetString() : null,
            p.TryGetProperty("tags", out var tags) ? [.. tags.EnumerateArray().Select(x => x.GetString()!)] : [],
            Rfc6962.HashLeaf(entryBytes).ToBase64(),
            Encoding.UTF8.GetString(entryBytes),
            e.Url ? "url" : "text",
            e.Snapshot?.Sha256.ToHex(),
            e.Snapshot?.Size);
    }

    /// <summary>RFC 3339 UTC with milliseconds, the one time format of entries and responses.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static Hash Sha256(string content) => new(Attest.Merkle.Sha256.Hash(Encoding.UTF8.GetBytes(content)));
}
