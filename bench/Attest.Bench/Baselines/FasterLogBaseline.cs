using Attest.LogServer.Storage;
using BenchmarkDotNet.Attributes;
using FASTER.core;

namespace Attest.Bench.Baselines;

/// <summary>
/// The durability bound: FASTER's <see cref="FasterLog"/> used directly, on a log device in a temporary directory,
/// with the settings of src/LogServer/Storage/EntryLog.cs. One invocation enqueues a batch of records, each the
/// 302-byte <see cref="LogRecord"/> of a 300-byte entry (exactly what the sequencer enqueues), then makes one
/// <see cref="FasterLog.CommitAsync"/>. Batch sizes match <see cref="LogServer.SequencerBenchmarks"/>; figures are
/// per record.
/// </summary>
[MemoryDiagnoser]
public class FasterLogBaseline
{
    public const int SmallBatch = LogServer.SequencerBenchmarks.SmallBatch;
    public const int LargeBatch = LogServer.SequencerBenchmarks.LargeBatch;

    private string dir = "";
    private IDevice device = null!;
    private FasterLog log = null!;
    private byte[][] records = [];

    [GlobalSetup]
    public void Setup()
    {
        dir = Data.TempDirectory("attest-bench-fasterlog-");
        device = Devices.CreateLogDevice(Path.Combine(dir, "entries.log"), preallocateFile: false, recoverDevice: true);
        log = new FasterLog(new FasterLogSettings
        {
            LogDevice = device,
            LogCommitDir = dir,
            PageSizeBits = 22,
            MemorySizeBits = 26,
            SegmentSizeBits = 30,
            RemoveOutdatedCommits = true,
            TryRecoverLatest = true,
            AutoRefreshSafeTailAddress = false,
        });
        records = [.. Data.Entries(LargeBatch).Select(e => LogRecord.Encode(e, default))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        log.Dispose();
        device.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = SmallBatch)]
    public ValueTask AppendCommit_256() => AppendCommit(SmallBatch);

    [Benchmark(OperationsPerInvoke = LargeBatch)]
    public ValueTask AppendCommit_4096() => AppendCommit(LargeBatch);

    private async ValueTask AppendCommit(int batch)
    {
        for (int i = 0; i < batch; i++) log.Enqueue(records[i]);
        await log.CommitAsync();
    }
}
