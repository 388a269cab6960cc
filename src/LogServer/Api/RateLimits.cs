using System.Collections.Concurrent;

namespace Attest.LogServer.Api;

/// <summary>The <c>Attest:RateLimits</c> section: requests per minute per API key (the admin key is exempt).</summary>
public sealed class RateLimitOptions
{
    public int Mint { get; set; } = 600;

    public int Default { get; set; } = 6000;
}

/// <summary>
/// Fixed one-minute windows per (API key, bucket). Answers 429 <c>rate_limited</c> with <c>Retry-After</c>, and
/// every limited response carries <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining</c> and
/// <c>X-RateLimit-Reset</c> (Unix seconds when the window ends).
/// </summary>
public sealed class RateLimiter(RateLimitOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Scope, string Bucket), Window> windows = new();

    public void Take(Principal caller, string bucket, HttpResponse response)
    {
        if (caller.IsAdmin) return;
        int limit = bucket == "mint" ? options.Mint : options.Default;
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        long start = now - now % 60;
        var w = windows.AddOrUpdate((caller.Scope, bucket), _ => new Window(start, 1), (_, old) => old.Start == start ? old with { Count = old.Count + 1 } : new Window(start, 1));
        long reset = start + 60;
        response.Headers["X-RateLimit-Limit"] = limit.ToString();
        response.Headers["X-RateLimit-Remaining"] = Math.Max(0, limit - w.Count).ToString();
        response.Headers["X-RateLimit-Reset"] = reset.ToString();
        if (w.Count > limit)
        {
            var error = new ApiError(429, "rate_limited", $"more than {limit} requests a minute for this API key; retry after {reset - now} s");
            error.Headers["Retry-After"] = (reset - now).ToString();
            error.Headers["X-RateLimit-Limit"] = limit.ToString();
            error.Headers["X-RateLimit-Remaining"] = "0";
            error.Headers["X-RateLimit-Reset"] = reset.ToString();
            throw error;
        }
    }

    private sealed record Window(long Start, long Count);
}
