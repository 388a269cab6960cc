using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Log;

/// <summary>Real server processes killed and restarted: acknowledged means durable, checkpoints stay consistent.</summary>
public sealed class CrashRecoveryTests
{
    private sealed record Ack(long Index, string Id, string Entry);

    /// <summary>Appends stamps from many clients until cancelled, recording only what the server acknowledged.</summary>
    private sealed class Appending
    {
        private readonly ConcurrentBag<Ack> acks = [];
        private readonly CancellationTokenSource stop = new();
        private readonly Task clients;

        public Appending(ServerProcess server, int clients = 16) =>
            this.clients = Task.WhenAll(Enumerable.Range(0, clients).Select(c => Client(server, c)));

        /// <summary>
        /// Waits for <paramref name="more"/> acknowledgements beyond those so far, so that a kill lands in the middle of
        /// appends however slow the machine is (a fixed delay gives few appends on a loaded machine).
        /// </summary>
        public async Task Acknowledged(int more)
        {
            int target = acks.Count + more;
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (acks.Count < target)
            {
                if (clients.IsCompleted) throw new InvalidOperationException($"the clients stopped after {acks.Count} acknowledged appends");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {acks.Count} of {target} appends acknowledged in 2 minutes");
                await Task.Delay(10);
            }
        }

        /// <summary>Stops the clients (after the server was killed) and returns what was acknowledged.</summary>
        public async Task<List<Ack>> Stop()
        {
            stop.Cancel();
            await clients;
            return [.. acks];
        }

        private async Task Client(ServerProcess server, int c)
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var (status, body) = await client.Post("v1/stamps", new { content = $"client {c} entry {i} {Guid.NewGuid()}" });
                    if (status == HttpStatusCode.Created)
                        acks.Add(new Ack(body.GetProperty("log_index").GetInt64(), body.GetProperty("id").GetString()!, body.GetProperty("entry").GetString()!));
                }
                catch (HttpRequestException)
                {
                    return; // the connection died with the (killed) server: that request was never acknowledged
                }
            }
        }
    }

    private static async Task AssertAllPresent(HttpClient client, IEnumerable<Ack> acks, Checkpoint cp)
    {
        var tiles = new TileHashReader(cp.Size, cp.Root, t => client.GetByteArrayAsync(t.Path).GetAwaiter().GetResult());
        var leaf = new Hash[1];
        foreach (var ack in acks)
        {
            Assert.True(ack.Index < cp.Size, $"acknowledged index {ack.Index} is beyond the recovered checkpoint {cp.Size}");
            tiles.ReadHashes([StoredHashes.StoredHashIndex(0, ack.Index)], leaf);
            Assert.Equal(Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(ack.Entry)), leaf[0]);
            var (status, stamp) = await client.Get($"v1/stamps/{ack.Id}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(ack.Index, stamp.GetProperty("log_index").GetInt64());
        }
    }

    private static async Task AssertStampCount(HttpClient client, string content, long count)
    {
        var (_, v) = await client.Post("v1/verify", new { content }, key: null);
        Assert.Equal(count, v.GetProperty("total_stamps_of_this_hash").GetInt64());
    }

    private static async Task AssertConsistent(HttpClient client, Checkpoint older, Checkpoint newer)
    {
        Assert.True(newer.Size >= older.Size, $"checkpoint went backwards: {older.Size} then {newer.Size}");
        if (older.Size == 0) return;
        if (older.Size == newer.Size)
        {
            Assert.Equal(older.Root, newer.Root);
            return;
        }
        var (_, body) = await client.Get($"v1/log/proofs/consistency?first={older.Size}&second={newer.Size}", key: null);
        Assert.True(ConsistencyProof.Verify(older.Size, newer.Size, body.GetProperty("proof").Hashes(), older.Root, newer.Root));
    }

    [Fact]
    public async Task every_acknowledged_entry_survives_sigkill_during_concurrent_appends()
    {
        string dir = ServerProcess.NewDataDir();
        Checkpoint beforeKill;
        List<Ack> acks;
        await using (var server = await ServerProcess.Start(dir))
        {
            for (int i = 0; i < 50; i++) await server.Client.Stamp($"warm-up {i}");
            var appending = new Appending(server);
            await appending.Acknowledged(300);
            beforeKill = (await server.Client.Checkpoint()).Checkpoint;
            await appending.Acknowledged(100);
            server.Kill();
            acks = await appending.Stop();
        }
        Assert.Equal(acks.Count, acks.Select(a => a.Index).Distinct().Count());

        await using (var restarted = await ServerProcess.Start(dir))
        {
            var (after, _) = await restarted.Client.Checkpoint();
            // At start the server publishes a checkpoint covering the whole durable log.
            Assert.True(after.Size >= acks.Max(a => a.Index) + 1);
            await AssertConsistent(restarted.Client, beforeKill, after);
            await AssertAllPresent(restarted.Client, acks, after);

            // And the log keeps working after recovery.
            var more = await restarted.Client.Stamp("after the crash");
            Assert.Equal(after.Size, more.GetProperty("log_index").GetInt64());
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task repeated_kills_never_lose_acknowledged_entries_or_fork_the_log()
    {
        string dir = ServerProcess.NewDataDir();
        var all = new List<Ack>();
        Checkpoint? last = null;
        // Index checkpoints every 200 ms, so kills land before, during and after them, and recovery re-applies
        // entries the recovered index may already hold: the counts below show re-application is idempotent.
        var settings = new Dictionary<string, string> { ["Attest__Log__IndexCheckpointInterval"] = "00:00:00.2" };
        for (int round = 0; round < 3; round++)
        {
            await using var server = await ServerProcess.Start(dir, settings);
            var (cp, _) = await server.Client.Checkpoint();
            if (last is not null) await AssertConsistent(server.Client, last, cp);
            await AssertAllPresent(server.Client, all, cp);
            await AssertStampCount(server.Client, "stamped once per round", round);
            await server.Client.Stamp("stamped once per round");
            var appending = new Appending(server, clients: 8);
            await appending.Acknowledged(100);
            await Task.Delay(300 * round); // kills land at different points of the 200 ms index checkpoint cycle
            last = (await server.Client.Checkpoint()).Checkpoint;
            server.Kill();
            all.AddRange(await appending.Stop());
        }
        await using (var final = await ServerProcess.Start(dir))
        {
            var (cp, _) = await final.Client.Checkpoint();
            await AssertConsistent(final.Client, last!, cp);
            await AssertAllPresent(final.Client, all, cp);
            await AssertStampCount(final.Client, "stamped once per round", 3);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task a_graceful_stop_publishes_a_final_checkpoint_of_every_entry()
    {
        string dir = ServerProcess.NewDataDir();
        await using (var server = await ServerProcess.Start(dir, new Dictionary<string, string> { ["Attest__Log__CheckpointInterval"] = "01:00:00" }))
        {
            for (int i = 0; i < 25; i++) await server.Client.Stamp($"graceful {i}");
            await server.Stop();
        }
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "checkpoint.json"))).RootElement;
        Assert.Equal(25, state.GetProperty("Size").GetInt64());
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task a_slow_index_checkpoint_holds_up_neither_published_checkpoints_nor_a_graceful_stop()
    {
        string dir = ServerProcess.NewDataDir();
        // 1 MB/s: the hash table alone (64 MB) would take over a minute, past both waits below.
        var settings = new Dictionary<string, string>
        {
            ["Attest__Log__IndexCheckpointInterval"] = "00:00:00.2",
            ["Attest__Log__IndexCheckpointMegabytesPerSecond"] = "1",
        };
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            await server.Client.Stamp("twice");
            var checkpoints = Path.Combine(dir, "index", "checkpoints", "index-checkpoints");
            for (int i = 0; !(Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "ht.dat.*", SearchOption.AllDirectories).Any()); i++)
            {
                Assert.True(i < 200, "no index checkpoint started within 20 s");
                await Task.Delay(100);
            }
            for (int i = 0; i < 9; i++) await server.Client.Stamp(i == 0 ? "twice" : $"during the checkpoint {i}");
            await server.Client.CheckpointCovering(10);
            await server.Stop();
        }
        await using (var restarted = await ServerProcess.Start(dir))
        {
            Assert.Equal(10, await restarted.Client.TreeSize());
            await AssertStampCount(restarted.Client, "twice", 2);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task an_index_checkpoint_cut_short_by_a_crash_is_discarded_and_the_index_rebuilt()
    {
        string dir = ServerProcess.NewDataDir();
        var acks = new List<Ack>();
        await using (var server = await ServerProcess.Start(dir))
        {
            for (int i = 0; i < 20; i++)
            {
                var s = await server.Client.Stamp(i % 2 == 0 ? "twice" : $"cut short {i}");
                acks.Add(new Ack(s.GetProperty("log_index").GetInt64(), s.GetProperty("id").GetString()!, s.GetProperty("entry").GetString()!));
            }
            server.Kill();
        }
        // What a kill during the first FASTER checkpoint leaves: a checkpoint folder with no complete checkpoint in it.
        var token = Directory.CreateDirectory(Path.Combine(dir, "index", "checkpoints", "cpr-checkpoints", Guid.NewGuid().ToString()));
        File.WriteAllBytes(Path.Combine(token.FullName, "info.dat.0"), new byte[17]);
        await using (var server = await ServerProcess.Start(dir))
        {
            var (cp, _) = await server.Client.Checkpoint();
            await AssertAllPresent(server.Client, acks, cp);
            await AssertStampCount(server.Client, "twice", 10);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task derived_hashes_and_indexes_are_rebuilt_from_the_entry_log_when_lost()
    {
        string dir = ServerProcess.NewDataDir();
        var acks = new List<Ack>();
        Checkpoint before;
        await using (var server = await ServerProcess.Start(dir))
        {
            for (int i = 0; i < 300; i++)
            {
                var s = await server.Client.Stamp($"rebuild {i}");
                acks.Add(new Ack(s.GetProperty("log_index").GetInt64(), s.GetProperty("id").GetString()!, s.GetProperty("entry").GetString()!));
            }
            before = (await server.Client.CheckpointCovering(300)).Checkpoint;
            await server.Stop();
        }
        File.Delete(Path.Combine(dir, "hashes.bin"));
        File.Delete(Path.Combine(dir, "addresses.bin"));
        Directory.Delete(Path.Combine(dir, "index"), true);
        await using (var server = await ServerProcess.Start(dir))
        {
            var (after, _) = await server.Client.Checkpoint();
            Assert.Equal(before.Size, after.Size);
            Assert.Equal(before.Root, after.Root);
            await AssertAllPresent(server.Client, acks, after);
            var verify = (await server.Client.Post("v1/verify", new { content = "rebuild 7" }, key: null)).Body;
            Assert.Equal(acks[7].Index, verify.GetProperty("log_index").GetInt64());
        }
        Directory.Delete(dir, true);
    }
}
