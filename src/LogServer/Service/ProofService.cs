using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Service;

/// <summary>The log a proof is against: its origin, its verifier key and the signed checkpoint (c2sp.org/tlog-checkpoint).</summary>
public sealed record LogInfo(string Origin, string VerifierKey, string Checkpoint);

/// <summary>
/// The public proof of a stamp (<c>attest-stamp-proof/v1</c>): what the log holds of it, its tlog-proof and the earliest
/// anchor covering it; for a revealed sealed stamp, also its <c>stamp-reveal/v1</c> entry (the content) with its
/// tlog-proof against the same checkpoint.
/// </summary>
public sealed record StampProof(
    string Format, StampProof.Logged Stamp, LogInfo Log, BundleEntry LogEntry, BundleAnchor? Anchor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BundleEntry? Reveal = null)
{
    public const string FormatName = "attest-stamp-proof/v1";

    /// <summary>The stamp's log entry as it reads: never the private content, title or tags.</summary>
    public sealed record Logged(string Id, string ContentHash, string CreatedAt, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? SealedUntil = null);
}

/// <summary>A log entry found by its RFC 6962 leaf hash, with its tlog-proof and the log it is in.</summary>
public sealed record LeafEntry(long Index, string Entry, string TlogProof, string LeafHash, LogInfo Log);

/// <summary>
/// Proofs of what the log holds, each against one explicit, already signed checkpoint (the first that covers every
/// entry it proves, waited for with <see cref="TransparencyLog.CheckpointAfter"/>): the offline proof bundle of an
/// attestation (<see cref="ProofBundle"/>, docs/VERIFYING.md), the public proof of a stamp, and an entry by its leaf
/// hash. Each entry's proof is a C2SP tlog-proof (c2sp.org/tlog-proof@v1); verdicts are <see cref="VerifyService"/>'s.
/// </summary>
public sealed class ProofService(TransparencyLog log, Registry registry, IIndexStore index, AttestationService attestations, Anchor.AnchorLedger anchors, TimeProvider time, Scitt.Receipts receipts)
{
    /// <summary>How long a proof waits for a checkpoint covering a fresh entry before answering 503 <c>checkpoint_pending</c>.</summary>
    private static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Everything a holder needs to verify offline: the signed payload, the issuer key and the log entries of its
    /// events, the attestation's log entry, and any revocation or superseding entry, each with a C2SP tlog-proof
    /// against one signed checkpoint of this log. Only a reader <see cref="Reader.Entitled"/> to the attestation gets
    /// the payload (<c>"access": "full"</c>); anyone else gets the same bundle without it (<c>"access": "public"</c>):
    /// status, issuer, key and log proofs, all of it already public in the log. Both carry the attestation entry's
    /// COSE receipt (RFC 9942) over the bundle's checkpoint, for verifiers that speak SCITT rather than C2SP.
    /// </summary>
    public async Task<ProofBundle> Bundle(Guid id, Reader reader, CancellationToken token)
    {
        var a = await attestations.Find(id, token);
        bool full = reader.Entitled(a);
        var key = registry.Key(a.Kid)!;
        var issuer = registry.Issuer(a.IssuerId)!;
        long? supersededAt = a.SupersededByAttestationId is { } by && index.TryGet(EntryIndexer.AttestationKey(by), out AttestationState s) ? s.EntryIndex : null;
        var anchor = anchors.FirstCovering(a.LogIndex) is { } n ? await anchors.Read(n, token) : null;
        var keyEvents = new[] { key.CreatedEntryIndex, key.RotatedEntryIndex, key.LastEntryIndex }.Where(i => i > 0 || i == key.CreatedEntryIndex).Distinct().Order().ToArray();
        long newest = new[] { a.LogIndex, a.RevocationLogIndex ?? 0, supersededAt ?? 0, key.LastEntryIndex, issuer.EntryIndex, anchor?.LogIndex ?? 0 }.Max();
        var checkpoint = await CheckpointCovering(newest, token);

        var keyEntries = new List<BundleEntry>(keyEvents.Length);
        foreach (long i in keyEvents) keyEntries.Add(await EntryProof(i, checkpoint, token));
        // The log's word on the status at this checkpoint: a bundle stripped of its revocation no longer matches it.
        var statusNote = new StatusNote(log.Origin, checkpoint.Size, checkpoint.Checkpoint.Root, a.Id.ToString(), a.Status, key.Kid, key.Status, time.GetUtcNow());
        return new ProofBundle(
            Format: ProofBundle.FormatName,
            Payload: full ? a.Payload : default,
            Signature: full ? a.Signature : "",
            Status: a.Status,
            IssuerId: issuer.Id.ToString(),
            IssuerName: issuer.Name,
            IssuerKey: new BundleKey(key.Kid, key.Alg, key.PublicKey, key.Status, key.CreatedAt, key.RotatedAt, key.CompromisedAt, keyEntries),
            Origin: log.Origin,
            VerifierKey: log.VerifierKey,
            Checkpoint: checkpoint.Note,
            LogEntry: await EntryProof(a.LogIndex, checkpoint, token),
            Revocation: a.RevocationLogIndex is { } r ? await EntryProof(r, checkpoint, token) : null,
            SupersededBy: supersededAt is { } sup ? await EntryProof(sup, checkpoint, token) : null,
            Anchor: anchor is null ? null : await AnchorEvidence(a.LogIndex, anchor, checkpoint, token),
            IssuerEntry: await EntryProof(issuer.EntryIndex, checkpoint, token),
            StatusNote: log.SignNote(statusNote.Text()),
            Receipt: Convert.ToBase64String(receipts.For(a.LogIndex, checkpoint)));
    }

    /// <summary>
    /// The public proof of a stamp (GET /v1/stamps/{id}/proof): its log entry (id, content hash, time; never the
    /// private content, title or tags) with a C2SP tlog-proof, and the earliest anchor covering it, as in a proof bundle;
    /// a revealed sealed stamp's reveal entry too (its content is public from then on), never a sealed one's content.
    /// </summary>
    public async Task<StampProof> OfStamp(string id, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.StampKey(id), out EntryAt at)) throw DomainError.NotFound($"no stamp with id {id}");
        var anchor = anchors.FirstCovering(at.Index) is { } n ? await anchors.Read(n, token) : null;
        long? reveal = index.TryGet(EntryIndexer.RevealKey(id), out EntryAt r) ? r.Index : null;
        var checkpoint = await CheckpointCovering(Math.Max(Math.Max(at.Index, reveal ?? 0), anchor?.LogIndex ?? 0), token);
        var logEntry = await EntryProof(at.Index, checkpoint, token);
        var entry = StampEntry.Parse(Encoding.UTF8.GetBytes(logEntry.Entry));
        var stamp = new StampProof.Logged(entry.Id, entry.ContentHash.ToHex(), entry.CreatedAt, entry.SealedUntil);
        return new StampProof(StampProof.FormatName, stamp, LogInfo(checkpoint), logEntry,
            anchor is null ? null : await AnchorEvidence(at.Index, anchor, checkpoint, token),
            reveal is { } ri ? await EntryProof(ri, checkpoint, token) : null);
    }

    /// <summary>The log entry whose RFC 6962 leaf hash is <paramref name="leaf"/> (GET /v1/log/entries?leaf_hash=), with its tlog-proof.</summary>
    public async Task<LeafEntry> EntryByLeafHash(Hash leaf, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.LeafKey(leaf), out EntryAt at)) throw DomainError.NotFound($"no log entry has the leaf hash {leaf.ToBase64()}");
        var checkpoint = await CheckpointCovering(at.Index, token);
        var proof = await EntryProof(at.Index, checkpoint, token);
        return new LeafEntry(proof.Index, proof.Entry, proof.TlogProof, leaf.ToBase64(), LogInfo(checkpoint));
    }

    private LogInfo LogInfo(SignedCheckpoint checkpoint) => new(log.Origin, log.VerifierKey, checkpoint.Note);

    /// <summary>Log entry <paramref name="i"/> (its exact bytes as UTF-8 text) and its C2SP tlog-proof against <paramref name="checkpoint"/>.</summary>
    private async Task<BundleEntry> EntryProof(long i, SignedCheckpoint checkpoint, CancellationToken token) => new(
        i,
        Encoding.UTF8.GetString(LogRecord.Entry(await log.ReadRecordAsync(i, token))),
        new TlogProof(i, InclusionProof.Prove(i, checkpoint.Size, log.Hashes), checkpoint.Note, null).Format());

    /// <summary>
    /// The earliest anchor whose tree holds entry <paramref name="entryIndex"/>: the entry's inclusion in that
    /// anchored checkpoint, the calldata it implies (docs/ANCHORING.md), and the anchor/v1 entry itself in <paramref name="checkpoint"/>.
    /// </summary>
    private async Task<BundleAnchor> AnchorEvidence(long entryIndex, Anchor.AnchorView anchor, SignedCheckpoint checkpoint, CancellationToken token)
    {
        Hash.TryParseBase64(anchor.RootHash, out var root);
        return new BundleAnchor(
            anchor.Sequence, anchor.LogIndex, anchor.ChainId, anchor.TxHash, anchor.BlockNumber, anchor.BlockHash, anchor.BlockTimestamp,
            anchor.TreeSize, anchor.RootHash, anchor.From, anchor.To, anchor.Checkpoint,
            Calldata: EthRpc.Hex(AnchorCalldata.Encode(anchor.TreeSize, root, log.Origin)),
            TlogProof: new TlogProof(entryIndex, InclusionProof.Prove(entryIndex, anchor.TreeSize, log.Hashes), anchor.Checkpoint, null).Format(),
            LogEntry: await EntryProof(anchor.LogIndex, checkpoint, token));
    }

    // A fresh entry is durable at once but signed into a checkpoint within a second; a proof needs the checkpoint.
    private async Task<SignedCheckpoint> CheckpointCovering(long entryIndex, CancellationToken token)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
        wait.CancelAfter(CheckpointWait);
        try
        {
            return await log.CheckpointAfter(entryIndex, wait.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new DomainError(ErrorKind.Unavailable, "checkpoint_pending", "the entry is not yet in a signed checkpoint; retry shortly");
        }
    }
}
