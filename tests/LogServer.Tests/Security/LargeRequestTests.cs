using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Attest.V1;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Large requests cannot take the memory the tenants share: a gRPC caller without a key is refused from its headers
/// before its message is read, each gRPC method takes only the message size its REST twin takes, and requests with a
/// large body (a mint's payload) are let in one per API key and a few at a time.
/// </summary>
public sealed class LargeRequestTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("atk_wrong")]
    public async Task a_grpc_mint_without_a_valid_key_is_refused_from_its_headers_before_its_message_is_read(string? key)
    {
        await using var server = await ServerProcess.Start();
        // The frame announces 40 MB; the client sends its first KB and then waits for the answer. Were the server to
        // read the message before checking the key, it would wait for the rest and never answer.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var header = new byte[5 + 1024];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 40_000_000);
        using var client = RawGrpc.H2c(server);
        using var request = new HttpRequestMessage(HttpMethod.Post, "attest.v1.Attestations/Mint")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new HeldContent(header, release.Task),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            await response.Content.ReadAsByteArrayAsync(cts.Token);
            Assert.Equal("16", RawGrpc.Header(response, "grpc-status")); // UNAUTHENTICATED, with 39 MB of the message never sent
        }
        finally
        {
            release.TrySetResult();
        }
    }

    /// <summary>
    /// 50 MB of one letter gzips to about 50 KB: small on the wire, under every method's limit until inflated. Without
    /// a cap on the inflated size, six of these took about +0.7 GB of the server's memory.
    /// </summary>
    [Fact]
    public async Task six_unauthenticated_50_mb_gzip_messages_do_not_grow_the_servers_memory_by_hundreds_of_mb()
    {
        await using var server = await ServerProcess.Start();
        byte[] bomb = Gzip(new VerifyRequest { Content = new string('a', 50 << 20) }.ToByteArray());
        Assert.True(bomb.Length < 1 << 20, $"{bomb.Length} bytes compressed");
        using var client = RawGrpc.H2c(server);
        // The paths these calls take, once, before the baseline.
        Assert.Equal("0", await SendCompressed(client, "attest.v1.Log/GetCheckpoint", Gzip([])));
        long before = Memory(server.ProcessId, "VmRSS");
        string[] methods = ["attest.v1.Attestations/Verify", "attest.v1.Attestations/Mint", "attest.v1.Log/GetCheckpoint"];
        var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => SendCompressed(client, methods[i % 3], bomb)));
        long after = Memory(server.ProcessId, "VmRSS"), peak = Memory(server.ProcessId, "VmHWM");
        // RESOURCE_EXHAUSTED where the message is read (and stops at the method's limit); UNAUTHENTICATED from the headers for a mint.
        Assert.Equal(["8", "16", "8", "8", "16", "8"], statuses.Select(s => s ?? "none"));
        Assert.True(after - before < 150 << 20, $"resident memory grew by {(after - before) >> 20} MB");
        Assert.True(peak - before < 150 << 20, $"resident memory peaked {(peak - before) >> 20} MB above where it was");
        Assert.False(server.HasExited);
    }

    private static byte[] Gzip(byte[] message)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal)) gzip.Write(message);
        return output.ToArray();
    }

    /// <summary>One anonymous call whose message is gzip-compressed; its grpc-status.</summary>
    private static async Task<string?> SendCompressed(HttpClient client, string path, byte[] compressed)
    {
        var frame = new byte[5 + compressed.Length];
        frame[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)compressed.Length);
        compressed.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.Add("grpc-encoding", "gzip");
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return RawGrpc.Header(response, "grpc-status");
    }

    /// <summary>A memory figure of a process from <c>/proc/&lt;pid&gt;/status</c> (proc(5)), in bytes.</summary>
    private static long Memory(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024; // "VmRSS:   123456 kB"
    }

    [Fact]
    public async Task each_grpc_method_takes_only_the_message_size_of_its_rest_twin()
    {
        await using var server = await ServerProcess.Start();
        long size = await server.Client.TreeSize();
        // Verify: at most Attest:MaxVerifyBodyBytes (4 MiB), not the 52 MiB a mint's payload needs.
        var (verify, verifyMessage) = await RawGrpc.Call(server, "/attest.v1.Attestations/Verify", new VerifyRequest { Content = new string('a', 5 << 20) });
        Assert.True(verify == 8, $"{verify}: {verifyMessage}"); // RESOURCE_EXHAUSTED
        // Any other method: at most Attest:MaxRequestBodyBytes (1 MiB).
        var (issuer, issuerMessage) = await RawGrpc.Call(server, "/attest.v1.Issuers/CreateIssuer", new CreateIssuerRequest { Name = new string('n', 2 << 20) });
        Assert.True(issuer == 8, $"{issuer}: {issuerMessage}");
        Assert.Equal(size, await server.Client.TreeSize());
    }

    [Fact]
    public async Task large_mint_bodies_are_let_in_one_per_api_key_and_a_few_at_a_time_before_they_are_read()
    {
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Limits__MaxConcurrentLargeBodies"] = "1" });
        var c = server.Client;
        string issuerId = await c.CreateIssuer();
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var (_, apiKey) = await c.Post("v1/api-keys", new { issuer_id = issuerId, name = "uploads" });
        string key = apiKey.Str("key");
        var body = AttestApi.MintBody(issuerId, kid);
        body["payload"] = Convert.ToBase64String(new byte[3 << 20]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        byte[] bytes = Encoding.UTF8.GetBytes(body.ToJsonString());

        var (first, release) = await HoldSlot(c, bytes, key);
        try
        {
            // The admin is refused at once too, before its body is read: the one slot is taken.
            await AssertRefused(c, bytes, ServerProcess.AdminKey);
            // A small mint of the same key is not a large body: it goes through.
            await c.Mint(AttestApi.MintBody(issuerId, kid), key);
        }
        finally
        {
            release.TrySetResult();
        }
        using (var answer = await first) Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        // The slot is free again.
        var (status, _) = await c.Post("v1/attestations/mint", Encoding.UTF8.GetString(bytes), key, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, status);
    }

    /// <summary>
    /// Sends a 4 MB mint whose body is held after its first KB, so that it keeps its slot while the server waits for
    /// the rest, and returns once the server holds it: a large mint of the same key beside it is refused before its
    /// body is read. A probe that reaches the server first takes the slot itself and the held mint is the one refused;
    /// then the held mint is sent again.
    /// </summary>
    private static async Task<(Task<HttpResponseMessage> Answer, TaskCompletionSource Release)> HoldSlot(HttpClient c, byte[] bytes, string key)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var content = new HeldContent(bytes, release.Task, sendFirst: 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Headers.ContentLength = bytes.Length;
            var held = new HttpRequestMessage(HttpMethod.Post, "v1/attestations/mint") { Content = content };
            held.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            held.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            var answer = c.SendAsync(held);
            await content.FirstSent.WaitAsync(TimeSpan.FromSeconds(60));
            for (int probe = 0; probe < 20; probe++)
            {
                var response = await c.Post("v1/attestations/mint", Encoding.UTF8.GetString(bytes), key, Guid.NewGuid().ToString());
                if (response.Status == HttpStatusCode.TooManyRequests)
                {
                    Http.AssertError(response, HttpStatusCode.TooManyRequests, "rate_limited");
                    return (answer, release);
                }
                Assert.True(response.Status == HttpStatusCode.Created, $"a large mint answered {(int)response.Status}: {response.Body}");
                if (await Task.WhenAny(answer, Task.Delay(100)) == answer) break;
            }
            release.TrySetResult();
            try
            {
                using var refused = await answer;
                Assert.True(refused.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.Created, $"the held mint answered {(int)refused.StatusCode}");
            }
            catch (HttpRequestException)
            {
                // Refused before its body was read: the server answered 429 and closed the connection under the rest.
            }
        }
        Assert.Fail("a held large mint never kept its slot in 10 attempts");
        return default;
    }

    private static async Task AssertRefused(HttpClient c, byte[] bytes, string key) =>
        Http.AssertError(await c.Post("v1/attestations/mint", Encoding.UTF8.GetString(bytes), key, Guid.NewGuid().ToString()),
            HttpStatusCode.TooManyRequests, "rate_limited");

    /// <summary>Sends the first <c>sendFirst</c> bytes (all of a short body), then waits for <c>release</c> before the rest.</summary>
    private sealed class HeldContent(byte[] bytes, Task release, int sendFirst = int.MaxValue) : HttpContent
    {
        private readonly TaskCompletionSource firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once the headers and the first bytes are on the wire.</summary>
        public Task FirstSent => firstSent.Task;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            int first = Math.Min(sendFirst, bytes.Length);
            await stream.WriteAsync(bytes.AsMemory(0, first));
            await stream.FlushAsync();
            firstSent.TrySetResult();
            await release;
            if (first < bytes.Length) await stream.WriteAsync(bytes.AsMemory(first));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return sendFirst < bytes.Length;
        }
    }
}
