using Attest.LogServer.Storage;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.LogServer;

/// <summary>
/// src/LogServer/Log/Sequencer.cs: durable appends of pre-encoded records (<c>LogRecord.Encode(entry, default)</c>
/// of 300-byte entries) through <see cref="Attest.LogServer.Log.Sequencer.AppendAsync"/> on a real log. One
/// invocation starts <see cref="SmallBatch"/> or <see cref="LargeBatch"/> concurrent appends and waits for all their
/// acknowledgements (each is durable and integrated: hashes, addresses and the no-op indexer); figures are per
/// append. The sequencer's MaxBatch is the server default, 8192, so the batches it forms are bounded by what is
/// waiting, not by the limit. Compare with <see cref="Baselines.FasterLogBaseline"/> at the same batch size.
/// </summary>
[MemoryDiagnoser]
public class SequencerBenchmarks
{
    public const int SmallBatch = 256;
    public const int LargeBatch = 4096;
    private const int MaxBatch = 8192; // Attest:Log:MaxBatch default

    private LogFixture fixture = null!;
    private byte[][] records = [];
    private readonly Task<long>[] small = new Task<long>[SmallBatch];
    private readonly Task<long>[] large = new Task<long>[LargeBatch];
    private long appends;

    [GlobalSetup]
    public void Setup()
    {
        fixture = new LogFixture(MaxBatch);
        records = [.. Data.Entries(LargeBatch).Select(e => LogRecord.Encode(e, default))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Printed in the benchmark's log: how well concurrent callers shared durable commits.
        long commits = fixture.Sequencer.Commits;
        Console.WriteLine($"// sequencer: {appends} appends in {commits} durable commits, {(double)appends / Math.Max(1, commits):F1} records per commit; log size {fixture.Log.Size}");
        fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = SmallBatch)]
    public Task Append_256() => Append(small);

    [Benchmark(OperationsPerInvoke = LargeBatch)]
    public Task Append_4096() => Append(large);

    private Task Append(Task<long>[] tasks)
    {
        var sequencer = fixture.Sequencer;
        for (int i = 0; i < tasks.Length; i++) tasks[i] = sequencer.AppendAsync(records[i]);
        appends += tasks.Length;
        return Task.WhenAll(tasks);
    }
}
