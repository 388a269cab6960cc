using Attest.LogServer.Storage;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.LogServer;

/// <summary>
/// src/LogServer/Storage/HashStore.cs: inclusion proofs for random indexes from the on-disk hash store of a real
/// log filled (through the sequencer) with <see cref="LogSize"/> records of 300-byte entries:
/// <c>InclusionProof.Prove(i, log.Size, log.Hashes)</c>. The hash file (about 64 MB) is in the page cache, so this is
/// the warm case. Each call takes the next of 4096 pre-drawn random indexes.
/// </summary>
[MemoryDiagnoser]
public class HashStoreBenchmarks
{
    public const int LogSize = 1_000_000;
    private const int Samples = 4096; // a power of two

    private LogFixture fixture = null!;
    private long[] indexes = [];
    private long size;
    private IHashReader hashes = null!;
    private int next;

    [GlobalSetup]
    public void Setup()
    {
        fixture = new LogFixture(8192);
        var records = Data.Entries(8192).Select(e => LogRecord.Encode(e, default)).ToArray();
        fixture.FillAsync(LogSize, records, 8192).GetAwaiter().GetResult();
        fixture.Log.PublishAsync().GetAwaiter().GetResult(); // fsyncs the hash file, as a served checkpoint would
        size = fixture.Log.Size;
        if (size != LogSize) throw new InvalidOperationException($"log holds {size} entries, not {LogSize}");
        hashes = fixture.Log.Hashes;
        indexes = Data.Indexes(Samples, size);
        // Printed in the benchmark's log: each stored hash a proof reads is one read of the hash file.
        var counter = new CountingReader(hashes);
        foreach (var i in indexes) InclusionProof.Prove(i, size, counter);
        Console.WriteLine($"// hash store: {(double)counter.Hashes / Samples:F1} stored hashes read per proof on average, {hashes.GetType().Name}");
    }

    private sealed class CountingReader(IHashReader inner) : IHashReader
    {
        public long Hashes { get; private set; }

        public void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> hashes)
        {
            Hashes += indexes.Length;
            inner.ReadHashes(indexes, hashes);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public Hash[] Prove()
    {
        int s = next++ & (Samples - 1);
        return InclusionProof.Prove(indexes[s], size, hashes);
    }
}
