using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Attest.Tests.Shared;

/// <summary>
/// Unary and server-streaming gRPC calls over h2c with HttpClient, as admin unless a call names another key (or none):
/// the status and message from the trailers.
/// </summary>
internal static class RawGrpc
{
    public static async Task<(int Status, string? Message)> Call(ServerProcess server, string path, IMessage request, params (string Name, string Value)[] headers)
    {
        var (status, message, _) = await CallWithReply(server, path, request, headers);
        return (status, message);
    }

    public static Task<(int Status, string? Message, byte[] Reply)> CallWithReply(ServerProcess server, string path, IMessage request, params (string Name, string Value)[] headers) =>
        CallAs(server, ServerProcess.AdminKey, path, request, headers);

    /// <summary>A unary call with <paramref name="key"/> as its bearer token (null: anonymous).</summary>
    public static async Task<(int Status, string? Message, byte[] Reply)> CallAs(ServerProcess server, string? key, string path, IMessage request, params (string Name, string Value)[] headers)
    {
        using var client = H2c(server);
        using var response = await client.SendAsync(Request(path, request, key, headers));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpVersion.Version20, response.Version);
        string status = Header(response, "grpc-status") ?? throw new InvalidOperationException($"no grpc-status from {path}");
        string? message = Header(response, "grpc-message") is { } m ? Uri.UnescapeDataString(m) : null;
        return (int.Parse(status), message, body.Length >= 5 ? body[5..] : []);
    }

    /// <summary>A header of a gRPC reply: from its trailers, or from its headers when the reply is trailers-only.</summary>
    public static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var t) ? t.Single()
        : response.Headers.TryGetValues(name, out var h) ? h.Single() : null;

    /// <summary>
    /// Starts a server-streaming call with <paramref name="key"/> as its bearer token (null: anonymous) and returns its
    /// response stream, to read framed messages from as they come.
    /// </summary>
    public static async Task<(HttpClient Client, HttpResponseMessage Response, Stream Stream)> Open(ServerProcess server, string path, IMessage request, string? key = ServerProcess.AdminKey)
    {
        var client = H2c(server);
        var response = await client.SendAsync(Request(path, request, key, []), HttpCompletionOption.ResponseHeadersRead);
        return (client, response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next length-prefixed message of a stream.</summary>
    public static async Task<byte[]> ReadMessage(Stream stream, CancellationToken token)
    {
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, token);
        var message = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        await stream.ReadExactlyAsync(message, token);
        return message;
    }

    /// <summary>A client of the server's gRPC endpoint that speaks HTTP/2 with prior knowledge (h2c) only.</summary>
    public static HttpClient H2c(ServerProcess server) => new(new SocketsHttpHandler())
    {
        BaseAddress = new Uri($"http://127.0.0.1:{server.GrpcPort}/"),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static HttpRequestMessage Request(string path, IMessage message, string? key, (string Name, string Value)[] headers)
    {
        var bytes = message.ToByteArray();
        var frame = new byte[5 + bytes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bytes.Length);
        bytes.CopyTo(frame, 5);
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }
}
