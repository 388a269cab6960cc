using Attest.LogServer.Storage;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.LogServer;

/// <summary>
/// What <c>GET /tile/…</c> reads (src/Merkle/Tile.cs over src/LogServer/Storage/HashStore.cs): a full level-0 hash
/// tile (256 hashes, 8 KiB) at a random position of a log of <see cref="LogSize"/> 300-byte entries, from the
/// on-disk hash store, and a level-1 tile. Warm page cache.
/// </summary>
[MemoryDiagnoser]
public class TileBenchmarks
{
    public const int LogSize = 1 << 20;
    private LogFixture fixture = null!;
    private Tile[] level0 = [];
    private Tile level1;
    private int next;

    [GlobalSetup]
    public void Setup()
    {
        fixture = new LogFixture(8192);
        var records = Data.Entries(8192).Select(e => LogRecord.Encode(e, default)).ToArray();
        fixture.FillAsync(LogSize, records, 8192).GetAwaiter().GetResult();
        fixture.Log.PublishAsync().GetAwaiter().GetResult();
        level0 = [.. Data.Indexes(1024, LogSize / 256).Select(n => Tile.ForStoredHashIndex(StoredHashes.StoredHashIndex(0, n * 256 + 255)))];
        level1 = Tile.ForStoredHashIndex(StoredHashes.StoredHashIndex(8, 255));
        if (level0[0].Width != 256 || level1.Level != 1) throw new InvalidOperationException($"unexpected tiles {level0[0]} {level1}");
    }

    [GlobalCleanup]
    public void Cleanup() => fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public byte[] ReadLevel0() => Tile.ReadTileData(level0[next++ & 1023], fixture.Log.Hashes);

    [Benchmark]
    public byte[] ReadLevel1() => Tile.ReadTileData(level1, fixture.Log.Hashes);
}
