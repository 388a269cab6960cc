using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Tests.Scitt;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Clients that read an answer slowly, or not at all, cannot take the expensive public routes from everyone else: an
/// issuer may log 256 statements of 64 KB, whose entry bundle (16 MB) outlasts every socket buffer, so a client that
/// asks for it and never reads keeps its request open for as long as it likes.
/// </summary>
public sealed class SlowReaderTests
{
    [Fact]
    public async Task clients_that_never_read_a_16_mb_entry_bundle_hold_no_permit_of_the_other_expensive_routes_and_at_most_the_limit_of_large_answers()
    {
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__RateLimits__ExpensiveConcurrency"] = "2",
            ["Attest__RateLimits__ExpensiveQueue"] = "0",
        });
        try
        {
            var client = server.Client;
            string issuerId = await client.CreateIssuer("Long Statements");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await client.AddEs256Key(issuerId, "long-key", key);
            var statements = Enumerable.Range(0, 256).Select(i => MixedLog.Statement(key, issuerId, $"part {i}", "long-key", RandomNumberGenerator.GetBytes(64_000))).ToArray();
            foreach (var batch in statements.Chunk(16))
            {
                foreach (var registered in await Task.WhenAll(batch.Select(s => client.Register(s))))
                    Assert.True(registered.Status is HttpStatusCode.Created or HttpStatusCode.SeeOther, $"{registered.Status} {Encoding.UTF8.GetString(registered.Body)}");
            }
            await client.CheckpointCovering(256);
            using (var whole = await client.GetAsync("tile/entries/000"))
            {
                Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
                Assert.True((await whole.Content.ReadAsByteArrayAsync()).Length > 16_000_000);
            }

            // As many clients as there are permits ask for the bundle, read its status line, and stop reading.
            var stalled = new List<TcpClient>();
            try
            {
                for (int i = 0; i < 2; i++) stalled.Add(await AskAndStall(server.BaseAddress, "/tile/entries/000"));

                // The other expensive routes answer: before, each got 429 for as long as the readers stalled.
                var (found, entry) = await client.Get($"v1/log/entries?leaf_hash={MixedLog.EntryId(statements[0])}", key: null);
                Assert.True(found == HttpStatusCode.OK, entry.GetRawText());
                var (proved, proof) = await client.Get("v1/log/proofs/inclusion?index=3&tree_size=256", key: null);
                Assert.True(proved == HttpStatusCode.OK, proof.GetRawText());
                // Large answers are held to their own limit, so the server keeps at most two such buffers for slow readers.
                var (refused, why) = await client.Get("tile/entries/000", key: null);
                Assert.Equal(HttpStatusCode.TooManyRequests, refused);
                Assert.Equal("rate_limited", why.Str("error"));
            }
            finally
            {
                foreach (var s in stalled) s.Dispose();
            }

            // Once those clients are gone, their permits are given back.
            for (int attempt = 0; ; attempt++)
            {
                using var again = await client.GetAsync("tile/entries/000");
                if (again.StatusCode == HttpStatusCode.OK) break;
                Assert.True(again.StatusCode == HttpStatusCode.TooManyRequests && attempt < 600, $"{again.StatusCode} after {attempt} attempts");
                await Task.Delay(100);
            }
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
        }
    }

    /// <summary>Sends a GET on a connection with a small receive buffer, reads the status line, and reads no more.</summary>
    private static async Task<TcpClient> AskAndStall(Uri server, string path)
    {
        var tcp = new TcpClient { ReceiveBufferSize = 4096 };
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {server.Authority}\r\n\r\n"));
        var status = new byte[12];
        await stream.ReadExactlyAsync(status);
        Assert.Equal("HTTP/1.1 200", Encoding.ASCII.GetString(status));
        return tcp;
    }
}
