using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Tests.Api;

namespace Attest.LogServer.Tests.Log;

/// <summary>
/// A charge is as durable as the write it pays for: a real server killed (SIGKILL) during concurrent charged writes
/// has, after its restart, charged every acknowledged write exactly once and no write it never committed.
/// </summary>
public sealed class CreditCrashTests
{
    private const long Granted = 1_000_000, Added = 1_000;
    private const int MintCost = 3, StampCost = 1;

    /// <summary>One write as its client sent it: retried with the same idempotency key, it is the same write.</summary>
    private sealed record Attempt(bool Mint, JsonObject Body, string IdempotencyKey, string? AckedId)
    {
        public int Cost => Mint ? MintCost : StampCost;

        public string Path => Mint ? "v1/attestations/mint" : "v1/stamps";
    }

    /// <summary>Writes from many clients until cancelled; a write whose connection died with the server is kept unacknowledged.</summary>
    private static async Task<List<Attempt>> WriteUntil(ServerProcess server, string key, string issuerId, string kid, CancellationToken stop)
    {
        var attempts = new ConcurrentBag<Attempt>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async c =>
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                bool mint = i % 2 == c % 2;
                var body = mint ? AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims($"{c}-{i}")) : new JsonObject { ["content"] = $"client {c} write {i} {Guid.NewGuid()}" };
                var attempt = new Attempt(mint, body, Guid.NewGuid().ToString(), null);
                try
                {
                    var (status, answer) = await client.Post(attempt.Path, body, key, attempt.IdempotencyKey);
                    Assert.True(status == HttpStatusCode.Created, $"{attempt.Path} answered {status}: {answer}");
                    Assert.Equal(attempt.Cost, answer.GetProperty("credits_charged").GetInt64());
                    attempts.Add(attempt with { AckedId = answer.Str("id") });
                }
                catch (HttpRequestException)
                {
                    attempts.Add(attempt); // the connection died with the (killed) server: never acknowledged
                    return;
                }
            }
        }));
        return [.. attempts];
    }

    [Fact]
    public async Task after_a_sigkill_during_concurrent_writes_every_acknowledged_write_is_charged_exactly_once()
    {
        string dir = ServerProcess.NewDataDir();
        // Index and registry checkpoints every 200 ms, so the kill lands before, during and after them, and recovery
        // applies entries again that the recovered registry may already hold.
        var settings = new Dictionary<string, string>
        {
            ["Attest__Log__IndexCheckpointInterval"] = "00:00:00.2",
            ["Attest__Credits__Mint"] = MintCost.ToString(),
            ["Attest__Credits__Text"] = StampCost.ToString(),
            ["Attest__RateLimits__Mint"] = "1000000",
            ["Attest__RateLimits__Default"] = "1000000",
        };
        string issuerId, kid, key, id;
        List<Attempt> attempts;
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            issuerId = await server.Client.CreateIssuer();
            kid = (await server.Client.CreateKey(issuerId)).Str("kid");
            (key, id) = await server.Client.CreateApiKey(issuerId, Granted);
            Assert.Equal(HttpStatusCode.OK, (await server.Client.Post($"v1/api-keys/{id}/credits", new { amount = Added })).Status);
            using var stop = new CancellationTokenSource();
            var writing = WriteUntil(server, key, issuerId, kid, stop.Token);
            await Task.Delay(2000);
            server.Kill();
            stop.Cancel();
            attempts = await writing;
        }
        var acked = attempts.Where(a => a.AckedId is not null).ToList();
        Assert.True(acked.Count > 50, $"only {acked.Count} writes were acknowledged before the kill");
        Assert.Contains(acked, a => a.Mint);
        Assert.Contains(acked, a => !a.Mint);
        long ackedCost = acked.Sum(a => a.Cost), unackedCost = attempts.Except(acked).Sum(a => a.Cost);

        long balance;
        await using (var restarted = await ServerProcess.Start(dir, settings))
        {
            // Every acknowledged write is charged; of the others, at most those the log committed before the kill.
            long afterRestart = (await restarted.Client.Balance(id))!.Value;
            long spent = Granted + Added - afterRestart;
            Assert.InRange(spent, ackedCost, ackedCost + unackedCost);

            // Retried with its idempotency key, an acknowledged write is answered again at no cost; an unacknowledged one
            // is either found in the log (no cost: it was charged with its record) or written now (charged now).
            long chargedByRetries = 0;
            var ids = new HashSet<string>();
            foreach (var a in attempts)
            {
                var (status, answer) = await restarted.Client.Post(a.Path, a.Body, key, a.IdempotencyKey);
                Assert.True(status == HttpStatusCode.Created, $"{a.Path} retry answered {status}: {answer}");
                long charged = answer.GetProperty("credits_charged").GetInt64();
                if (a.AckedId is { } ackedId)
                {
                    Assert.Equal(ackedId, answer.Str("id"));
                    Assert.Equal(0, charged);
                }
                else
                {
                    Assert.Contains(charged, new long[] { 0, a.Cost });
                }
                chargedByRetries += charged;
                Assert.True(ids.Add(answer.Str("id")), "two requests answered the same write");
            }
            balance = (await restarted.Client.Balance(id))!.Value;
            Assert.Equal(afterRestart - chargedByRetries, balance);
            // Now every write is acknowledged, once each: the balance is the grants less exactly their charges.
            Assert.Equal(Granted + Added - attempts.Sum(a => a.Cost), balance);
            restarted.Kill();
        }

        // Killed once more with nothing in flight, the balance rebuilt from the log is the same.
        await using (var again = await ServerProcess.Start(dir, settings))
            Assert.Equal(balance, await again.Client.Balance(id));
        Directory.Delete(dir, true);
    }
}
