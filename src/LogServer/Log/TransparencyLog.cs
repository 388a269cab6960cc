using System.Text.Json;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Log;

/// <summary>
/// The log's read side and its checkpoint publisher: the size and the latest signed checkpoint, the stored hashes
/// proofs and tiles are read from, the entry bundles, the records; and the signing, witnessing and durable writing of
/// checkpoints. Everything it reads, the <see cref="Sequencer"/> wrote: the sequencer owns the storage and its commit
/// order, and this class never writes it.
/// </summary>
/// <remarks>
/// Opening (<see cref="OpenAsync"/>), in order: read and verify <c>checkpoint.json</c>; let the sequencer open the
/// storage and bring the derived state up to date with the entry log (<see cref="Sequencer.OpenAsync"/>); refuse to
/// start if the entry log does not contain the last published checkpoint; publish a checkpoint of everything the
/// entry log holds. Until it completes, <see cref="IsOpen"/> is false, and the server is not ready.
/// </remarks>
public sealed class TransparencyLog : IDisposable
{
    // Immutable after construction.
    private readonly Sequencer sequencer;
    private readonly NoteSigner signer;
    private readonly string checkpointPath;
    private readonly ICheckpointWitness? witness;
    private readonly ILogger logger;
    private readonly System.Diagnostics.Metrics.Meter meter = new(LogMetrics.MeterName);

    // Held by the one publisher at a time (PublishAsync): signedSize is read and written only under it, and latest
    // and published are written only under it; latest is read by any thread (Volatile.Read).
    private readonly SemaphoreSlim publishLock = new(1, 1);
    private SignedCheckpoint latest = null!;
    private long signedSize;
    private TaskCompletionSource published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Set by the publisher (under publishLock), read by any thread.
    private string? publishFailure;

    // Set once, at the end of OpenAsync; read by any thread.
    private volatile bool open;

    /// <param name="sequencer">The writer of the storage this log reads; opened by <see cref="OpenAsync"/>.</param>
    public TransparencyLog(string dataDir, Sequencer sequencer, NoteSigner signer, ILogger logger, ICheckpointWitness? witness = null)
    {
        this.sequencer = sequencer;
        this.signer = signer;
        this.witness = witness;
        this.logger = logger;
        Origin = signer.Name;
        Verifier = NoteVerifier.TryParse(signer.VerifierKey, out var verifier) ? verifier! : throw new System.Diagnostics.UnreachableException();
        Directory.CreateDirectory(dataDir);
        checkpointPath = Path.Combine(dataDir, "checkpoint.json");
        meter.CreateObservableCounter("attest.log.record.reads", () => RecordReads, "{record}",
            "Entry-log records (public entry and private bytes) read after their integration: lookups, proofs, rebuilt entry bundles; never a served tile.");
    }

    public string Origin { get; }

    public string VerifierKey => signer.VerifierKey;

    public NoteVerifier Verifier { get; }

    /// <summary>Signs a note that is not a checkpoint with the log key (a status note, docs/VERIFYING.md).</summary>
    public string SignNote(string text) => Note.Sign(text, signer);

    /// <summary>Whether <see cref="OpenAsync"/> completed: before, nothing below is meaningful, and the server is not ready.</summary>
    public bool IsOpen => open;

    /// <summary>Entries committed and integrated (hashed, indexed); at least the latest checkpoint's size.</summary>
    public long Size => sequencer.Size;

    /// <summary>The latest signed checkpoint. Proofs and tiles are served against published sizes only.</summary>
    public SignedCheckpoint Latest => Volatile.Read(ref latest);

    public IHashReader Hashes => sequencer.Hashes;

    /// <summary>Null, or which entry-log record is corrupt: the log then signs no checkpoint and takes no entry.</summary>
    public string? Corruption => sequencer.Corruption;

    /// <summary>
    /// Null while checkpoints are published, or why the last attempt failed (a full disk, an I/O error), in words
    /// fit for any client: the last checkpoint is still served, and new entries lack proofs until one succeeds.
    /// </summary>
    public string? PublishFailure => Volatile.Read(ref publishFailure);

    /// <summary>Completes when <see cref="Corruption"/> is set.</summary>
    public Task Corrupted => sequencer.Corrupted;

    /// <summary>The entry bundles of <c>/tile/entries/…</c>, served without reading a record.</summary>
    public IEntryBundleStore EntryTiles => sequencer.Bundles;

    /// <summary>Records read by <see cref="ReadRecordAsync"/> so far (the meter's <c>attest.log.record.reads</c>).</summary>
    public long RecordReads => sequencer.RecordReads;

    /// <inheritdoc cref="Sequencer.ReadRecordAsync"/>
    public ValueTask<byte[]> ReadRecordAsync(long index, CancellationToken token = default) => sequencer.ReadRecordAsync(index, token);

    /// <summary>The first published checkpoint larger than <paramref name="size"/>, waiting for it if need be.</summary>
    public async Task<SignedCheckpoint> CheckpointAfter(long size, CancellationToken token)
    {
        while (true)
        {
            var next = Volatile.Read(ref published).Task; // before reading Latest, so no publication slips between
            var cp = Latest;
            if (cp.Size > size) return cp;
            await next.WaitAsync(token);
        }
    }

    /// <summary>
    /// Signs and publishes a checkpoint of everything integrated, if the tree grew (or none was ever published).
    /// Sizes only grow and every checkpoint covers a prefix of the same entry log, so any two are consistent.
    /// With witnesses, the signed checkpoint is first sent to them (<see cref="ICheckpointWitness"/>): it is published
    /// with their cosignatures, or held back (returning the previous one) when the policy says so; the very first
    /// checkpoint of a log is published regardless, since there must be one to serve.
    /// </summary>
    public async Task<SignedCheckpoint> PublishAsync(CancellationToken token = default)
    {
        await publishLock.WaitAsync(token);
        try
        {
            long n = Size;
            if (latest is not null && n == latest.Size) return latest;
            if (latest is not null && Corruption is not null) return latest;
            if (latest is not null && n < latest.Size) throw new System.Diagnostics.UnreachableException("checkpoint would go backwards");
            try
            {
                // Derived state first: once checkpoint.json names size n, open trusts the hash and address files up to n.
                sequencer.FlushDerived();
            }
            catch (Exception e) when (IsWriteFailure(e))
            {
                throw PublishingFailed(e);
            }
            // Invariant 3 across failures: a checkpoint signed (and maybe cosigned by witnesses) whose write then
            // failed was seen by no one here, but a witness may remember it. The next one is never smaller: Size only
            // grows while running, and after a crash recovery replays every entry committed, which includes every
            // entry below a size ever signed (an entry is integrated only after its commit).
            if (n < signedSize) throw new System.Diagnostics.UnreachableException($"checkpoint {n} would follow a signed checkpoint of {signedSize}");
            var cp = new Checkpoint(Origin, n, StoredHashes.TreeHash(n, Hashes), []);
            var signed = new SignedCheckpoint(cp, Note.Sign(cp.Format(), signer));
            signedSize = n;
            if (witness is not null)
            {
                var cosigned = await witness.Cosign(signed, Hashes, token);
                if (cosigned is null && latest is not null) return latest;
                signed = cosigned ?? signed;
            }
            var state = JsonSerializer.SerializeToUtf8Bytes(new CheckpointState(n, signed.Note));
            try
            {
                DurableFile.Write(checkpointPath, state);
            }
            catch (Exception e) when (IsWriteFailure(e))
            {
                throw PublishingFailed(e);
            }
            if (Volatile.Read(ref publishFailure) is not null)
            {
                Volatile.Write(ref publishFailure, null);
                logger.LogInformation("Checkpoints are published again: checkpoint {Size}", n);
            }
            Volatile.Write(ref latest, signed);
            Interlocked.Exchange(ref published, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return signed;
        }
        finally
        {
            publishLock.Release();
        }
    }

    /// <summary>
    /// Records why publishing fails, in words fit for any client (no path), logs it once per streak of failures (the
    /// publishing loop retries every interval), and returns the exception to throw.
    /// </summary>
    private Exception PublishingFailed(Exception e)
    {
        if (Volatile.Read(ref publishFailure) is null)
        {
            Volatile.Write(ref publishFailure, $"failing since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}: the checkpoint could not be written to disk ({e.GetType().Name}); "
                + "new entries are accepted but no proof covers them until it succeeds");
            logger.LogError(e, "Publishing a checkpoint failed; the last one is still served, entries are still accepted, and it is tried again every interval");
        }
        return e;
    }

    /// <summary>A failed write of a derived file (a full disk, an I/O error): publishing is tried again, nothing else stops.</summary>
    internal static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException;

    /// <summary>
    /// Opens the log: called once, by the host's start (<see cref="LogHost"/>), before the server listens. Nothing is
    /// served, and <see cref="IsOpen"/> is false, until it completes.
    /// </summary>
    /// <exception cref="InvalidDataException">the checkpoint file or the entry log cannot be trusted; the server refuses to start.</exception>
    public async Task OpenAsync(CancellationToken token = default)
    {
        // Step 0: the last durable checkpoint, checked against our own key.
        CheckpointState? state = null;
        Checkpoint? last = null;
        if (File.Exists(checkpointPath))
        {
            state = JsonSerializer.Deserialize<CheckpointState>(await File.ReadAllBytesAsync(checkpointPath, token))
                ?? throw new InvalidDataException($"{checkpointPath} is empty");
            var opened = Note.Open(System.Text.Encoding.UTF8.GetBytes(state.Note), [Verifier]);
            if (!Checkpoint.TryParse(opened.Text, out last) || last!.Size != state.Size || last.Origin != Origin)
                throw new InvalidDataException($"{checkpointPath} does not hold a checkpoint of {Origin} of size {state.Size}");
        }
        long cpSize = state?.Size ?? 0;

        // Steps 1 to 3, the sequencer's: open the storage, cut the derived state back to the checkpoint, re-apply the
        // index, replay the entry log's tail.
        var recovered = await sequencer.OpenAsync(cpSize, last?.Root, token);

        long logSize = Size;
        if (last is not null && (logSize < last.Size || StoredHashes.TreeHash(last.Size, Hashes) != last.Root))
            throw new InvalidDataException($"the entry log ({logSize} entries) does not contain the last published checkpoint (size {last.Size}); refusing to start"
                + (Corruption is { } c ? $": {c}" : ""));
        logger.LogInformation("Opened log {Origin}: {Size} entries, checkpoint {Checkpoint}, replayed {Tail} entries after it, index from {IndexFrom}",
            Origin, logSize, cpSize, logSize - recovered.ReplayedFrom, recovered.IndexFrom);

        latest = last is null ? null! : new SignedCheckpoint(last, state!.Note);
        // Step 4: publish at start when the log holds more than the last checkpoint (or none exists yet). A start on a
        // full disk still serves the last checkpoint; the publishing loop tries again.
        if (latest is null || Size != latest.Size)
        {
            try
            {
                await PublishAsync(token);
            }
            catch (Exception e) when (latest is not null && IsWriteFailure(e))
            {
                // logged by PublishingFailed
            }
        }
        open = true;
    }

    /// <summary>Stops the log's meter. The storage is the sequencer's, closed when it is disposed.</summary>
    public void Dispose() => meter.Dispose();

    private sealed record CheckpointState(long Size, string Note);
}
