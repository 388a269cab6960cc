using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Attest.Load;

/// <summary>Unary gRPC calls, each a ready-made length-prefixed message, spread over a few HTTP/2 connections.</summary>
public interface IGrpcChannel : IDisposable
{
    /// <summary>
    /// Calls <paramref name="method"/> with <paramref name="frame"/> for client <paramref name="worker"/>. Null when
    /// the call succeeded (HTTP 200, grpc-status 0 and a reply message), else what went wrong, as an error-table key.
    /// </summary>
    ValueTask<string?> Call(int worker, string method, byte[] frame, string? idempotencyKey);
}

/// <summary>The load tool's own HTTP/2 client (<see cref="H2Connection"/>): the default, as it takes less of the machine.</summary>
public sealed class LeanGrpcChannel : IGrpcChannel
{
    private readonly H2Connection[] connections;

    private LeanGrpcChannel(H2Connection[] connections) => this.connections = connections;

    public static async Task<LeanGrpcChannel> Connect(Uri uri, int connections, string adminKey) =>
        new(await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => H2Connection.Connect(uri, adminKey))));

    public ValueTask<string?> Call(int worker, string method, byte[] frame, string? idempotencyKey) =>
        connections[worker % connections.Length].Call(method, frame, idempotencyKey);

    public void Dispose()
    {
        foreach (var c in connections) c.Dispose();
    }
}

/// <summary>
/// Unary gRPC calls framed by hand over HttpClient's HTTP/2 with prior knowledge (h2c) (grpc/doc/PROTOCOL-HTTP2.md): POST /package.Service/Method, content-type application/grpc,
/// <c>te: trailers</c>, one message as <c>flag(1) || length(4, big-endian) || bytes</c>, and the call's result in the
/// <c>grpc-status</c> trailer (or in the headers of a trailers-only reply).
/// </summary>
public sealed class GrpcChannel : IGrpcChannel
{
    private static readonly MediaTypeHeaderValue ContentType = new("application/grpc");
    private readonly HttpClient[] connections;
    private readonly AuthenticationHeaderValue authorization;

    /// <param name="connections">
    /// How many HTTP/2 connections the calls are spread over. Each is its own handler, so each keeps its own socket;
    /// EnableMultipleHttp2Connections only adds one when a connection's stream limit (Kestrel: 100) is reached.
    /// </param>
    public GrpcChannel(Uri baseAddress, int connections, string adminKey)
    {
        this.connections = [.. Enumerable.Range(0, connections).Select(_ => new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        })];
        authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    /// <summary>One length-prefixed, uncompressed message.</summary>
    public static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>
    /// Calls <paramref name="method"/> with a ready-made <paramref name="frame"/> on connection
    /// <paramref name="worker"/> mod the connection count. Null when the call succeeded (grpc-status 0 and a reply
    /// message), else what went wrong, as an error-table key. The reply itself is read and dropped.
    /// </summary>
    public async ValueTask<string?> Call(int worker, string method, byte[] frame, string? idempotencyKey)
    {
        var client = connections[worker % connections.Length];
        using var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = ContentType;
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.Authorization = authorization;
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("idempotency-key", idempotencyKey);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK) return $"http {(int)response.StatusCode}";
        long length = await Drain(response);
        // Trailers are there only once the body has been read to its end.
        string? status = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.FirstOrDefault()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.FirstOrDefault() : null;
        return Verdict(status, length);
    }

    /// <summary>
    /// A finished call's error-table key from its <c>grpc-status</c> (null if it had none) and the bytes of its reply
    /// body; null when it succeeded. Both clients judge a call by this.
    /// </summary>
    internal static string? Verdict(string? grpcStatus, long bodyBytes) => grpcStatus switch
    {
        "0" when bodyBytes >= 5 => null,
        "0" => "grpc 0 without a reply message",
        null => "no grpc-status",
        _ => $"grpc {grpcStatus} {StatusName(grpcStatus)}",
    };

    private static async ValueTask<long> Drain(HttpResponseMessage response)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            long total = 0;
            for (int n; (n = await body.ReadAsync(buffer)) > 0;) total += n;
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string StatusName(string code) => code switch
    {
        "1" => "CANCELLED", "2" => "UNKNOWN", "3" => "INVALID_ARGUMENT", "4" => "DEADLINE_EXCEEDED", "5" => "NOT_FOUND",
        "6" => "ALREADY_EXISTS", "7" => "PERMISSION_DENIED", "8" => "RESOURCE_EXHAUSTED", "9" => "FAILED_PRECONDITION",
        "10" => "ABORTED", "11" => "OUT_OF_RANGE", "12" => "UNIMPLEMENTED", "13" => "INTERNAL", "14" => "UNAVAILABLE",
        "15" => "DATA_LOSS", "16" => "UNAUTHENTICATED", _ => "",
    };

    public void Dispose()
    {
        foreach (var c in connections) c.Dispose();
    }
}

/// <summary>
/// The standard client, Grpc.Net.Client, for comparison with the lean one: what a C# user of the API runs. The messages
/// are already encoded, so they pass through a bytes marshaller, and the library does the framing, the headers, the
/// status and the deadline handling. One channel per connection, as for the other clients.
/// </summary>
public sealed class NetGrpcChannel : IGrpcChannel
{
    private static readonly global::Grpc.Core.Marshaller<byte[]> Bytes = global::Grpc.Core.Marshallers.Create(b => b, b => b);
    private readonly global::Grpc.Net.Client.GrpcChannel[] channels;
    private readonly global::Grpc.Core.CallInvoker[] invokers;
    private readonly string authorization;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, global::Grpc.Core.Method<byte[], byte[]>> methods = new();

    public NetGrpcChannel(Uri address, int connections, string adminKey)
    {
        channels = [.. Enumerable.Range(0, connections).Select(_ => global::Grpc.Net.Client.GrpcChannel.ForAddress(address,
            new global::Grpc.Net.Client.GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true }, MaxReceiveMessageSize = null }))];
        invokers = [.. channels.Select(c => c.CreateCallInvoker())];
        authorization = "Bearer " + adminKey;
    }

    public async ValueTask<string?> Call(int worker, string method, byte[] frame, string? idempotencyKey)
    {
        var m = methods.GetOrAdd(method, static name =>
        {
            int slash = name.LastIndexOf('/');
            return new global::Grpc.Core.Method<byte[], byte[]>(global::Grpc.Core.MethodType.Unary, name[1..slash], name[(slash + 1)..], Bytes, Bytes);
        });
        var headers = new global::Grpc.Core.Metadata { { "authorization", authorization } };
        if (idempotencyKey is not null) headers.Add("idempotency-key", idempotencyKey);
        try
        {
            // The frame's 5-byte prefix is the library's to write.
            var reply = await invokers[worker % invokers.Length].AsyncUnaryCall(m, null, new global::Grpc.Core.CallOptions(headers), frame[5..]);
            return GrpcChannel.Verdict("0", 5 + reply.Length);
        }
        catch (global::Grpc.Core.RpcException e)
        {
            return GrpcChannel.Verdict(((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), 0);
        }
    }

    public void Dispose()
    {
        foreach (var c in channels) c.Dispose();
    }
}
