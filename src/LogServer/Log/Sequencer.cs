using System.Diagnostics;
using System.Threading.Channels;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Log;

/// <summary>
/// The one writer of the entry log. Concurrent submissions queue up; the sequencer takes whatever is waiting (up
/// to <see cref="LogOptions.MaxBatch"/>), appends it, makes one durable commit for the whole batch, integrates it
/// (hashes, addresses, indexes), and only then tells each caller its log index.
/// </summary>
/// <remarks>
/// Two stages, so the disk and the CPU work at once: the commit loop appends and commits batch k+1 while the
/// integrator hashes and indexes batch k. Batches are integrated and acknowledged in commit order, and a batch is
/// only handed to the integrator once its commit returned, so every acknowledged index is still durable.
/// </remarks>
public sealed class Sequencer : IAsyncDisposable
{
    private readonly TransparencyLog log;
    private readonly int maxBatch;
    private readonly Channel<Submission> queue;
    private readonly Channel<Batch> committed = Channel.CreateBounded<Batch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
    private readonly Task loop, integrator;
    private readonly ILogger logger;
    private readonly int maxRecordBytes;
    private readonly TaskCompletionSource faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? fault;
    private long commits;

    /// <summary>The default of <see cref="Api.LimitOptions.MaxRecordBytes"/>.</summary>
    public const int DefaultMaxRecordBytes = 256 * 1024;

    /// <param name="maxRecordBytes">Larger records are refused by <see cref="AppendAsync"/> before they are queued.</param>
    public Sequencer(TransparencyLog log, int maxBatch, ILogger logger, int maxRecordBytes = DefaultMaxRecordBytes)
    {
        this.log = log;
        this.maxBatch = maxBatch;
        this.logger = logger;
        this.maxRecordBytes = maxRecordBytes;
        queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(4 * maxBatch) { SingleReader = true });
        loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning).Unwrap();
        integrator = Task.Factory.StartNew(Integrate, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>The write path's timings (<see cref="LogMetrics"/>).</summary>
    public LogMetrics Metrics { get; } = new();

    /// <summary>Durable commits made so far: with concurrent callers, far fewer than the records appended.</summary>
    public long Commits => Interlocked.Read(ref commits);

    /// <summary>The storage failure that stopped the log taking writes, or null while it takes them.</summary>
    public Exception? Fault => Volatile.Read(ref fault);

    /// <summary>
    /// What <see cref="Fault"/> means, fit to show any client (readiness, health): the kind of failure, without its
    /// message or stack, which may name paths of the data directory. The server log has the whole exception.
    /// </summary>
    public string? FaultReason => Fault is { } e ? $"the entry log's storage failed ({e.GetType().Name}); the log accepts no writes until it is restarted" : null;

    /// <summary>Completes when the log stops taking writes after a storage failure (never on a clean shutdown).</summary>
    public Task Faulted => faulted.Task;

    /// <summary>
    /// Appends one record (see <see cref="LogRecord"/>) and returns its log index once it is durable and
    /// integrated. Throws <see cref="SequencerUnavailableException"/> when the log cannot take writes.
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
                var addresses = new long[batch.Count];
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
                            address = log.Entries.Enqueue(s.Record);
                        }
                        catch (ArgumentException e)
                        {
                            s.Done.TrySetException(new RecordRefusedException(e));
                            continue;
                        }
                        batch[kept] = s;
                        records[kept] = s.Record;
                        addresses[kept++] = address;
                    }
                    if (kept < batch.Count)
                    {
                        batch.RemoveRange(kept, batch.Count - kept);
                        Array.Resize(ref records, kept);
                        Array.Resize(ref addresses, kept);
                        if (kept == 0) continue;
                    }
                    // 2. One durable commit for the batch. A crash before it returns loses the batch, and nobody was told.
                    //    Any exception here is a storage failure: what part of the batch is on disk is unknown (Stop).
                    long committing = Stopwatch.GetTimestamp();
                    await log.Entries.CommitAsync();
                    committedAt = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref commits);
                    Metrics.Commit.Record(Stopwatch.GetElapsedTime(committing, committedAt).TotalMilliseconds);
                }
                catch (Exception e)
                {
                    Stop(e, batch);
                    break;
                }
                await committed.Writer.WriteAsync(new Batch(batch, records, addresses, committedAt));
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
                    // 3. Derive hashes, addresses and indexes; a crash from here on is repaired from the entry log at start.
                    log.Integrate(b.Records, b.Addresses);
                }
                catch (Exception e)
                {
                    Stop(e, b.Submissions);
                    continue;
                }
                // 4. Acknowledge: every index handed out here is durable.
                long first = log.Size - b.Submissions.Count;
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

    /// <summary>Stops taking submissions and finishes the queued ones.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop;
        await integrator;
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
