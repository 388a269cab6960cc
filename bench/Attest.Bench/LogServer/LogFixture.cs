using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.Bench.LogServer;

/// <summary>
/// A real <see cref="TransparencyLog"/> (FasterLog entry log, on-disk hash store) in a temporary
/// directory, with a sequencer and an <see cref="IEntryIndexer"/> that does nothing, built as
/// tests/LogServer.Tests/Log/SequencerTests.cs builds it.
/// </summary>
internal sealed class LogFixture : IAsyncDisposable
{
    private readonly string dir;

    public LogFixture(int maxBatch)
    {
        dir = Data.TempDirectory("attest-bench-log-");
        var (privateKey, _) = NoteSigner.Generate("bench.attest.local/log");
        if (!NoteSigner.TryParse(privateKey, out var signer)) throw new InvalidOperationException("generated key does not parse");
        Sequencer = new Sequencer(dir, new NoIndex(), NullLogger.Instance, maxBatch);
        Log = new TransparencyLog(dir, Sequencer, signer!, NullLogger.Instance);
        Log.OpenAsync().GetAwaiter().GetResult(); // a benchmark's setup is synchronous
    }

    public TransparencyLog Log { get; }

    public Sequencer Sequencer { get; }

    /// <summary>Appends <paramref name="count"/> records, <paramref name="concurrency"/> outstanding at a time.</summary>
    public async Task FillAsync(long count, byte[][] records, int concurrency)
    {
        var tasks = new Task<long>[concurrency];
        for (long done = 0; done < count;)
        {
            int n = (int)Math.Min(concurrency, count - done);
            for (int i = 0; i < n; i++) tasks[i] = Sequencer.AppendAsync(records[(done + i) % records.Length]);
            await Task.WhenAll(tasks.AsSpan(0, n).ToArray());
            done += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Log.Dispose();
        await Sequencer.DisposeAsync();
        Directory.Delete(dir, recursive: true);
    }

    private sealed class NoIndex : IEntryIndexer
    {
        public long AppliedUpTo => 0;

        public void Apply(long index, ReadOnlyMemory<byte> record, in Attest.Merkle.Hash leafHash) { }

        public Task Checkpoint(long appliedUpTo) => Task.CompletedTask;
    }
}
