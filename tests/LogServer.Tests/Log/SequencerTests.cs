using System.Text;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.LogServer.Tests.Log;

/// <summary>The sequencer and log in process, on the real FASTER store in a temporary directory.</summary>
public sealed class SequencerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("attest-seq-").FullName;

    private async Task<(TransparencyLog Log, Sequencer Sequencer)> Open(int maxBatch)
    {
        var (key, _) = NoteSigner.Generate("seq.test/log");
        File.WriteAllText(Path.Combine(dir, "key"), key);
        NoteSigner.TryParse(File.ReadAllText(Path.Combine(dir, "key")), out var signer);
        var sequencer = new Sequencer(dir, new NoIndex(), NullLogger.Instance, maxBatch);
        var log = new TransparencyLog(dir, sequencer, signer!, NullLogger.Instance);
        await log.OpenAsync();
        return (log, sequencer);
    }

    [Fact]
    public async Task concurrent_appends_share_durable_commits_and_get_distinct_consecutive_indexes()
    {
        var (log, sequencer) = await Open(512);
        await using var _ = sequencer;
        var entries = Enumerable.Range(0, 5000).Select(i => Encoding.UTF8.GetBytes($"entry {i}")).ToArray();
        var indexes = await Task.WhenAll(entries.Select(e => Task.Run(() => sequencer.AppendAsync(LogRecord.Encode(e, default)))));

        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (long)i), indexes.Order());
        Assert.True(sequencer.Commits < 5000 / 2, $"{sequencer.Commits} commits for 5000 concurrent appends: no group commit");
        // Each caller's index holds its own entry, and the published root is the RFC 6962 root of the entries in index order.
        var byIndex = new byte[5000][];
        for (int i = 0; i < 5000; i++) byIndex[indexes[i]] = entries[i];
        for (int i = 0; i < 5000; i += 499)
            Assert.Equal(byIndex[i], LogRecord.Entry(await log.ReadRecordAsync(i)).ToArray());
        var memory = new MemoryHashStore();
        foreach (var e in byIndex) memory.Append(e);
        Assert.Equal(StoredHashes.TreeHash(5000, memory), (await log.PublishAsync()).Checkpoint.Root);
        log.Dispose();
    }

    [Fact]
    public async Task the_write_path_reports_every_append_and_every_commit_as_metrics()
    {
        var (log, sequencer) = await Open(64);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<double>>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            // Only this sequencer's meter: other tests' sequencers run in parallel in this process.
            InstrumentPublished = (instrument, l) => { if (instrument.Meter == sequencer.Metrics.Meter) l.EnableMeasurementEvents(instrument); },
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen.GetOrAdd(i.Name, _ => []).Add(v));
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => seen.GetOrAdd(i.Name, _ => []).Add(v));
        listener.Start();

        await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(() => sequencer.AppendAsync(LogRecord.Encode(Encoding.UTF8.GetBytes($"m{i}"), default)))));
        await sequencer.DisposeAsync();

        Assert.Equal(1000, seen["attest.log.append.duration"].Count);
        Assert.Equal(1000, seen["attest.log.batch.size"].Sum());
        foreach (var perBatch in new[] { "attest.log.batch.size", "attest.log.queue.duration", "attest.log.commit.duration", "attest.log.integrate.duration" })
            Assert.Equal(sequencer.Commits, seen[perBatch].Count);
        Assert.All(seen.Values.SelectMany(v => v), v => Assert.True(v >= 0));
        // Every append waited for its batch's commit, so none is shorter than the shortest commit.
        Assert.True(seen["attest.log.append.duration"].Min() >= seen["attest.log.commit.duration"].Min());
        log.Dispose();
    }

    [Fact]
    public async Task entries_longer_than_an_entry_bundle_can_hold_are_refused()
    {
        Assert.Throws<ArgumentException>(() => LogRecord.Encode(new byte[65536], default));
        var (log, sequencer) = await Open(16);
        await using (sequencer)
            await sequencer.AppendAsync(LogRecord.Encode(new byte[65535], default));
        Assert.Equal(1, log.Size);
        log.Dispose();
    }

    [Fact]
    public async Task the_log_is_unavailable_and_an_append_waits_until_the_log_is_open()
    {
        var (key, _) = NoteSigner.Generate("seq.test/log");
        NoteSigner.TryParse(key, out var signer);
        await using var sequencer = new Sequencer(dir, new NoIndex(), NullLogger.Instance, 16);
        using var log = new TransparencyLog(dir, sequencer, signer!, NullLogger.Instance);
        Assert.False(log.IsOpen);
        Assert.Equal("opening", LogServer.Api.HealthApi.Unavailable(log, sequencer)?.Reason);
        var early = sequencer.AppendAsync(LogRecord.Encode("early"u8, default));
        await Task.Delay(50);
        Assert.False(early.IsCompleted);

        await log.OpenAsync();
        Assert.True(log.IsOpen);
        Assert.Null(LogServer.Api.HealthApi.Unavailable(log, sequencer));
        Assert.Equal(0, await early);
        Assert.Equal(1, (await log.PublishAsync()).Size);
    }

    public void Dispose() => Directory.Delete(dir, true);
}
