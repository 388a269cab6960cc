using System.Diagnostics;
using System.Threading.Channels;
using Attest.LogServer.Service;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Log;

/// <summary>
/// The one owner of the append path. It holds the entry log (the source of truth), the stored Merkle hashes, the
/// entry addresses, the entry bundles and the indexer, and decides the order in which each becomes durable: nothing
/// else writes them. Concurrent submissions queue up; the sequencer takes whatever is waiting (up to
/// <see cref="LogOptions.MaxBatch"/>), appends it, makes one durable commit for the whole batch, integrates it
/// (hashes, addresses, bundles, indexes), and only then tells each caller its log index.
/// </summary>
/// <remarks>
/// Two stages, so the disk and the CPU work at once: the commit loop appends and commits batch k+1 while the
/// integrator hashes and indexes batch k. Batches are integrated and acknowledged in commit order, and a batch is
/// only handed to the integrator once its commit returned, so every acknowledged index is still durable.
///
/// Crash consistency, in the order things become durable (what a kill -9 between the steps leaves is said where each
/// step happens: <see cref="Run"/>, <see cref="Integrate(ReadOnlySpan{byte[]}, ReadOnlySpan{long})"/>,
/// <see cref="FlushDerived"/>, <see cref="OpenAsync"/>):
/// 1. A batch of records is committed to the entry log (<see cref="EntryLog.CommitAsync"/>). Only then are its
///    callers given log indexes.
/// 2. Its hashes and addresses are written to their files (not yet fsynced), its public entries appended to the entry
///    bundles, and its index updates applied.
/// 3. The publisher (<see cref="TransparencyLog.PublishAsync"/>) makes the hash and address files durable
///    (<see cref="FlushDerived"/>) before it atomically replaces <c>checkpoint.json</c>.
/// On open, the derived files are cut back to the last checkpoint (which step 3 made durable), the tree root they
/// give is checked against it, and the entry log is scanned from the address of the checkpoint's last entry: only
/// the tail since the last checkpoint is replayed, never the whole log. The indexes recover their own checkpoint and
/// are re-applied from its watermark.
///
/// Corruption: every record read at open has its checksum checked (see <see cref="EntryLog"/>), and the records
/// before those are checked afterwards in the background (<see cref="VerifyInBackground"/>), so a start never waits
/// for a full read of the log. A corrupt record sets <see cref="Corruption"/>: from then on no checkpoint is signed
/// (none may cover it, and later ones would), writes are refused and the server is not ready.
/// </remarks>
public sealed class Sequencer : IAsyncDisposable
{
    // Immutable after construction.
    private readonly Task<IEntryIndexer> opening;
    private readonly int maxBatch;
    private readonly int maxRecordBytes;
    private readonly ILogger logger;
    private readonly Channel<Submission> queue; // any thread writes; the commit loop is the one reader
    private readonly Channel<Batch> committed = Channel.CreateBounded<Batch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true }); // commit loop → integrator
    private readonly TaskCompletionSource faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource corrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource disposing = new();
    private readonly Task storage; // opens the files below, begun by the constructor

    // The storage, set once (by the task begun in the constructor) before the loops start and never replaced. Written only by the thread that
    // opens (recovery), then only by the commit loop (entries: enqueue and commit) and the integrator (hashes,
    // addresses, bundles, indexer); read by any thread below Size. Hashes and addresses are fsynced by the publisher
    // (FlushDerived), which never writes them.
    private ISequencedEntryStore entries = null!;
    private IHashStore hashes = null!;
    private RecordFile<long> addresses = null!;
    private IEntryBundleStore bundles = null!;
    private IEntryIndexer indexer = null!;

    // Set once by OpenAsync, which starts the two loops, and awaited by StopAsync; running says they were started.
    private Task loop = Task.CompletedTask, integrator = Task.CompletedTask;
    private volatile bool running;

    // Entries integrated: written by the opening thread, then by the integrator only (Volatile.Write, after the
    // batch's hashes, addresses, bundles and indexes); read by any thread (Volatile.Read).
    private long size;

    // Set at most once (compare-exchange), by whichever thread meets the failure first; read by any thread.
    private Exception? fault;
    private string? corruption;

    // Incremented by the commit loop (commits) and by any reader (recordReads); read by any thread.
    private long commits;
    private long recordReads;

    // Set by OpenAsync before the background check starts, then read only by it.
    private long verifyUntilAddress, verifyLeavesBelow;

    private const long VerifyBytesPerSecond = 64L << 20;
    private static readonly TimeSpan VerifyDelay = TimeSpan.FromSeconds(3);

    /// <summary>The default of <see cref="Api.LimitOptions.MaxRecordBytes"/>.</summary>
    public const int DefaultMaxRecordBytes = 256 * 1024;

    public Sequencer(string dataDir, IEntryIndexer indexer, ILogger logger, int maxBatch, int maxRecordBytes = DefaultMaxRecordBytes)
        : this(dataDir, Task.FromResult(indexer), logger, maxBatch, maxRecordBytes)
    {
    }

    /// <param name="indexer">
    /// An indexer still opening is awaited only once the log's own files are open: from a cold page cache at 10M
    /// entries, the FASTER index's recovery and the hash file's first read take about a second and half a second, and
    /// can overlap.
    /// </param>
    /// <param name="maxRecordBytes">Larger records are refused by <see cref="AppendAsync"/> before they are queued.</param>
    /// <remarks>
    /// The storage's files begin opening here, in the background, so that they open beside the index (which the host
    /// makes while it makes its services); <see cref="OpenAsync"/> (called by <see cref="TransparencyLog.OpenAsync"/>)
    /// awaits them and recovers.
    /// </remarks>
    public Sequencer(string dataDir, Task<IEntryIndexer> indexer, ILogger logger, int maxBatch, int maxRecordBytes = DefaultMaxRecordBytes)
    {
        opening = indexer;
        this.maxBatch = maxBatch;
        this.logger = logger;
        this.maxRecordBytes = maxRecordBytes;
        queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(4 * maxBatch) { SingleReader = true });
        // The embedded implementation of the storage contracts (docs/SCALING.md): the only place that names it. FASTER
        // recovers the entry log in its constructor, and the hash store reads its upper levels: blocking work, off the
        // host's starting thread.
        storage = Task.Run(() =>
        {
            entries = new EntryLog(Path.Combine(dataDir, "entries"));
            hashes = new HashStore(Path.Combine(dataDir, "hashes.bin"));
            addresses = new RecordFile<long>(Path.Combine(dataDir, "addresses.bin"), map: true);
            bundles = new EntryTileStore(Path.Combine(dataDir, "tiles", "entries"), ReadRecordAsync, hashes, logger);
        });
    }

    /// <summary>The write path's timings (<see cref="LogMetrics"/>).</summary>
    public LogMetrics Metrics { get; } = new();

    /// <summary>Durable commits made so far: with concurrent callers, far fewer than the records appended.</summary>
    public long Commits => Interlocked.Read(ref commits);

    /// <summary>Entries committed and integrated (hashed, indexed).</summary>
    public long Size => Volatile.Read(ref size);

    /// <summary>The stored Merkle hashes of every integrated entry.</summary>
    public IHashReader Hashes => hashes;

    /// <summary>The entry bundles of <c>/tile/entries/…</c>, served without reading a record.</summary>
    public IEntryBundleStore Bundles => bundles;

    /// <summary>The storage failure that stopped the log taking writes, or null while it takes them.</summary>
    public Exception? Fault => Volatile.Read(ref fault);

    /// <summary>
    /// What <see cref="Fault"/> means, fit to show any client (readiness, health): the kind of failure, without its
    /// message or stack, which may name paths of the data directory. The server log has the whole exception.
    /// </summary>
    public string? FaultReason => Fault is { } e ? $"the entry log's storage failed ({e.GetType().Name}); the log accepts no writes until it is restarted" : null;

    /// <summary>Completes when the log stops taking writes after a storage failure (never on a clean shutdown).</summary>
    public Task Faulted => faulted.Task;

    /// <summary>Null, or which entry-log record is corrupt: the log then signs no checkpoint and takes no entry.</summary>
    public string? Corruption => Volatile.Read(ref corruption);

    /// <summary>Completes when <see cref="Corruption"/> is set.</summary>
    public Task Corrupted => corrupted.Task;

    /// <summary>The background check of the records recovery did not read; done when the task completes.</summary>
    public Task Verification { get; private set; } = Task.CompletedTask;

    /// <summary>Records read by <see cref="ReadRecordAsync"/> so far (the meter's <c>attest.log.record.reads</c>).</summary>
    public long RecordReads => Interlocked.Read(ref recordReads);

    /// <summary>
    /// Appends one record (see <see cref="LogRecord"/>) and returns its log index once it is durable and
    /// integrated. Throws <see cref="SequencerUnavailableException"/> when the log cannot take writes. A record
    /// submitted before the log is open waits for the open.
    /// </summary>
    public async Task<long> AppendAsync(byte[] record, CancellationToken token = default)
    {
        // Refused before it is queued: a record the entry log cannot hold must not reach the batch of others.
        if (record.Length > maxRecordBytes) throw new RecordTooLargeException(record.Length, maxRecordBytes);
        if (fault is not null) throw new SequencerUnavailableException("the log stopped accepting writes after a storage failure", fault);
        var submission = new Submission(record);
        try
        {
            await queue.Writer.WriteAsync(submission, token);
        }
        catch (ChannelClosedException)
        {
            throw new SequencerUnavailableException("the log is shutting down");
        }
        // Once queued, the record may be committed: do not abandon it on cancellation, so a caller that waits learns its index.
        return await submission.Done.Task;
    }

    /// <summary>Reads the record (entry and private bytes) of a log index below <see cref="Size"/>.</summary>
    /// <exception cref="DomainError">Unavailable <c>entry_log_corrupt</c>: the record fails its checksum; the log then stops as at recovery.</exception>
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
    /// Makes the hashes and addresses of every integrated entry durable. The publisher calls it before it writes a
    /// checkpoint: a checkpoint on disk then never covers an entry whose derived state a crash could lose, so open
    /// can cut the derived files back to it and trust what is left.
    /// </summary>
    public void FlushDerived()
    {
        hashes.Flush();
        addresses.Flush();
    }

    /// <summary>Makes the derived indexes durable up to the current size, bounding the replay after a crash.</summary>
    public async Task CheckpointIndexAsync()
    {
        long n = Size;
        if (indexer.AppliedUpTo >= n) return;
        long started = Stopwatch.GetTimestamp();
        await indexer.Checkpoint(n);
        // The write path's slowest second is usually the one with an index checkpoint.
        logger.LogInformation("Index checkpoint at size {Size} took {Milliseconds:F0} ms", n, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Opens the storage and brings the derived state up to date with the entry log, then starts taking batches.
    /// Called once, by <see cref="TransparencyLog.OpenAsync"/>, with the last durable checkpoint (size 0 and no root
    /// when there is none).
    /// </summary>
    /// <exception cref="InvalidDataException">the index claims more entries than the entry log holds.</exception>
    internal async Task<Recovered> OpenAsync(long checkpointSize, Hash? checkpointRoot, CancellationToken token)
    {
        await storage.WaitAsync(token);

        // Step 1: cut derived files back to what the checkpoint made durable, and check they give its root. Hashes or
        // addresses written after it may be torn or missing (they were not fsynced); up to it they were.
        bool derivedOk = hashes.Count >= StoredHashes.StoredHashCount(checkpointSize) && addresses.Count >= checkpointSize;
        if (derivedOk)
        {
            hashes.Truncate(StoredHashes.StoredHashCount(checkpointSize));
            addresses.Truncate(checkpointSize);
            derivedOk = checkpointRoot is not { } root || StoredHashes.TreeHash(checkpointSize, hashes) == root;
        }
        if (derivedOk)
        {
            size = checkpointSize;
        }
        else
        {
            logger.LogWarning("Derived hash files do not match checkpoint {Size}; rebuilding them from the whole entry log", checkpointSize);
            hashes.Truncate(0);
            addresses.Truncate(0);
            size = 0;
        }
        // The entry bundle being filled lives in memory: refill it with the at most 255 entries of the last bundle
        // below the checkpoint. Full bundles below are files already (written without fsync: one a crash tore fails
        // its check when first read), or rebuilt when first asked for. A corrupt record stops the refill there: the
        // log then serves no entry of it (and signs nothing more).
        bundles.Reset(size);
        for (long i = size / Tile.FullWidth * Tile.FullWidth; i < size; i++)
        {
            if (await ReadAtRecovery(i, token) is not { } record) break;
            bundles.Append([record]);
        }

        // Step 2: the index recovered its own checkpoint; re-apply what it lacks below the checkpoint size. Updates
        // are idempotent per log index, so entries the recovered index already holds change nothing.
        indexer = await opening;
        long indexFrom = indexer.AppliedUpTo;
        for (long i = indexFrom; i < size; i++)
        {
            // A corrupt record is skipped: the others are still indexed, for reads; nothing is written or signed from here on.
            if (await ReadAtRecovery(i, token) is { } record) indexer.Apply(i, record, Rfc6962.HashLeaf(LogRecord.Entry(record)));
        }

        // Step 3: replay the entry log's tail (entries committed after the checkpoint, whose callers may have been
        // acknowledged) into hashes, addresses, bundles and index.
        long replayFrom = size;
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
        long from = size == 0 ? entries.BeginAddress : addresses.Read(size - 1);
        await Task.Run(() =>
        {
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
        }, token);
        // Up to and including the last checkpointed record (the tail scan skipped it), whose leaf hash is stored too.
        verifyUntilAddress = Math.Min(replayFrom == 0 ? from : from + 1, entries.CommittedUntilAddress);
        verifyLeavesBelow = replayFrom;

        if (indexFrom > Size) throw new InvalidDataException($"the index claims {indexFrom} entries but the entry log holds {Size}; refusing to start");
        Verification = Task.Factory.StartNew(VerifyInBackground, TaskCreationOptions.LongRunning);
        running = true;
        loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning).Unwrap();
        integrator = Task.Factory.StartNew(Integrate, TaskCreationOptions.LongRunning).Unwrap();
        return new Recovered(replayFrom, indexFrom);
    }

    /// <summary>What <see cref="OpenAsync"/> found: the size it replayed the entry log's tail from, and the index's watermark.</summary>
    internal readonly record struct Recovered(long ReplayedFrom, long IndexFrom);

    /// <summary>Record <paramref name="i"/>, read at recovery; null when it fails its checksum (then reported).</summary>
    private async ValueTask<byte[]?> ReadAtRecovery(long i, CancellationToken token)
    {
        try
        {
            return await entries.ReadAsync(addresses.Read(i), token);
        }
        catch (CorruptRecordException e)
        {
            ReportCorruption(i, e.Address, e.Detail);
            return null;
        }
    }

    private async Task Run()
    {
        var reader = queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                if (fault is not null) break;
                var batch = new List<Submission>(Math.Min(maxBatch, reader.CanCount ? reader.Count : 64));
                while (batch.Count < maxBatch && reader.TryRead(out var s)) batch.Add(s);
                Metrics.QueueWait.Record(Stopwatch.GetElapsedTime(batch[0].Queued).TotalMilliseconds);
                Metrics.BatchSize.Record(batch.Count);
                var records = new byte[batch.Count][];
                var batchAddresses = new long[batch.Count];
                long committedAt;
                try
                {
                    // 1. Append every record of the batch; none is durable yet. A record the entry log refuses
                    //    (ArgumentException: larger than a page) was never appended, so the log is as if it had not
                    //    been submitted: it fails its own request, and the batch goes on without it. Only the records
                    //    kept here are committed, integrated and acknowledged below, in this order.
                    int kept = 0;
                    for (int i = 0; i < batch.Count; i++)
                    {
                        var s = batch[i];
                        long address;
                        try
                        {
                            address = entries.Enqueue(s.Record);
                        }
                        catch (ArgumentException e)
                        {
                            s.Done.TrySetException(new RecordRefusedException(e));
                            continue;
                        }
                        batch[kept] = s;
                        records[kept] = s.Record;
                        batchAddresses[kept++] = address;
                    }
                    if (kept < batch.Count)
                    {
                        batch.RemoveRange(kept, batch.Count - kept);
                        Array.Resize(ref records, kept);
                        Array.Resize(ref batchAddresses, kept);
                        if (kept == 0) continue;
                    }
                    // 2. One durable commit for the batch. A crash before it returns loses the batch, and nobody was told.
                    //    Any exception here is a storage failure: what part of the batch is on disk is unknown (Stop).
                    long committing = Stopwatch.GetTimestamp();
                    await entries.CommitAsync();
                    committedAt = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref commits);
                    Metrics.Commit.Record(Stopwatch.GetElapsedTime(committing, committedAt).TotalMilliseconds);
                }
                catch (Exception e)
                {
                    Stop(e, batch);
                    break;
                }
                await committed.Writer.WriteAsync(new Batch(batch, records, batchAddresses, committedAt));
            }
        }
        finally
        {
            // This loop is the queue's only reader, so after a storage failure it is the one to fail what is still queued.
            if (fault is { } e)
                while (reader.TryRead(out var s)) s.Done.TrySetException(new SequencerUnavailableException("storage failure", e));
            committed.Writer.TryComplete();
        }
    }

    private async Task Integrate()
    {
        var reader = committed.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var b))
            {
                if (fault is not null)
                {
                    Fail(b.Submissions, fault);
                    continue;
                }
                try
                {
                    // 3. Derive hashes, addresses, bundles and indexes; a crash from here on is repaired from the entry log at open.
                    Integrate(b.Records, b.Addresses);
                }
                catch (Exception e)
                {
                    Stop(e, b.Submissions);
                    continue;
                }
                // 4. Acknowledge: every index handed out here is durable.
                long first = Size - b.Submissions.Count;
                long now = Stopwatch.GetTimestamp();
                Metrics.Integrate.Record(Stopwatch.GetElapsedTime(b.Committed, now).TotalMilliseconds);
                for (int i = 0; i < b.Submissions.Count; i++)
                {
                    Metrics.Append.Record(Stopwatch.GetElapsedTime(b.Submissions[i].Queued, now).TotalMilliseconds);
                    b.Submissions[i].Done.TrySetResult(first + i);
                }
            }
        }
    }

    /// <summary>
    /// Derives a committed batch's hashes, addresses, bundle entries and index updates, then counts it as integrated.
    /// Called by the integrator, and at open by the replay of the entry log's tail. None of it is fsynced here: a
    /// crash loses at most what the next checkpoint's <see cref="FlushDerived"/> would have made durable, and open
    /// replays it from the entry log.
    /// </summary>
    private void Integrate(ReadOnlySpan<byte[]> records, ReadOnlySpan<long> recordAddresses)
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
        bundles.Append(records);
        for (int i = 0; i < records.Length; i++) indexer.Apply(n + i, records[i], leaves[i]);
        Volatile.Write(ref size, n + records.Length);
    }

    /// <summary>
    /// After a storage failure the entry log's state is unknown (a batch may be partly durable): stop taking writes
    /// rather than guess. Committed batches not yet acknowledged fail too; like any unacknowledged write, they may
    /// still be in the log after a restart.
    /// </summary>
    private void Stop(Exception e, List<Submission> batch)
    {
        if (Interlocked.CompareExchange(ref fault, e, null) is null)
        {
            logger.LogCritical(e, "Entry-log append failed; the log no longer accepts writes");
            faulted.TrySetResult();
        }
        Fail(batch, e);
        queue.Writer.TryComplete();
    }

    private static void Fail(List<Submission> batch, Exception e)
    {
        foreach (var s in batch) s.Done.TrySetException(new SequencerUnavailableException("storage failure", e));
    }

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
        var clock = Stopwatch.StartNew();
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

    /// <summary>
    /// Stops taking submissions and finishes the queued ones: each is committed, integrated and acknowledged (or
    /// failed). The storage stays open, so a final checkpoint can still be published over it.
    /// </summary>
    public async Task StopAsync()
    {
        queue.Writer.TryComplete();
        // Never opened: nothing reads the queue, so what waits in it is failed here.
        if (!running)
            while (queue.Reader.TryRead(out var s)) s.Done.TrySetException(new SequencerUnavailableException("the log is shutting down"));
        await loop;
        await integrator;
    }

    /// <summary>Stops (<see cref="StopAsync"/>), then closes the storage, once the background check has stopped.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        disposing.Cancel();
        try { await Verification.WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        try { await storage; } catch (Exception) when (!running) { } // failed to open: OpenAsync threw it already, or nobody opened
        bundles?.Dispose();
        entries?.Dispose();
        hashes?.Dispose();
        addresses?.Dispose();
        Metrics.Dispose();
    }

    private sealed class Submission(byte[] record)
    {
        public byte[] Record { get; } = record;

        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Queued { get; } = Stopwatch.GetTimestamp();
    }

    private sealed record Batch(List<Submission> Submissions, byte[][] Records, long[] Addresses, long Committed);
}

public sealed class SequencerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A record over the record-size cap, refused before it was queued.</summary>
public sealed class RecordTooLargeException(int size, int max)
    : Exception($"the log record of {size} bytes is over the limit of {max} bytes (Attest:Limits:MaxRecordBytes)");

/// <summary>A record the entry log refused (it cannot hold it); nothing of it was written, and the log goes on.</summary>
public sealed class RecordRefusedException(Exception inner) : Exception("the entry log cannot hold this record", inner);
