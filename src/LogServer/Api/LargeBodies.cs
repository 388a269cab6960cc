using Attest.LogServer.Service;
using System.Collections.Concurrent;

namespace Attest.LogServer.Api;

/// <summary>
/// Requests whose body is over <c>Attest:MaxRequestBodyBytes</c> (a mint or supersession with a payload, up to 51 MB)
/// are let in at most <see cref="LimitOptions.MaxConcurrentLargeBodies"/> at a time, and one per API key. Reading,
/// parsing and decoding one such body takes a few hundred MB, and the checks that could refuse it (the key, the
/// issuer, the quota) come after it is parsed: without this, one issuer's parallel uploads could take the memory all
/// tenants share. A request over either limit is refused at once, before its body is read: 429 <c>rate_limited</c>
/// with <c>Retry-After</c>. A request without a Content-Length counts as large.
/// </summary>
public sealed class LargeBodies(AttestOptions options)
{
    private readonly SemaphoreSlim slots = new(options.Limits.MaxConcurrentLargeBodies);
    private readonly ConcurrentDictionary<string, byte> holders = new(StringComparer.Ordinal);

    /// <summary>A slot to dispose once the request is answered, or null for a body within the usual limit.</summary>
    public IDisposable? Enter(HttpRequest request, Principal caller)
    {
        if (request.ContentLength is { } length && length <= options.MaxRequestBodyBytes) return null;
        if (!holders.TryAdd(caller.Scope, 0)) throw Busy("this API key already has a request with a large body in progress");
        if (!slots.Wait(0))
        {
            holders.TryRemove(caller.Scope, out _);
            throw Busy($"the server is handling as many requests with a large body as it allows (Attest:Limits:MaxConcurrentLargeBodies, {options.Limits.MaxConcurrentLargeBodies})");
        }
        return new Slot(this, caller.Scope);
    }

    private static DomainError Busy(string why) =>
        new(ErrorKind.RateLimited, "rate_limited", why + "; retry after 1 s") { RetryAfterSeconds = 1 };

    private sealed class Slot(LargeBodies owner, string scope) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            owner.slots.Release();
            owner.holders.TryRemove(scope, out _);
        }
    }
}
