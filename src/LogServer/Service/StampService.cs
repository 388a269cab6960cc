using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>
/// A stamp as a reader sees it. A sealed stamp has <paramref name="SealedUntil"/> (Unix seconds); until it is
/// <paramref name="Revealed"/>, its content is null and its title <see cref="StampService.SealedTitle"/> for every caller.
/// The three are left out of the answers about other stamps, which stay as they were.
/// </summary>
public record Stamp(
    bool Success, string Id, long LogIndex, string ContentHash, string CreatedAt, string Visibility,
    string? Content, string? DisplayTitle, IReadOnlyList<string> Tags, string LeafHash, string Entry,
    string ContentType = "text", string? SnapshotSha256 = null, long? SnapshotSize = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? SealedUntil = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Revealed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RevealLogIndex = null);

/// <summary>
/// The answer of a stamp by an API key with a credit balance: what it cost (0 for a retry) and the key's logged balance
/// once it was acknowledged. A type of its own, so that the answers of other keys carry no credit fields.
/// </summary>
public sealed record ChargedStamp : Stamp
{
    public ChargedStamp(Stamp stamp, long creditsCharged, long apiCreditsRemaining) : base(stamp)
    {
        CreditsCharged = creditsCharged;
        ApiCreditsRemaining = apiCreditsRemaining;
    }

    public long CreditsCharged { get; }

    public long ApiCreditsRemaining { get; }
}

public sealed record VerifyResult(
    bool Success, bool Verified, string ContentHash, long? LogIndex, string? FirstStampedAt, long TotalStampsOfThisHash, string? StampId);

/// <summary>Stamps: the first-writer proof that a content hash existed, in the TruthStamp manner.</summary>
public sealed class StampService(TransparencyLog log, IIndexStore index, LogWriter writer, Idempotency idempotency, StampOptions options, TimeProvider time,
    Snapshots.UrlSnapshotter snapshots, BlobStore blobs, IssuerQuotas quotas, CreditOptions costs)
{
    /// <summary>The title every reader sees of a sealed stamp until it is revealed (TruthStamp's "generic label").</summary>
    public const string SealedTitle = "Sealed stamp";

    /// <summary>Appends a stamp; with an idempotency key, a retry returns the original stamp (see <see cref="Idempotency"/>).</summary>
    public async Task<Stamp> Create(Principal caller, StampCommand command, string? idempotencyKey, CancellationToken token)
    {
        if (command.SealedUntil is { } until && until < time.GetUtcNow().ToUnixTimeSeconds() + options.MinSealSeconds)
            throw DomainError.Invalid("seal_too_soon", $"\"sealed_until\" must be at least {options.MinSealSeconds} seconds from now (Attest:Stamps:MinSealSeconds)");
        Stamp? created = null;
        var snapshotAppended = command.Url is not null && snapshots.Enabled ? new StrongBox<bool>() : null;
        long i = await idempotency.Run(caller.Scope, idempotencyKey, idempotencyKey is null ? null : command.Digest(), snapshotAppended is not null
            ? AppendWithSnapshot(caller, command, snapshotAppended, token)
            : async idem =>
        {
            // The last check, so a refused stamp costs nothing; given back unless its record is appended (LogWriter).
            var charge = caller.Credits?.Reserve(costs.Stamp(command));
            byte[] record;
            try
            {
                record = Record(command, caller.IssuerId, idem, charge);
            }
            catch
            {
                charge?.Release();
                throw;
            }
            long index = await writer.AppendCharging(record, charge);
            created = View(index, record);
            return index;
        }, token);
        // A new stamp is answered from the record just appended; only a retry reads the log, and costs nothing again.
        var stamp = created ?? View(i, await log.ReadRecordAsync(i, token));
        bool appended = created is not null || snapshotAppended?.Value == true;
        return caller.Credits is { } account ? new ChargedStamp(stamp, appended ? costs.Stamp(command) : 0, account.Remaining) : stamp;
    }

    /// <summary>
    /// The append of a URL stamp whose page is fetched (only a new stamp's: a retry fetches nothing). Apart from the text
    /// stamp's path, whose closure and state machine stay as small as before; it is answered from the log.
    /// </summary>
    private Func<IdempotencyRecord?, Task<long>> AppendWithSnapshot(Principal caller, StampCommand command, StrongBox<bool> appended, CancellationToken token) =>
        async idem =>
        {
            // Reserved before the fetch, so that a key without credits has nothing fetched; given back unless appended.
            var charge = caller.Credits?.Reserve(costs.Stamp(command));
            byte[] record;
            try
            {
                record = Record(command, caller.IssuerId, idem, charge, await TakeSnapshot(caller, command.Url!, token));
            }
            catch
            {
                charge?.Release();
                throw;
            }
            long index = await writer.AppendCharging(record, charge);
            appended.Value = true;
            return index;
        };

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

    private byte[] Record(StampCommand request, Guid? owner, IdempotencyRecord? idempotencyRecord, CreditCharge? charge, UrlSnapshot? snapshot = null)
    {
        string id = Guid.CreateVersion7().ToString();
        var entry = new StampEntry(id, request.ContentHash, Timestamp(time.GetUtcNow()), request.SealedUntil, request.Url is not null, snapshot).Encode();
        var priv = new JsonObject { ["visibility"] = request.Visibility };
        if (owner is { } issuer) priv["issuer_id"] = issuer.ToString();
        if (request.Content is not null) priv["content"] = request.Content;
        if (request.DisplayTitle is not null) priv["display_title"] = request.DisplayTitle;
        if (request.Tags is { Count: > 0 }) priv["tags"] = new JsonArray([.. request.Tags.Select(t => JsonValue.Create(t))]);
        if (idempotencyRecord is not null) priv["idempotency"] = idempotencyRecord.ToJson();
        if (charge is not null) priv["charge"] = charge.ToJson();
        return LogWriter.Record(entry, priv);
    }

    /// <summary>
    /// A stamp as <paramref name="caller"/> may see it: its title, tags and (unless public) content are private, for the
    /// API keys of the issuer that created it and the admin; anyone else sees what the log and a public stamp show. A
    /// sealed stamp's content is nobody's until it is revealed (a leaked API key opens nothing early); then everybody's,
    /// as its reveal entry is in the public log.
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
        return stamp with
        {
            DisplayTitle = stamp.Revealed == false ? SealedTitle : null, Tags = [],
            Content = stamp.Visibility == "public" || stamp.Revealed == true ? stamp.Content : null,
        };
    }

    /// <summary>The earliest stamp of a content hash: proof that the content existed by then.</summary>
    public async Task<VerifyResult> Verify(Hash contentHash, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.ContentKey(contentHash), out ContentStamps stamps))
            return new VerifyResult(true, false, contentHash.ToHex(), null, null, 0, null);
        var first = View(stamps.Earliest, await log.ReadRecordAsync(stamps.Earliest, token));
        return new VerifyResult(true, true, first.ContentHash, stamps.Earliest, first.CreatedAt, stamps.Stamps.Count, first.Id);
    }

    /// <summary>The stamp of <paramref name="record"/> as its creator sees it; a sealed one shows nothing of its content until revealed.</summary>
    private Stamp View(long i, byte[] record)
    {
        var stamp = Read(i, record);
        if (stamp.SealedUntil is null) return stamp;
        return index.TryGet(EntryIndexer.RevealKey(stamp.Id), out EntryAt reveal)
            ? stamp with { Revealed = true, RevealLogIndex = reveal.Index }
            : stamp with { Content = null, DisplayTitle = SealedTitle, Revealed = false };
    }

    private static Stamp Read(long index, byte[] record)
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
            e.Snapshot?.Size,
            e.SealedUntil);
    }

    /// <summary>RFC 3339 UTC with milliseconds, the one time format of entries and responses.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static Hash Sha256(string content) => new(Attest.Merkle.Sha256.Hash(Encoding.UTF8.GetBytes(content)));
}
