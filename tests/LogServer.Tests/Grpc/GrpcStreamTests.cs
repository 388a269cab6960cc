using System.Buffers.Binary;
using System.Net;
using Attest.V1;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>Server streams under a slow reader and a cancelling client, over raw HTTP/2.</summary>
public sealed class GrpcStreamTests
{
    [Fact]
    public async Task a_stream_to_a_reader_that_stalls_delivers_every_entry_in_order_and_blocks_no_other_call()
    {
        await using var server = await ServerProcess.Start();
        const int count = 3000; // ~250 bytes each: several HTTP/2 flow-control windows of 64 KiB
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) => await server.Client.Stamp($"streamed {i}"));
        await server.Client.CheckpointCovering(count);

        using var handler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = 65535 };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        var request = new StreamEntriesRequest { Start = 0 }.ToByteArray();
        var frame = new byte[5 + request.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)request.Length);
        request.CopyTo(frame, 5);
        using var call = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.GrpcPort}/attest.v1.Log/StreamEntries")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        call.Content.Headers.ContentType = new("application/grpc");
        using var response = await client.SendAsync(call, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();

        // The reader stalls; the server must wait for window updates rather than stop serving others.
        var (checkpointStatus, _) = await server.Client.Get("v1/log/key", key: null);
        Assert.Equal(HttpStatusCode.OK, checkpointStatus);
        await Task.Delay(500);

        var header = new byte[5];
        for (long expected = 0; expected < count; expected++)
        {
            await body.ReadExactlyAsync(header);
            var message = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
            await body.ReadExactlyAsync(message);
            var entry = Entry.Parser.ParseFrom(message);
            Assert.Equal(expected, entry.Index);
            Assert.Contains("\"type\":\"stamp/v1\"", entry.Entry_.ToStringUtf8());
        }
        // The stream waits for the next checkpoint; cancelling it ends it and the server goes on serving.
        call.Dispose();
        response.Dispose();
        Assert.Equal(count, await server.Client.TreeSize());
        Assert.Equal(HttpStatusCode.Created, (await server.Client.Post("v1/stamps", new { content = "after the stream" })).Status);
    }
}
