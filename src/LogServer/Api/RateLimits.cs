using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// The <c>Attest:RateLimits</c> section: requests per minute per API key (the admin key is exempt), and the limits of
/// the public, keyless routes per client address.
/// </summary>
public sealed class RateLimitOptions
{
    public int Mint { get; set; } = 600;

    public int Default { get; set; } = 6000;

    /// <summary>
    /// Requests a minute one client address may make to the public routes (tiles, checkpoint, proofs, lookups, verify,
    /// anchors, the keyring), refilled evenly; 0 turns the per-address limit off. Generous, because a monitor catching
    /// up fetches thousands of immutable tiles, which a CDN in front would normally absorb.
    /// </summary>
    public int PublicPerMinute { get; set; } = 12_000;

    /// <summary>How many public requests one address may make at once before the per-minute refill paces it.</summary>
    public int PublicBurst { get; set; } = 2_000;

    /// <summary>
    /// Requests to the expensive public routes (verify, proof bundles, entry lookups, entry-bundle tiles, inclusion and
    /// consistency proofs) served at once, across all clients; 0 turns the limit off. A request holds its permit until
    /// its answer starts; an answer over <see cref="PublicRateLimits.LargeAnswerBytes"/> holds one of as many permits
    /// for large answers until it is written.
    /// </summary>
    public int ExpensiveConcurrency { get; set; } = 16;

    /// <summary>Expensive requests that may wait for one of <see cref="ExpensiveConcurrency"/>; more get 429.</summary>
    public int ExpensiveQueue { get; set; } = 64;
}

/// <summary>
/// Endpoint metadata (an attribute on a gRPC method): requests to the endpoint count against the caller's API key in
/// this bucket. The admin key is exempt; an anonymous request (a holder token's) is not counted here.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class RateLimitBucketAttribute(string name) : Attribute
{
    public static readonly RateLimitBucketAttribute Mint = new(MintName), Default = new(DefaultName);

    public const string MintName = "mint", DefaultName = "default";

    public string Name { get; } = name;
}

/// <summary>
/// Fixed one-minute windows per (API key, bucket), as middleware after authorization: it takes the authenticated
/// caller and the endpoint's <see cref="RateLimitBucketAttribute"/>. Answers 429 <c>rate_limited</c> with
/// <c>Retry-After</c> (gRPC: RESOURCE_EXHAUSTED), and every limited response carries <c>X-RateLimit-Limit</c>,
/// <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Reset</c> (Unix seconds when the window ends).
/// </summary>
/// <remarks>
/// Ours, not ASP.NET Core's rate limiter: that one exposes no lease or statistics for an accepted request
/// (dotnet/aspnetcore#44140), so it cannot send the X-RateLimit headers on every response, only on a 429.
/// </remarks>
public sealed class RateLimiter(RateLimitOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Scope, string Bucket), Window> windows = new();

    public Task Invoke(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RateLimitBucketAttribute>() is not { } bucket || Principal.Of(context.User) is not { IsAdmin: false } caller)
            return next(context);
        int limit = bucket.Name == RateLimitBucketAttribute.MintName ? options.Mint : options.Default;
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        long start = now - now % 60;
        var w = windows.AddOrUpdate((caller.Scope, bucket.Name), _ => new Window(start, 1), (_, old) => old.Start == start ? old with { Count = old.Count + 1 } : new Window(start, 1));
        long reset = start + 60;
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = Math.Max(0, limit - w.Count).ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = reset.ToString(CultureInfo.InvariantCulture);
        if (w.Count <= limit) return next(context);
        return ErrorHandling.Refuse(context, new DomainError(ErrorKind.RateLimited, "rate_limited", $"more than {limit} requests a minute for this API key; retry after {reset - now} s")
        {
            RetryAfterSeconds = reset - now, RateLimit = new RateLimitWindow(limit, reset),
        });
    }

    private sealed record Window(long Start, long Count);
}

/// <summary>Endpoint metadata: the route is public and keyless, limited per client address, and maybe expensive.</summary>
public sealed class PublicRoute(bool expensive)
{
    public static readonly PublicRoute Cheap = new(false), Expensive = new(true);

    public bool IsExpensive { get; } = expensive;
}

/// <summary>
/// Limits of the public routes, with the limiters of System.Threading.RateLimiting: a token bucket per client address
/// over every <see cref="PublicRoute"/>, then one concurrency limiter (with a short queue) over the expensive ones.
/// Refusals are 429 <c>rate_limited</c> with <c>Retry-After</c> in the JSON error body, or RESOURCE_EXHAUSTED on gRPC.
/// </summary>
/// <remarks>
/// A middleware of our own rather than ASP.NET Core's <c>UseRateLimiter</c>: its global limiter would run (a lock and a
/// lease) on every request, mints included, while this one costs a route without <see cref="PublicRoute"/> one
/// metadata lookup. The address is <see cref="ConnectionInfo.RemoteIpAddress"/>. Behind a reverse proxy or CDN, the
/// operator must configure ASP.NET Core's forwarded headers (<c>ForwardedHeadersOptions</c> with the proxy in
/// <c>KnownProxies</c>/<c>KnownNetworks</c>), or every client shares the proxy's address and so one bucket. IPv6
/// clients are bucketed by their /64, since one host usually holds the whole prefix.
/// </remarks>
public sealed class PublicRateLimits : IDisposable
{
    /// <summary>
    /// An answer larger than this may outlast the socket's buffers, so it is written only as fast as the client reads.
    /// Entry bundles of long statements (up to 256 of 64 KB) are the ones that reach it.
    /// </summary>
    public const int LargeAnswerBytes = 256 << 10;

    private readonly PartitionedRateLimiter<IPAddress?>? perAddress;
    private readonly ConcurrencyLimiter? expensive;
    private readonly ConcurrencyLimiter? largeAnswers;

    public PublicRateLimits(RateLimitOptions options)
    {
        if (options.PublicPerMinute > 0)
            perAddress = PartitionedRateLimiter.Create<IPAddress?, string>(address => RateLimitPartition.GetTokenBucketLimiter(AddressKey(address), _ => Bucket(options)));
        if (options.ExpensiveConcurrency > 0)
        {
            expensive = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = options.ExpensiveConcurrency,
                QueueLimit = Math.Max(0, options.ExpensiveQueue),
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
            largeAnswers = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = options.ExpensiveConcurrency, QueueLimit = 0 });
        }
    }

    public async Task Invoke(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<PublicRoute>() is not { } route)
        {
            await next(context);
            return;
        }
        if (perAddress is not null)
        {
            using var token = perAddress.AttemptAcquire(context.Connection.RemoteIpAddress);
            if (!token.IsAcquired)
            {
                await Reject(context, token, "too many requests to the public routes from this address");
                return;
            }
        }
        if (!route.IsExpensive || expensive is null)
        {
            await next(context);
            return;
        }
        using var slot = await expensive.AcquireAsync(1, context.RequestAborted);
        if (!slot.IsAcquired)
        {
            await Reject(context, slot, "the server is answering as many expensive public requests as it allows");
            return;
        }
        // The permit bounds the work of answering, not the time a client takes to read the answer: held while the body
        // is written, a client reading a few bytes a second (or none) would keep it for hours, and a few such clients
        // every permit. So it is given back when the answer starts; a large answer holds a permit of its own meanwhile
        // (HoldForLargeAnswer), which bounds the memory such answers keep.
        context.Response.OnStarting(static lease =>
        {
            ((RateLimitLease)lease).Dispose();
            return Task.CompletedTask;
        }, slot);
        await next(context);
    }

    /// <summary>
    /// Called by a public route with its answer's length before writing it: an answer over
    /// <see cref="LargeAnswerBytes"/> holds one of <see cref="RateLimitOptions.ExpensiveConcurrency"/> permits for large
    /// answers until the request ends, so slow readers keep at most that many such buffers, and take no permit from the
    /// other expensive routes. None free: 429 <c>rate_limited</c>.
    /// </summary>
    public void HoldForLargeAnswer(HttpContext context, int length)
    {
        if (largeAnswers is null || length <= LargeAnswerBytes) return;
        var lease = largeAnswers.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new DomainError(ErrorKind.RateLimited, "rate_limited", "the server is sending as many large answers as it allows; retry after 1 s") { RetryAfterSeconds = 1 };
        }
        context.Response.RegisterForDispose(lease);
    }

    private static TokenBucketRateLimiterOptions Bucket(RateLimitOptions options)
    {
        // Refill at least once a second for rates of one a second or more, else one token at a time.
        int perMinute = options.PublicPerMinute;
        var (period, tokens) = perMinute >= 60 ? (TimeSpan.FromSeconds(1), perMinute / 60) : (TimeSpan.FromSeconds(60.0 / perMinute), 1);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, options.PublicBurst),
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static string AddressKey(IPAddress? address)
    {
        if (address is null) return "";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString();
    }

    private static Task Reject(HttpContext context, RateLimitLease lease, string why)
    {
        int retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
        string message = $"{why}; retry after {retryAfter} s";
        var error = new DomainError(ErrorKind.RateLimited, "rate_limited", message) { RetryAfterSeconds = retryAfter };
        return ErrorHandling.Refuse(context, error);
    }

    public void Dispose()
    {
        perAddress?.Dispose();
        expensive?.Dispose();
        largeAnswers?.Dispose();
    }
}

public static class PublicRateLimitsSetup
{
    public static TBuilder PublicRoute<TBuilder>(this TBuilder builder, bool expensive = false) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(expensive ? Api.PublicRoute.Expensive : Api.PublicRoute.Cheap);

    public static IServiceCollection AddPublicRateLimits(this IServiceCollection services, RateLimitOptions options) =>
        services.AddSingleton(new PublicRateLimits(options));

    public static void UsePublicRateLimits(this WebApplication app)
    {
        var limits = app.Services.GetRequiredService<PublicRateLimits>();
        app.Use(limits.Invoke);
    }
}
