using System.Buffers;
using Attest.LogServer.Api;
using Google.Protobuf;

namespace Attest.LogServer.Grpc;

/// <summary>One call's context: the HTTP/2 request (its headers are the call's metadata) and its cancellation.</summary>
public sealed class GrpcCall(HttpContext http, CancellationToken cancelled)
{
    public HttpContext Http { get; } = http;

    public HttpRequest Request => Http.Request;

    /// <summary>Cancelled when the client cancels or the <c>grpc-timeout</c> deadline passes.</summary>
    public CancellationToken Cancelled { get; } = cancelled;

    /// <summary>The caller of a method that needs an API key (<see cref="GrpcMethodLimits.Authenticate"/>), checked and counted before its message was read.</summary>
    public Principal? Caller { get; init; }
}

/// <summary>
/// The gRPC HTTP/2 protocol on Kestrel (grpc/doc/PROTOCOL-HTTP2.md), for the unary and server-streaming methods of
/// <c>proto/</c>: request and response headers, length-prefixed messages, <c>grpc-status</c> and
/// <c>grpc-message</c> trailers, <c>grpc-timeout</c> deadlines, <c>gzip</c>/<c>identity</c> message encodings and a
/// maximum message size. Failures of our services (<see cref="ApiError"/>) map to gRPC statuses, with the REST
/// error code at the start of the message.
/// </summary>
public sealed class GrpcEndpoint(int maxMessageSize, ILogger logger)
{
    private const string ContentType = "application/grpc";

    /// <param name="limits">The largest request message of this method, and the check of its caller made from the headers
    /// before the message is read (so a caller without a key cannot make the server read and parse one).</param>
    public RequestDelegate Unary<TRequest, TResponse>(MessageParser<TRequest> parser, Func<GrpcCall, TRequest, Task<TResponse>> handler, GrpcMethodLimits limits)
        where TRequest : IMessage<TRequest> where TResponse : IMessage =>
        context => Serve<TRequest, TResponse>(context, parser, async (call, request, send) => await send(await handler(call, request)), limits);

    public RequestDelegate ServerStreaming<TRequest, TResponse>(MessageParser<TRequest> parser, Func<GrpcCall, TRequest, Func<TResponse, Task>, Task> handler, GrpcMethodLimits limits)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        context => Serve(context, parser, handler, limits);

    /// <summary>For a path no method answers: UNIMPLEMENTED, as the protocol asks.</summary>
    public static Task Unimplemented(HttpContext context)
    {
        context.Response.ContentType = ContentType;
        context.Response.Headers["grpc-status"] = ((int)StatusCode.Unimplemented).ToString();
        context.Response.Headers["grpc-message"] = GrpcStatus.EncodeMessage($"unknown method {context.Request.Path}");
        return Task.CompletedTask;
    }

    private async Task Serve<TRequest, TResponse>(HttpContext context, MessageParser<TRequest> parser, Func<GrpcCall, TRequest, Func<TResponse, Task>, Task> handler, GrpcMethodLimits limits)
        where TRequest : IMessage<TRequest> where TResponse : IMessage
    {
        var request = context.Request;
        var response = context.Response;
        // A request that is not gRPC gets a plain HTTP error (415), as the protocol says.
        if (request.ContentType is not { } ct || !(ct == ContentType || ct.StartsWith(ContentType + "+", StringComparison.Ordinal) || ct.StartsWith(ContentType + ";", StringComparison.Ordinal)))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        response.ContentType = ContentType;
        string? requestEncoding = request.Headers["grpc-encoding"].FirstOrDefault();
        // Compress replies only for a client that compressed its request: most clients advertise gzip but are
        // better served (in CPU and latency) by identity for the small messages of this API.
        bool gzipReplies = requestEncoding == "gzip" && request.Headers["grpc-accept-encoding"].ToString().Contains("gzip", StringComparison.Ordinal);
        if (gzipReplies) response.Headers["grpc-encoding"] = "gzip";
        response.Headers["grpc-accept-encoding"] = "gzip,identity";

        // Only a call with a grpc-timeout gets a token source of its own; the others use the request's.
        CancellationTokenSource? deadline = null;
        var status = StatusCode.OK;
        string? message = null;
        try
        {
            if (requestEncoding is not (null or "identity" or "gzip"))
                throw new GrpcException(StatusCode.Unimplemented, $"grpc-encoding \"{requestEncoding}\" is not supported; use gzip or identity");
            if (GrpcFraming.ParseTimeout(request.Headers["grpc-timeout"].FirstOrDefault()) is { } timeout)
            {
                deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                deadline.CancelAfter(timeout);
            }
            var token = deadline?.Token ?? context.RequestAborted;
            var caller = limits.Authenticate?.Invoke(request);
            var bytes = await GrpcFraming.ReadMessage(request.BodyReader, requestEncoding, limits.MaxMessageBytes, token)
                ?? throw new GrpcException(StatusCode.Internal, "the request has no message");
            if (await GrpcFraming.ReadMessage(request.BodyReader, requestEncoding, limits.MaxMessageBytes, token) is not null)
                throw new GrpcException(StatusCode.Internal, "a unary or server-streaming call takes exactly one request message");
            TRequest message1;
            try
            {
                message1 = parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new GrpcException(StatusCode.Internal, "the request message is not valid protobuf: " + e.Message);
            }
            var call = new GrpcCall(context, token) { Caller = caller };
            await handler(call, message1, async reply =>
            {
                var size = reply.CalculateSize();
                if (size > maxMessageSize) throw new GrpcException(StatusCode.ResourceExhausted, $"response message of {size} bytes is over the limit of {maxMessageSize}");
                GrpcFraming.WriteMessage(response.BodyWriter, reply, size, gzipReplies);
                // Flushing waits for the client's HTTP/2 flow-control window, so a slow reader slows the stream down.
                // Only the client's cancel may interrupt a flush: a flush cancelled by our deadline left the response
                // unusable, and Kestrel reset the stream (INTERNAL_ERROR) instead of sending DEADLINE_EXCEEDED.
                await response.BodyWriter.FlushAsync(context.RequestAborted);
                token.ThrowIfCancellationRequested();
            });
        }
        catch (GrpcException e)
        {
            (status, message) = (e.Status, e.Message);
        }
        catch (ApiError e)
        {
            (status, message) = (GrpcStatus.FromHttp(e.Status, e.Code), $"{e.Code}: {e.Message}");
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
        {
            (status, message) = (StatusCode.DeadlineExceeded, "the deadline passed");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client cancelled; nobody is listening for a status
        }
        catch (Exception e)
        {
            var api = ErrorHandling.Map(e, logger);
            (status, message) = (GrpcStatus.FromHttp(api.Status, api.Code), $"{api.Code}: {api.Message}");
        }
        finally
        {
            deadline?.Dispose();
        }
        response.AppendTrailer("grpc-status", ((int)status).ToString());
        if (message is not null) response.AppendTrailer("grpc-message", GrpcStatus.EncodeMessage(message));
    }
}

/// <summary>
/// What a method accepts: its largest request message (before and after decompression), and for a method that needs
/// an API key, the check of its caller, made from the headers before the message is read (its result is <see cref="GrpcCall.Caller"/>).
/// </summary>
public sealed record GrpcMethodLimits(int MaxMessageBytes, Func<HttpRequest, Principal>? Authenticate);
