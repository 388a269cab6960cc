using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Log;

/// <summary>A server killed (SIGKILL) while reveals of sealed stamps race: every acknowledged reveal reads back, none is logged twice.</summary>
public sealed class SealedRevealCrashTests
{
    private static readonly Dictionary<string, string> Settings = new() { ["Attest__Stamps__MinSealSeconds"] = "1" };

    [Fact]
    public async Task a_kill_during_racing_reveals_leaves_each_stamp_unrevealed_or_revealed_once_and_every_acknowledged_reveal_reads_back()
    {
        string dir = ServerProcess.NewDataDir();
        var contents = new ConcurrentDictionary<string, string>();
        var acks = new ConcurrentDictionary<string, long>();
        await using (var server = await ServerProcess.Start(dir, Settings))
        {
            long latest = 0;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async c =>
            {
                for (int i = 0; i < 40; i++)
                {
                    string content = $"sealed {c}/{i} {Guid.NewGuid()}";
                    long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2;
                    InterlockedMax(ref latest, until);
                    var (status, stamp) = await server.Client.Post("v1/stamps", new { content, visibility = "sealed", sealed_until = until });
                    Assert.Equal(HttpStatusCode.Created, status);
                    contents[stamp.Str("id")] = content;
                }
            }));
            while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() < latest) await Task.Delay(200);

            // Eight clients reveal every stamp, each in its own order, so most reveals race another of the same stamp.
            var ids = contents.Keys.ToArray();
            var revealing = Task.WhenAll(Enumerable.Range(0, 8).Select(async c =>
            {
                using var client = new HttpClient { BaseAddress = server.BaseAddress };
                foreach (string id in ids.OrderBy(id => HashCode.Combine(id, c)))
                {
                    try
                    {
                        var (status, body) = await client.Post($"v1/stamps/{id}/reveal", null);
                        if (status == HttpStatusCode.OK) Assert.True(acks.TryAdd(id, body.GetProperty("reveal_log_index").GetInt64()), $"{id} was revealed twice");
                        else Http.AssertError((status, body), HttpStatusCode.Conflict, "already_revealed");
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server died: this reveal was never acknowledged
                    }
                }
            }));
            while (acks.Count < 30 && !revealing.IsCompleted) await Task.Delay(5);
            server.Kill();
            await revealing;
        }
        Assert.True(acks.Count >= 30, $"only {acks.Count} reveals were acknowledged before the kill");

        await using (var restarted = await ServerProcess.Start(dir, Settings))
        {
            var client = restarted.Client;
            foreach (var (id, content) in contents)
            {
                var (_, stamp) = await client.Get($"v1/stamps/{id}");
                if (acks.TryGetValue(id, out long index))
                {
                    Assert.True(stamp.GetProperty("revealed").GetBoolean(), $"the acknowledged reveal of {id} was lost");
                    Assert.Equal(index, stamp.GetProperty("reveal_log_index").GetInt64());
                }
                if (stamp.GetProperty("revealed").GetBoolean())
                {
                    Assert.Equal(content, stamp.Str("content"));
                    continue;
                }
                // Never logged: it may be revealed now, once.
                Assert.Equal(JsonValueKind.Null, stamp.GetProperty("content").ValueKind);
                var (status, revealed) = await client.Post($"v1/stamps/{id}/reveal", null);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(content, revealed.Str("content"));
            }

            // The whole log, as a monitor reads it: exactly one reveal entry per stamp, of the sealed content.
            var (cp, _) = await client.CheckpointCovering(await client.TreeSize());
            var entries = new List<byte[]>();
            foreach (var tile in Tile.NewTiles(0, cp.Size).Where(t => t.Level == 0))
                Assert.True(EntryBundle.TryParse(await client.GetByteArrayAsync(new Tile(Tile.EntriesLevel, tile.N, tile.Width).Path), tile.Width, entries));
            var reveals = new Dictionary<string, int>();
            foreach (var e in entries)
            {
                using var doc = JsonDocument.Parse(e);
                if (doc.RootElement.Str("type") != "stamp-reveal/v1") continue;
                string id = doc.RootElement.Str("stamp_id");
                reveals[id] = reveals.GetValueOrDefault(id) + 1;
                Assert.Equal(contents[id], doc.RootElement.Str("content"));
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(contents[id]))), doc.RootElement.Str("content_hash"));
            }
            Assert.Equal(contents.Keys.Order(), reveals.Keys.Order());
            Assert.All(reveals, r => Assert.Equal(1, r.Value));
        }
        Directory.Delete(dir, true);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        for (long seen = Volatile.Read(ref target); seen < value; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}
