using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Attest.LogServer.Api;
using Attest.LogServer.Log;
using Attest.LogServer.Service;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Compression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Attest.LogServer.Grpc;

/// <summary>
/// The gRPC services of <c>proto/attest/v1</c> on Grpc.AspNetCore, with <c>grpc.health.v1.Health</c> fed by the
/// health check behind <c>/readyz</c>, and server reflection.
/// </summary>
public static class GrpcSetup
{
    public static readonly string[] Services = [AttestationsGrpcService.Name, StampsGrpcService.Name, IssuersGrpcService.Name, LogGrpcService.Name];

    public static void AddAttestGrpc(this IServiceCollection services, AttestOptions options)
    {
        int max = options.Grpc.MaxMessageBytes;
        int small = (int)Math.Min(options.MaxRequestBodyBytes, max);
        services.AddSingleton<GrpcErrors>();
        services.AddGrpc(o =>
        {
            // The largest message of any method but the Attestations' (GrpcLimits.Of); replies may be as large as a mint.
            o.MaxReceiveMessageSize = small;
            o.MaxSendMessageSize = max;
            o.CompressionProviders = [new CappedGzip()];
            o.Interceptors.Add<GrpcErrors>();
        }).AddServiceOptions<AttestationsGrpcService>(o => o.MaxReceiveMessageSize = max);
        // One instance each: a call then costs no construction (Grpc.AspNetCore takes a registered service from DI).
        services.AddSingleton<AttestationsGrpcService>();
        services.AddSingleton<StampsGrpcService>();
        services.AddSingleton<IssuersGrpcService>();
        services.AddSingleton<LogGrpcService>();
        // Streams a client may open at once on one HTTP/2 connection; Kestrel's limit is server-wide, so REST's HTTP/2
        // connections have it too.
        services.Configure<KestrelServerOptions>(k => k.Limits.Http2.MaxStreamsPerConnection = options.Grpc.MaxConcurrentStreams);

        // The server ("") and every service are NOT_SERVING once the log takes no writes, as /readyz is 503.
        services.AddGrpcHealthChecks(o =>
        {
            foreach (var service in Services) o.Services.Map(service, _ => true);
        }).AddCheck<LogHealthCheck>("log");
        services.AddHostedService<HealthPublishing>();
        services.AddGrpcReflection();
    }

    /// <summary>Before the gRPC endpoints, after authorization (<see cref="AuthPolicies.UseAttestAuth"/>): <see cref="GrpcLimits"/>.</summary>
    public static void UseGrpcLimits(this WebApplication app) => GrpcLimits.Use(app);

    public static void MapAttestGrpc(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<AttestOptions>();
        void Limit(EndpointBuilder endpoint)
        {
            if (endpoint.Metadata.OfType<GrpcMethodMetadata>().FirstOrDefault() is not { } grpc) return;
            endpoint.Metadata.Add(GrpcLimits.Of(grpc.Method.ServiceName, grpc.Method.Name, options));
            if (PublicLimit(grpc.Method.ServiceName, grpc.Method.Name) is { } route) endpoint.Metadata.Add(route);
        }
        app.MapGrpcService<AttestationsGrpcService>().Add(Limit);
        app.MapGrpcService<StampsGrpcService>().Add(Limit);
        app.MapGrpcService<IssuersGrpcService>().Add(Limit);
        app.MapGrpcService<LogGrpcService>().Add(Limit);
        app.MapGrpcHealthChecksService().Add(Limit);
        app.MapGrpcReflectionService().Add(Limit);
    }

    /// <summary>
    /// The keyless reads count against the same per-address limit as their REST twins (<see cref="PublicRateLimits"/>);
    /// a stream counts once, and holds no concurrency permit, since it may last for hours.
    /// </summary>
    private static PublicRoute? PublicLimit(string service, string method) => (service, method) switch
    {
        (LogGrpcService.Name, "GetInclusionProof" or "GetConsistencyProof") or (AttestationsGrpcService.Name, "Verify" or "GetProofBundle" or "ListHolderAttestations") => PublicRoute.Expensive,
        (LogGrpcService.Name, _) or (AttestationsGrpcService.Name, "Get") => PublicRoute.Cheap,
        _ => null,
    };
}

/// <summary>
/// The largest message a gRPC method accepts, before and after decompression, where it is less than what its service
/// takes: checked by middleware before Grpc.AspNetCore reads the message (an interceptor runs only after it). The
/// caller was checked before this, from the headers (<see cref="AuthPolicies"/>).
/// </summary>
/// <param name="Peek">Whether the message's length prefix must be checked here, its service taking larger ones.</param>
public sealed record GrpcLimits(int MaxMessageBytes, bool Peek)
{
    /// <summary>As REST: only mint and supersede take a large message (a payload), verify its own limit, the rest what any request body may be.</summary>
    public static GrpcLimits Of(string service, string method, AttestOptions options)
    {
        int max = options.Grpc.MaxMessageBytes;
        long limit = (service, method) switch
        {
            (AttestationsGrpcService.Name, "Mint" or "Supersede") => max,
            (AttestationsGrpcService.Name, "Verify") => options.MaxVerifyBodyBytes,
            _ => options.MaxRequestBodyBytes,
        };
        int bytes = (int)Math.Min(limit, max);
        return new GrpcLimits(bytes, service == AttestationsGrpcService.Name && bytes < max);
    }

    public static void Use(WebApplication app) =>
        app.Use((context, next) =>
            context.GetEndpoint()?.Metadata.GetMetadata<GrpcLimits>() is { } limits && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true
                ? Check(context, next, limits)
                : next(context));

    /// <remarks>Synchronous unless it must read (the prefix) or set the decompression limit: a mint pays no state machine here.</remarks>
    private static Task Check(HttpContext context, RequestDelegate next, GrpcLimits limits)
    {
        // The message limits are the library's and ours (RESOURCE_EXHAUSTED), not Kestrel's request body limit, which
        // the library lifts only for client streams: it refused a 2 MB request by its content-length, as UNKNOWN.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body) body.MaxRequestBodySize = null;
        bool compressed = context.Request.Headers.TryGetValue("grpc-encoding", out var encoding) && encoding != "identity";
        return limits.Peek || compressed ? Read(context, next, limits, compressed) : next(context);
    }

    private static async Task Read(HttpContext context, RequestDelegate next, GrpcLimits limits, bool compressed)
    {
        if (limits.Peek)
        {
            // The 5-byte prefix (grpc/doc/PROTOCOL-HTTP2.md, Length-Prefixed-Message), examined but left for the library.
            var reader = context.Request.BodyReader;
            var read = await reader.ReadAtLeastAsync(5, context.RequestAborted);
            long length = -1;
            if (read.Buffer.Length >= 5)
            {
                Span<byte> prefix = stackalloc byte[5];
                read.Buffer.Slice(0, 5).CopyTo(prefix);
                length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
            }
            reader.AdvanceTo(read.Buffer.Start);
            if (length > limits.MaxMessageBytes)
            {
                GrpcStatus.WriteTrailersOnly(context, StatusCode.ResourceExhausted, $"message of {length} bytes is over the limit of {limits.MaxMessageBytes}");
                return;
            }
        }
        // Flows into the library's read of the message, which runs inside this call.
        if (compressed) CappedGzip.Limit.Value = limits.MaxMessageBytes;
        await next(context);
    }
}

/// <summary>
/// gzip whose output stops at the method's message limit (<see cref="GrpcLimits"/>): Grpc.AspNetCore checks only the
/// compressed length, and inflates a message whole into memory, so a 50 KB message could take 50 MB.
/// </summary>
internal sealed class CappedGzip : ICompressionProvider
{
    /// <summary>The largest decompressed message of the current call, set by <see cref="GrpcLimits"/> for a compressed call.</summary>
    public static readonly AsyncLocal<int> Limit = new();

    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        new GZipStream(stream, compressionLevel ?? CompressionLevel.Fastest, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) => new Capped(new GZipStream(stream, CompressionMode.Decompress), Limit.Value);

    private sealed class Capped(Stream inner, int limit) : Stream
    {
        private long total;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = inner.Read(buffer);
            }
            catch (InvalidDataException)
            {
                // grpc/doc/statuscodes.md: a message the server cannot decompress is INTERNAL (the library would say UNKNOWN).
                throw new RpcException(new Status(StatusCode.Internal, "the message is not valid gzip"));
            }
            total += n;
            // A limit of 0: a call the middleware did not see, which takes only small messages.
            long max = limit > 0 ? limit : 1 << 20;
            return total > max ? throw new RpcException(new Status(StatusCode.ResourceExhausted, $"decompressed message is over the limit of {max} bytes")) : n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>
/// Failures of our services as gRPC statuses: a <see cref="DomainError"/> (or what <see cref="ErrorHandling.Map"/> maps
/// to one) becomes the status of its kind with its error code at the start of the message (<see cref="GrpcStatus"/>).
/// </summary>
public sealed class GrpcErrors(ILogger<GrpcErrors> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (Error(e, context) is { } error)
        {
            throw GrpcStatus.Exception(error);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (Error(e, context) is { } error)
        {
            throw GrpcStatus.Exception(error);
        }
    }

    /// <summary>Null for what the library answers itself: a status already, or the end of a cancelled or timed-out call.</summary>
    private DomainError? Error(Exception e, ServerCallContext context) =>
        e is RpcException || (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested) ? null : ErrorHandling.Map(e, logger);
}

/// <summary>The state behind <c>/readyz</c> (<see cref="HealthApi.Unavailable"/>) as a health check.</summary>
internal sealed class LogHealthCheck(TransparencyLog log, Sequencer sequencer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthApi.Unavailable(log, sequencer) is { } down ? HealthCheckResult.Unhealthy($"{down.Reason}: {down.Message}") : HealthCheckResult.Healthy());
}

/// <summary>
/// Publishes the health checks to <c>grpc.health.v1.Health</c>'s watchers at start and at once when the log faults (a
/// fault is never cleared), instead of only at the health check publisher's period (30 s by default).
/// </summary>
internal sealed class HealthPublishing(HealthCheckService checks, IEnumerable<IHealthCheckPublisher> publishers, TransparencyLog log, Sequencer sequencer) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await Publish(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await HealthApi.BecameUnavailable(log, sequencer).WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!stoppingToken.IsCancellationRequested) await Publish(stoppingToken);
    }

    private async Task Publish(CancellationToken token)
    {
        var report = await checks.CheckHealthAsync(token);
        foreach (var publisher in publishers) await publisher.PublishAsync(report, token);
    }
}
