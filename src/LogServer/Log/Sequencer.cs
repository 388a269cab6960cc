using System.Threading.Channels;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Log;

/// <summary>
/// The one writer of the entry log. Concurrent submissions queue up; the sequencer takes whatever is waiting (up
/// to <see cref="LogOptions.MaxBatch"/>), appends it, makes one durable commit for the whole batch, integrates it
/// (hashes, addresses, indexes), and only then tells each caller its log index.
/// </summary>
public sealed class Sequencer : IAsyncDisposable
{
    private readonly TransparencyLog log;
    private readonly int maxBatch;
    private readonly Channel<Submission> queue;
    private readonly Task loop;
    private readonly ILogger logger;
    private Exception? fault;
    private long commits;

    public Sequencer(TransparencyLog log, int maxBatch, ILogger logger)
    {
        this.log = log;
        this.maxBatch = maxBatch;
        this.logger = logger;
        queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(4 * maxBatch) { SingleReader = true });
        loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Durable commits made so far: with concurrent callers, far fewer than the records appended.</summary>
    public long Commits => Interlocked.Read(ref commits);

    /// <summary>
    /// Appends one record (see <see cref="LogRecord"/>) and returns its log index once it is durable and
    /// integrated. Throws <see cref="SequencerUnavailableException"/> when the log cannot take writes.
    /// </summary>
    public async Task<long> AppendAsync(byte[] record, CancellationToken token = default)
    {
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
        var batch = new List<Submission>(maxBatch);
        var records = new byte[maxBatch][];
        var addresses = new long[maxBatch];
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < maxBatch && reader.TryRead(out var s)) batch.Add(s);
            try
            {
                // 1. Append every record of the batch; none is durable yet.
                for (int i = 0; i < batch.Count; i++)
                {
                    records[i] = batch[i].Record;
                    addresses[i] = log.Entries.Enqueue(records[i]);
                }
                // 2. One durable commit for the batch. A crash before it returns loses the batch, and nobody was told.
                await log.Entries.CommitAsync();
                Interlocked.Increment(ref commits);
                // 3. Derive hashes, addresses and indexes; a crash from here on is repaired from the entry log at start.
                log.Integrate(records.AsSpan(0, batch.Count), addresses.AsSpan(0, batch.Count));
            }
            catch (Exception e)
            {
                // The entry log's state is unknown (the batch may be partly durable): stop taking writes rather than guess.
                fault = e;
                logger.LogCritical(e, "Entry-log append failed; the log no longer accepts writes");
                foreach (var s in batch) s.Done.TrySetException(new SequencerUnavailableException("storage failure", e));
                queue.Writer.TryComplete();
                while (reader.TryRead(out var s)) s.Done.TrySetException(new SequencerUnavailableException("storage failure", e));
                return;
            }
            // 4. Acknowledge: every index handed out here is durable.
            long first = log.Size - batch.Count;
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(first + i);
            Array.Clear(records, 0, batch.Count);
        }
    }

    /// <summary>Stops taking submissions and finishes the queued ones.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop;
    }

    private sealed class Submission(byte[] record)
    {
        public byte[] Record { get; } = record;

        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

public sealed class SequencerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
