using System.Text.Json;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Attest.LogServer.Service;

namespace Attest.LogServer.Log;

/// <summary>
/// The log: the entry log (source of truth), the stored Merkle hashes and entry addresses derived from it, the
/// FASTER indexes, and the signed checkpoints.
/// </summary>
/// <remarks>
/// Crash consistency, in the order things become durable:
/// 1. A batch of records is committed to the entry log (<see cref="EntryLog.CommitAsync"/>). Only then are its
///    callers given log indexes.
/// 2. Its hashes and addresses are written to their files (not yet fsynced) and its index updates applied.
/// 3. Publishing a checkpoint of size n first fsyncs the hash and address files, then atomically replaces
///    <c>checkpoint.json</c> (size n and the signed note).
/// Beside them, step 2 appends the public entries to the entry tile store (<see cref="EntryTileStore"/>), whose full
/// bundles a background writer writes without fsync; a bundle lost or torn in a crash fails its check against the
/// stored hashes and is rebuilt from the records when first asked for.
/// On open, derived files are cut back to the last checkpoint (which step 3 made durable), the tree root they give
/// is checked against that checkpoint, and the entry log is scanned from the address of the checkpoint's last
/// entry: only the tail since the last checkpoint is replayed, never the whole log. The indexes recover their own
/// checkpoint and re-apply from its watermark.
///
/// Corruption: every record read at recovery has its checksum checked (see <see cref="EntryLog"/>), and the records
/// before those are checked afterwards in the background (<see cref="VerifyInBackground"/>), so a start never waits
/// for a full read of the log. A corrupt record sets <see cref="Corruption"/>: from then on no checkpoint is
/// signed (none may cover it, and later ones would), writes are refused and the server is not ready.
/// </remarks>
public sealed class TransparencyLog : IDisposable
{
    private readonly EntryLog entries;
    private readonly HashStore hashes;
    private readonly RecordFile<long> addresses;
    private readonly IEntryIndexer indexer;
    private readonly NoteSigner signer;
    private readonly string checkpointPath;
    private readonly SemaphoreSlim publishLock = new(1, 1);
    private readonly ICheckpointWitness? witness;
    private readonly ILogger logger;
    private readonly EntryTileStore tiles;
    private readonly System.Diagnostics.Metrics.Meter meter = new(LogMetrics.MeterName);
    private long recordReads;
    private long size;
    private SignedCheckpoint latest;
    private long signedSize;
    private string? publishFailure;
    private TaskCompletionSource published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const long VerifyBytesPerSecond = 64L << 20;
    private static readonly TimeSpan VerifyDelay = TimeSpan.FromSeconds(3);
    private string? corruption;
    private readonly TaskCompletionSource corrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long verifyUntilAddress, verifyLeavesBelow;
    private readonly CancellationTokenSource disposing = new();

    public TransparencyLog(string dataDir, NoteSigner signer, IEntryIndexer indexer, ILogger logger, ICheckpointWitness? witness = null)
        : this(dataDir, signer, Task.FromResult(indexer), logger, witness)
    {
    }

    /// <param name="indexer">
    /// An indexer still opening is awaited only once the log's own files are open: from a cold page cache at 10M
    /// entries, the FASTER index's recovery and the hash file's first read take about a second and half a second, and
    /// can overlap (docs/PERFORMANCE.md, "Index checkpoints").
    /// </param>
    public TransparencyLog(string dataDir, NoteSigner signer, Task<IEntryIndexer> indexer, ILogger logger, ICheckpointWitness? witness = null)
    {
        this.signer = signer;
        this.witness = witness;
        this.logger = logger;
        Origin = signer.Name;
        Verifier = NoteVerifier.TryParse(signer.VerifierKey, out var verifier) ? verifier! : throw new System.Diagnostics.UnreachableException();
        Directory.CreateDirectory(dataDir);
        checkpointPath = Path.Combine(dataDir, "checkpoint.json");
        entries = new EntryLog(Path.Combine(dataDir, "entries"));
        hashes = new HashStore(Path.Combine(dataDir, "hashes.bin"));
        addresses = new RecordFile<long>(Path.Combine(dataDir, "addresses.bin"), map: true);
        tiles = new EntryTileStore(Path.Combine(dataDir, "tiles", "entries"), ReadRecordAsync, hashes, logger);
        meter.CreateObservableCounter("attest.log.record.reads", () => RecordReads, "{record}",
            "Entry-log records (public entry and private bytes) read after their integration: lookups, proofs, rebuilt entry bundles; never a served tile.");
        this.indexer = indexer.GetAwaiter().GetResult();
        latest = Recover();
    }

    public string Origin { get; }

    public string VerifierKey => signer.VerifierKey;

    public NoteVerifier Verifier { get; }

    /// <summary>Signs a note that is not a checkpoint with the log key (a status note, docs/VERIFYING.md).</summary>
    public string SignNote(string text) => Note.Sign(text, signer);

    /// <summary>Entries committed and integrated (hashed, indexed); at least the latest checkpoint's size.</summary>
    public long Size => Volatile.Read(ref size);

    /// <summary>The latest signed checkpoint. Proofs and tiles are served against published sizes only.</summary>
    public SignedCheckpoint Latest => Volatile.Read(ref latest);

    public IHashReader Hashes => hashes;

    /// <summary>Null, or which entry-log record is corrupt: the log then signs no checkpoint and takes no entry.</summary>
    public string? Corruption => Volatile.Read(ref corruption);

    /// <summary>
    /// Null while checkpoints are published, or why the last attempt failed (a full disk, an I/O error), in words
    /// fit for any client: the last checkpoint is still served, and new entries lack proofs until one succeeds.
    /// </summary>
    public string? PublishFailure => Volatile.Read(ref publishFailure);

    /// <summary>Completes when <see cref="Corruption"/> is set.</summary>
    public Task Corrupted => corrupted.Task;

    /// <summary>The background check of the records recovery did not read; done when the task completes.</summary>
    public Task Verification { get; private set; } = Task.CompletedTask;

    private void ReportCorruption(long index, long address, string detail) => ReportCorruptRecord(index, address, $"it fails its checksum ({detail})");

    private void ReportCorruptRecord(long index, long address, string problem)
    {
        string message = $"entry-log record {index} (address {address}) is corrupt: {problem}. No checkpoint will be signed and writes are refused; "
            + "restore the data directory from a backup";
        if (Interlocked.CompareExchange(ref corruption, message, null) is null)
        {
            logger.LogCritical("{Corruption}", message);
            corrupted.TrySetResult();
        }
    }

    internal EntryLog Entries => entries;

    /// <summary>The entry bundles of <c>/tile/entries/…</c>, served without reading a record.</summary>
    public EntryTileStore EntryTiles => tiles;

    /// <summary>Records read by <see cref="ReadRecordAsync"/> so far (the meter's <c>attest.log.record.reads</c>).</summary>
    public long RecordReads => Interlocked.Read(ref recordReads);

    /// <summary>Reads the record (entry and private bytes) of a log index below <see cref="Size"/>.</summary>
    /// <exception cref="Service.DomainError">Unavailable <c>entry_log_corrupt</c>: the record fails its checksum; the log then stops as at recovery.</exception>
    public async ValueTask<byte[]> ReadRecordAsync(long index, CancellationToken token = default)
    {
        if (index < 0 || index >= Size) throw new ArgumentOutOfRangeException(nameof(index));
        Interlocked.Increment(ref recordReads);
        try
        {
            return await entries.ReadAsync(addresses.Read(index), token);
        }
        catch (CorruptRecordException e)
        {
            ReportCorruption(index, e.Address, e.Detail);
            throw new DomainError(ErrorKind.Unavailable, "entry_log_corrupt", Corruption!);
        }
    }

    /// <summary>
    /// Called by the sequencer after a batch is durable: derives hashes, addresses and indexes, then counts the
    /// batch as integrated.
    /// </summary>
    internal void Integrate(ReadOnlySpan<byte[]> records, ReadOnlySpan<long> recordAddresses)
    {
        long n = size;
        Span<Hash> buf = stackalloc Hash[64];
        var leaves = new Hash[records.Length];
        for (int i = 0; i < records.Length; i++)
        {
            leaves[i] = Rfc6962.HashLeaf(LogRecord.Entry(records[i]));
            int k = StoredHashes.ForRecord(n + i, leaves[i], hashes, buf);
            hashes.Stage(buf[..k]);
        }
        hashes.WriteStaged();
        addresses.Append(recordAddresses);
        tiles.Append(records);
        for (int i = 0; i < records.Length; i++) indexer.Apply(n + i, records[i], leaves[i]);
        Volatile.Write(ref size, n + records.Length);
    }

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

    /// <summary>Makes the derived indexes durable up to the current size, bounding the replay after a crash.</summary>
    public async Task CheckpointIndexes()
    {
        long size = Size;
        if (indexer.AppliedUpTo >= size) return;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await indexer.Checkpoint(size);
        // The write path's slowest second is usually the one with an index checkpoint (docs/PERFORMANCE.md, "Index
        // checkpoints").
        logger.LogInformation("Index checkpoint at size {Size} took {Milliseconds:F0} ms", size,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Signs and publishes a checkpoint of everything integrated, if the tree grew (or none was ever published).
    /// Sizes only grow and every checkpoint covers a prefix of the same entry log, so any two are consistent.
    /// With witnesses, the signed checkpoint is first sent to them (<see cref="ICheckpointWitness"/>): it is published
    /// with their cosignatures, or held back (returning the previous one) when the policy says so; the very first
    /// checkpoint of a log is published regardless, since there must be one to serve.
    /// </summary>
    public SignedCheckpoint Publish() => PublishAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="Publish"/>
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
                hashes.Flush();
                addresses.Flush();
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
            var cp = new Checkpoint(Origin, n, StoredHashes.TreeHash(n, hashes), []);
            var signed = new SignedCheckpoint(cp, Note.Sign(cp.Format(), signer));
            signedSize = n;
            if (witness is not null)
            {
                var cosigned = await witness.Cosign(signed, hashes, token);
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

    /// <summary>Record <paramref name="i"/>, read at recovery; null when it fails its checksum (then reported).</summary>
    private byte[]? ReadAtRecovery(long i)
    {
        try
        {
            return entries.ReadAsync(addresses.Read(i)).AsTask().GetAwaiter().GetResult();
        }
        catch (CorruptRecordException e)
        {
            ReportCorruption(i, e.Address, e.Detail);
            return null;
        }
    }

    private SignedCheckpoint Recover()
    {
        // Step 0: the last durable checkpoint, checked against our own key.
        CheckpointState? state = null;
        Checkpoint? last = null;
        if (File.Exists(checkpointPath))
        {
            state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllBytes(checkpointPath))
                ?? throw new InvalidDataException($"{checkpointPath} is empty");
            var opened = Note.Open(System.Text.Encoding.UTF8.GetBytes(state.Note), [Verifier]);
            if (!Checkpoint.TryParse(opened.Text, out last) || last!.Size != state.Size || last.Origin != Origin)
                throw new InvalidDataException($"{checkpointPath} does not hold a checkpoint of {Origin} of size {state.Size}");
        }

        // Step 1: cut derived files back to what the checkpoint made durable, and check they give its root.
        long cpSize = state?.Size ?? 0;
        bool derivedOk = hashes.Count >= StoredHashes.StoredHashCount(cpSize) && addresses.Count >= cpSize;
        if (derivedOk)
        {
            hashes.Truncate(StoredHashes.StoredHashCount(cpSize));
            addresses.Truncate(cpSize);
            derivedOk = last is null || StoredHashes.TreeHash(cpSize, hashes) == last.Root;
        }
        if (derivedOk)
        {
            size = cpSize;
        }
        else
        {
            logger.LogWarning("Derived hash files do not match checkpoint {Size}; rebuilding them from the whole entry log", cpSize);
            hashes.Truncate(0);
            addresses.Truncate(0);
            size = 0;
        }
        // The entry tile store's partial bundle lives in memory: refill it with the at most 255 entries of the last
        // bundle below the checkpoint. Its full bundles below are files already, or rebuilt when first asked for.
        // A corrupt record stops the refill there: the log then serves no entry of it (and signs nothing more).
        tiles.Reset(Size);
        for (long i = Size / Tile.FullWidth * Tile.FullWidth; i < Size; i++)
        {
            if (ReadAtRecovery(i) is not { } record) break;
            tiles.Append([record]);
        }

        // Step 2: the index recovered its own checkpoint; re-apply what it lacks below the checkpoint size.
        long indexFrom = indexer.AppliedUpTo;
        for (long i = indexFrom; i < Size; i++)
        {
            // A corrupt record is skipped: the others are still indexed, for reads; nothing is written or signed from here on.
            if (ReadAtRecovery(i) is { } record) indexer.Apply(i, record, Rfc6962.HashLeaf(LogRecord.Entry(record)));
        }

        // Step 3: replay the entry log's tail (entries committed after the checkpoint) into hashes, addresses, index.
        long replayFrom = Size;
        var batch = new List<byte[]>();
        var batchAddresses = new List<long>();
        void Flush()
        {
            Integrate(batch.ToArray(), batchAddresses.ToArray());
            batch.Clear();
            batchAddresses.Clear();
        }
        // Scan from the last integrated entry's own address (its record is already integrated; skip it), so no
        // "address after the end" has to be known or stored.
        long from = Size == 0 ? entries.BeginAddress : addresses.Read(Size - 1);
        try
        {
            entries.Scan(from, (record, address) =>
            {
                if (address == from && Size > 0) return;
                batch.Add(record.ToArray());
                batchAddresses.Add(address);
                if (batch.Count == 4096) Flush();
            }, verifyInMemory: true);
        }
        catch (CorruptRecordException e)
        {
            // The tree takes the records before it only: a checkpoint over the corrupt one would sign its garbage.
            ReportCorruption(Size + batch.Count, e.Address, e.Detail);
        }
        if (batch.Count > 0) Flush();
        // Up to and including the last checkpointed record (the tail scan skipped it), whose leaf hash is stored too.
        verifyUntilAddress = Math.Min(replayFrom == 0 ? from : from + 1, entries.CommittedUntilAddress);
        verifyLeavesBelow = replayFrom;

        long logSize = Size;
        if (indexFrom > logSize) throw new InvalidDataException($"the index claims {indexFrom} entries but the entry log holds {logSize}; refusing to start");
        if (last is not null && (logSize < last.Size || StoredHashes.TreeHash(last.Size, hashes) != last.Root))
            throw new InvalidDataException($"the entry log ({logSize} entries) does not contain the last published checkpoint (size {last.Size}); refusing to start"
                + (Corruption is { } c ? $": {c}" : ""));
        logger.LogInformation("Opened log {Origin}: {Size} entries, checkpoint {Checkpoint}, replayed {Tail} entries after it, index from {IndexFrom}",
            Origin, logSize, cpSize, logSize - replayFrom, indexFrom);

        latest = last is null ? null! : new SignedCheckpoint(last, state!.Note);
        Verification = Task.Factory.StartNew(VerifyInBackground, TaskCreationOptions.LongRunning);
        // Step 4: publish at start when the log holds more than the last checkpoint (or none exists yet). A start on a
        // full disk still serves the last checkpoint; the publishing loop tries again.
        if (latest is not null && size == latest.Size) return latest;
        try
        {
            return Publish();
        }
        catch (Exception e) when (latest is not null && IsWriteFailure(e))
        {
            return latest; // logged by PublishingFailed
        }
    }

    /// <summary>
    /// Reads the records recovery did not (those before the tail it replayed) and checks their checksums, so that one
    /// corrupted on disk while the server was down is found without delaying the start. Paced to
    /// <see cref="VerifyBytesPerSecond"/>, so that it leaves the disk to the writes it runs beside (a 10M-entry log
    /// of 500-byte records takes about 80 s), and begun <see cref="VerifyDelay"/> after the log opened, so that the
    /// first seconds of a start, which should reach full throughput, have the disk to themselves.
    /// </summary>
    /// <remarks>
    /// FASTER's checksum is an XOR of 8-byte words: two changes in the same byte of two words (a swap of bytes 8
    /// apart, a burst that flips the same bits twice) cancel out. So each record's public entry is also hashed as an
    /// RFC 6962 leaf and compared with the leaf hash the Merkle tree stores for its index, which the signed
    /// checkpoints commit to: a record that passes its checksum but no longer gives the leaf it was logged with is
    /// corrupt (or <c>hashes.bin</c> is), and signing over it would publish proofs that do not hold. The stored
    /// hashes are read 128 records at a time, one read each.
    /// </remarks>
    private void VerifyInBackground()
    {
        long index = 0, bytes = 0;
        if (disposing.Token.WaitHandle.WaitOne(VerifyDelay)) return;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        const int LeafBatch = 128;
        var leaves = new Hash[LeafBatch];
        var stored = new Hash[LeafBatch];
        var storedIndexes = new long[LeafBatch];
        var leafAddresses = new long[LeafBatch];
        int pending = 0;
        bool CheckLeaves()
        {
            hashes.ReadHashes(storedIndexes.AsSpan(0, pending), stored.AsSpan(0, pending));
            for (int i = 0; i < pending; i++)
            {
                if (leaves[i] == stored[i]) continue;
                ReportCorruptRecord(StoredHashes.SplitStoredHashIndex(storedIndexes[i]).N, leafAddresses[i],
                    "its checksum matches, but its entry's RFC 6962 leaf hash is not the one the Merkle tree holds for it (hashes.bin), so one of them changed on disk");
                return false;
            }
            pending = 0;
            return true;
        }
        try
        {
            entries.Scan(entries.BeginAddress, (record, address) =>
            {
                if (index < verifyLeavesBelow)
                {
                    leaves[pending] = Rfc6962.HashLeaf(LogRecord.Entry(record).Span);
                    storedIndexes[pending] = StoredHashes.StoredHashIndex(0, index);
                    leafAddresses[pending] = address;
                    if (++pending == LeafBatch && !CheckLeaves()) throw new OperationCanceledException(); // reported: stop here
                }
                bytes += record.Length;
                if (++index % 1024 == 0)
                {
                    disposing.Token.ThrowIfCancellationRequested();
                    long ahead = bytes * 1000 / VerifyBytesPerSecond - clock.ElapsedMilliseconds;
                    if (ahead > 0) Thread.Sleep((int)Math.Min(ahead, 1000));
                }
            }, verifyInMemory: true, toAddress: verifyUntilAddress);
            if (pending > 0 && !CheckLeaves()) return;
            logger.LogInformation("Verified the checksums and leaf hashes of {Count} entry-log records written before the last start", index);
        }
        catch (CorruptRecordException e)
        {
            ReportCorruption(index, e.Address, e.Detail);
        }
        catch (OperationCanceledException) when (Corruption is not null)
        {
        }
        catch (Exception e) when (disposing.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or FASTER.core.FasterException)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "The background check of the entry log's checksums stopped at record {Index}", index);
        }
    }

    public void Dispose()
    {
        disposing.Cancel();
        try { Verification.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        tiles.Dispose();
        meter.Dispose();
        entries.Dispose();
        hashes.Dispose();
        addresses.Dispose();
    }

    private sealed record CheckpointState(long Size, string Note);
}
