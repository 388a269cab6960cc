using System.Text;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Attest.LogServer.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.LogServer.Tests.Storage;

/// <summary>
/// Entry bundles (<c>/tile/entries/…</c>) come from the entry tile store, so serving 256 public entries never loads the
/// 256 records with their private bytes; the store is derived state that survives a SIGKILL and is rebuilt when missing.
/// </summary>
public sealed class TileStoreTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("attest-tiles-").FullName;
    private readonly string key;

    public TileStoreTests() => key = NoteSigner.Generate("tiles.test/log").PrivateKey;

    /// <summary>The log and its sequencer, opened on the test's directory; disposed, it closes both.</summary>
    private sealed class OpenLog(TransparencyLog log, Sequencer sequencer) : IAsyncDisposable
    {
        public TransparencyLog Log => log;

        public Sequencer Sequencer => sequencer;

        public long RecordReads => log.RecordReads;

        public EntryTileStore EntryTiles => (EntryTileStore)log.EntryTiles;

        public async ValueTask DisposeAsync()
        {
            log.Dispose();
            await sequencer.DisposeAsync();
        }
    }

    private async Task<OpenLog> Open()
    {
        NoteSigner.TryParse(key, out var signer);
        var sequencer = new Sequencer(dir, new NoIndex(), NullLogger.Instance, 64);
        var log = new TransparencyLog(dir, sequencer, signer!, NullLogger.Instance);
        await log.OpenAsync();
        return new OpenLog(log, sequencer);
    }

    private static byte[] Entry(int i) => Encoding.UTF8.GetBytes($"{{\"entry\":{i}}}");

    /// <summary>Appends <paramref name="count"/> records, each with 64 KB of private bytes behind its small public entry.</summary>
    private static async Task Fill(OpenLog log, int from, int count)
    {
        var secret = new byte[64 * 1024];
        Array.Fill(secret, (byte)'s');
        for (int i = from; i < from + count; i++) await log.Sequencer.AppendAsync(LogRecord.Encode(Entry(i), secret));
        await log.Log.PublishAsync();
    }

    private static async Task AssertBundle(OpenLog log, long n, int width)
    {
        var entries = new List<byte[]>();
        Assert.True(EntryBundle.TryParse(await log.EntryTiles.ReadAsync(n, width, default), width, entries));
        for (int i = 0; i < width; i++) Assert.Equal(Entry((int)(n * 256) + i), entries[i]);
    }

    [Fact]
    public async Task serving_full_and_partial_entry_tiles_reads_no_record_before_or_after_a_restart()
    {
        await using (var log = await Open())
        {
            await Fill(log, 0, 600);
            long before = log.RecordReads;
            await AssertBundle(log, 0, 256);
            await AssertBundle(log, 1, 256);
            await AssertBundle(log, 1, 17);
            await AssertBundle(log, 2, 88);
            Assert.Equal(before, log.RecordReads);
        }
        // Closed: the full bundles were written by the background writer.
        Assert.True(File.Exists(Path.Combine(dir, "tiles", "entries", "000")));
        Assert.True(File.Exists(Path.Combine(dir, "tiles", "entries", "001")));

        await using (var log = await Open())
        {
            Assert.Equal(600, log.Log.Latest.Size);
            await AssertBundle(log, 0, 256);
            await AssertBundle(log, 1, 3);
            await AssertBundle(log, 2, 88);
            Assert.Equal(0, log.RecordReads);
            Assert.Equal(0, log.EntryTiles.Rebuilt);
            await Fill(log, 600, 200); // the refilled partial bundle completes, and the next one starts
            await AssertBundle(log, 2, 256);
            await AssertBundle(log, 3, 32);
            Assert.Equal(0, log.RecordReads);
        }
    }

    [Fact]
    public async Task fetching_entry_tiles_over_http_reads_no_record_though_each_holds_64_kb_of_private_bytes()
    {
        await using var log = await Open();
        await Fill(log, 0, 300);
        // The log API's own routes over HTTP (an in-memory server), so that the log's record counter can be read.
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(log.Log);
        builder.Services.AddSingleton<Service.ProofService>(_ => throw new NotSupportedException("not used by tiles"));
        builder.Services.AddPublicCors();
        builder.Services.AddPublicRateLimits(new RateLimitOptions());
        await using var app = builder.Build();
        app.UseCors();
        app.MapLogApi();
        await app.StartAsync();
        var client = app.GetTestClient();

        long before = log.RecordReads;
        for (int round = 0; round < 3; round++)
        {
            var entries = new List<byte[]>();
            Assert.True(EntryBundle.TryParse(await client.GetByteArrayAsync("tile/entries/000"), 256, entries));
            Assert.True(EntryBundle.TryParse(await client.GetByteArrayAsync("tile/entries/001.p/44"), 44, entries));
            Assert.Equal(Enumerable.Range(0, 300).Select(Entry), entries);
        }
        Assert.Equal(before, log.RecordReads);
        await app.StopAsync();
    }

    [Fact]
    public async Task a_missing_bundle_file_is_rebuilt_from_the_records_once()
    {
        await using (var log = await Open()) await Fill(log, 0, 300);
        File.Delete(Path.Combine(dir, "tiles", "entries", "000")); // as in a data directory from before the tile store

        await using var reopened = await Open();
        await AssertBundle(reopened, 0, 256);
        Assert.Equal(256, reopened.RecordReads);
        Assert.Equal(1, reopened.EntryTiles.Rebuilt);
        await AssertBundle(reopened, 0, 100);
        Assert.Equal(256, reopened.RecordReads);
        Assert.True(File.Exists(Path.Combine(dir, "tiles", "entries", "000")));
    }

    [Fact]
    public async Task a_servers_entry_tiles_rebuild_the_signed_root_after_a_sigkill_and_without_a_tile_store()
    {
        string data = ServerProcess.NewDataDir();
        byte[][] first;
        long size;
        await using (var server = await ServerProcess.Start(data))
        {
            await Parallel.ForAsync(0, 300, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) => await server.Client.Stamp($"tiled {i}"));
            size = (await server.Client.CheckpointCovering(300)).Checkpoint.Size;
            first = await Bundles(server.Client, size);
            server.Kill();
        }
        await using (var server = await ServerProcess.Start(data))
        {
            Assert.Equal(first, await Bundles(server.Client, size));
            await server.Stop();
        }
        Directory.Delete(Path.Combine(data, "tiles"), recursive: true);
        await using (var server = await ServerProcess.Start(data))
        {
            Assert.Equal(first, await Bundles(server.Client, size));
        }
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task a_bundle_file_flipped_or_truncated_on_disk_is_found_on_its_first_read_and_rebuilt_once()
    {
        await using (var log = await Open()) await Fill(log, 0, 600);
        string first = Path.Combine(dir, "tiles", "entries", "000"), second = Path.Combine(dir, "tiles", "entries", "001");
        var bytes = File.ReadAllBytes(first);
        bytes[bytes.Length / 2] ^= 0x01; // inside an entry: the framing still parses, only the hash tells
        File.WriteAllBytes(first, bytes);
        File.WriteAllBytes(second, File.ReadAllBytes(second)[..1000]); // as torn by a crash before write-back

        await using var reopened = await Open();
        await AssertBundle(reopened, 0, 256);
        await AssertBundle(reopened, 1, 256);
        await AssertBundle(reopened, 1, 10);
        Assert.Equal(2, reopened.EntryTiles.Corrupt);
        Assert.Equal(2, reopened.EntryTiles.Rebuilt);
        Assert.Equal(512, reopened.RecordReads);
        // Rewritten whole, and each file is checked once per process: the next reads neither hash nor rebuild.
        await AssertBundle(reopened, 0, 256);
        await AssertBundle(reopened, 1, 200);
        Assert.Equal(512, reopened.RecordReads);
        Assert.NotEqual(bytes, File.ReadAllBytes(first));
        Assert.Equal(await reopened.EntryTiles.ReadAsync(1, 256, default), File.ReadAllBytes(second));
    }

    [Fact]
    public async Task a_servers_entry_tile_corrupted_on_disk_while_it_was_stopped_is_served_as_the_signed_entries()
    {
        string data = ServerProcess.NewDataDir();
        byte[][] before;
        long size;
        await using (var server = await ServerProcess.Start(data))
        {
            await Parallel.ForAsync(0, 520, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) => await server.Client.Stamp($"tiled {i}"));
            size = (await server.Client.CheckpointCovering(520)).Checkpoint.Size;
            before = await Bundles(server.Client, size);
            await server.Stop();
        }
        string first = Path.Combine(data, "tiles", "entries", "000"), second = Path.Combine(data, "tiles", "entries", "001");
        var flipped = File.ReadAllBytes(first);
        flipped[flipped.Length - 7] ^= 0x20;
        File.WriteAllBytes(first, flipped);
        File.WriteAllBytes(second, File.ReadAllBytes(second)[..(File.ReadAllBytes(second).Length / 3)]);

        await using (var server = await ServerProcess.Start(data))
        {
            // Bundles checks every entry against the signed root through the hash tiles, so a served flipped byte fails it.
            Assert.Equal(before, await Bundles(server.Client, size));
            Assert.Equal(before[0], File.ReadAllBytes(first));
            Assert.Equal(before[1], File.ReadAllBytes(second));
            Assert.Contains("torn or corrupt", server.Output);
        }
        Directory.Delete(data, recursive: true);
    }

    /// <summary>Holds the writer thread in its error log line until released, as a disk that stopped answering would.</summary>
    private sealed class StuckWriterLogger : ILogger
    {
        public readonly ManualResetEventSlim Stuck = new(), Release = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Error) return;
            Stuck.Set();
            Release.Wait();
        }
    }

    [Fact]
    public async Task a_writer_that_falls_behind_never_blocks_the_integrator_and_holds_at_most_32_bundles_the_dropped_ones_rebuilt_when_asked_for()
    {
        string store = Path.Combine(dir, "store");
        Directory.CreateDirectory(Path.Combine(store, "000", "in-the-way")); // bundle 0's rename fails, and its error log line never returns
        var records = Enumerable.Range(0, 100 * 256).Select(i => LogRecord.Encode(Entry(i), "private"u8)).ToArray();
        var hashes = new MemoryHashStore();
        foreach (var r in records) hashes.Append(LogRecord.Entry(r));
        long reads = 0;
        var logger = new StuckWriterLogger();
        var tiles = new EntryTileStore(store, (i, _) => { Interlocked.Increment(ref reads); return ValueTask.FromResult(records[i]); }, hashes, logger);
        try
        {
            tiles.Append(records.AsSpan(0, 256));
            Assert.True(logger.Stuck.Wait(TimeSpan.FromMinutes(1)), "the writer never took bundle 0");
            // 99 more bundles while the writer is stuck: each Append returns, and only the newest 32 wait for the writer.
            await Task.Run(() => { for (int n = 1; n < 100; n++) tiles.Append(records.AsSpan(n * 256, 256)); }).WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(32, EntryTileStore.MaxPending);
            Assert.Equal(99 - 32, tiles.Dropped);

            var entries = new List<byte[]>();
            Assert.True(EntryBundle.TryParse(await tiles.ReadAsync(99, 256, default), 256, entries)); // waiting: from memory
            Assert.Equal(0, Interlocked.Read(ref reads));
            Assert.True(EntryBundle.TryParse(await tiles.ReadAsync(1, 256, default), 256, entries)); // dropped: rebuilt
            Assert.Equal(256, Interlocked.Read(ref reads));
            Assert.Equal(Enumerable.Range(99 * 256, 256).Concat(Enumerable.Range(256, 256)).Select(Entry), entries);
        }
        finally
        {
            logger.Release.Set();
            tiles.Dispose();
        }
        Assert.True(File.Exists(Path.Combine(store, "001")));
        Assert.All(Enumerable.Range(2, 66), n => Assert.False(File.Exists(Path.Combine(store, $"{n:000}"))));
        Assert.All(Enumerable.Range(68, 32), n => Assert.True(File.Exists(Path.Combine(store, $"{n:000}"))));
    }

    /// <summary>Every entry bundle of a tree size, each checked against the signed root through the hash tiles.</summary>
    private static async Task<byte[][]> Bundles(HttpClient client, long size)
    {
        var (cp, _) = await client.Checkpoint();
        var tiles = new TileHashReader(cp.Size, cp.Root, t => client.GetByteArrayAsync(t.Path).GetAwaiter().GetResult());
        var bundles = new List<byte[]>();
        var leaves = new Hash[1];
        for (long n = 0; n * 256 < size; n++)
        {
            int width = (int)Math.Min(256, size - n * 256);
            var bundle = await client.GetByteArrayAsync(new Tile(-1, n, width).Path);
            var entries = new List<byte[]>();
            Assert.True(EntryBundle.TryParse(bundle, width, entries));
            for (int i = 0; i < width; i++)
            {
                tiles.ReadHashes([StoredHashes.StoredHashIndex(0, n * 256 + i)], leaves);
                Assert.Equal(Rfc6962.HashLeaf(entries[i]), leaves[0]);
            }
            bundles.Add(bundle);
        }
        return [.. bundles];
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
