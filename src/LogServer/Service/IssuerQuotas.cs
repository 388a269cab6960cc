using System.Collections.Concurrent;
using Attest.LogServer.Api;

namespace Attest.LogServer.Service;

/// <summary>
/// Per-issuer quotas (<c>Attest:Quotas</c>): signing keys, verification packs and live API keys, counted from the
/// registry; and payload bytes stored in the blob store per UTC day. Checked before anything is stored or appended;
/// over quota is 429 <c>quota_exceeded</c> naming the quota and its setting. The admin key acting for an issuer is
/// held to the same counts.
/// </summary>
/// <remarks>
/// The blob bytes of the day are counted in memory: a restart starts the day's count afresh. Deriving it from the
/// log would need each payload's size in the log or a stat of every blob of the day at start, for a limit whose
/// purpose (keeping one issuer from filling the disk in a day) a restart, which only the operator can cause, does
/// not defeat; the disk's free-space threshold is the hard stop. Bytes count when stored, whether or not the entry
/// that names them commits, since they are on disk either way.
/// </remarks>
public sealed class IssuerQuotas(AttestOptions options, Registry registry, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, DayCount> blobBytes = new();

    private QuotaOptions Quotas => options.Quotas;

    /// <summary>Every key an issuer ever created stays in the keyring, rotated and compromised ones included: all count.</summary>
    public void CheckNewKey(Guid issuerId) =>
        Check(registry.Keys.Count(k => k.IssuerId == issuerId), Quotas.MaxKeysPerIssuer, "signing keys", "MaxKeysPerIssuer");

    public void CheckNewPack(Guid issuerId) =>
        Check(registry.Packs.Count(p => p.IssuerId == issuerId), Quotas.MaxPacksPerIssuer, "verification packs", "MaxPacksPerIssuer");

    /// <summary>Revoked API keys no longer count.</summary>
    public void CheckNewApiKey(Guid issuerId) =>
        Check(registry.ApiKeys.Count(k => k.IssuerId == issuerId && k.RevokedAt is null), Quotas.MaxApiKeysPerIssuer, "API keys that are not revoked", "MaxApiKeysPerIssuer");

    /// <summary>Counts <paramref name="bytes"/> against the issuer's blob quota of today (UTC), or refuses them.</summary>
    public void ReserveBlobBytes(Guid issuerId, long bytes)
    {
        long max = Quotas.MaxBlobBytesPerDay;
        if (max <= 0) return;
        var now = time.GetUtcNow();
        int day = (int)(now.UtcTicks / TimeSpan.TicksPerDay);
        var count = blobBytes.GetOrAdd(issuerId, static _ => new DayCount());
        lock (count)
        {
            if (count.Day != day) (count.Day, count.Bytes) = (day, 0);
            if (count.Bytes + bytes > max)
            {
                var midnight = new DateTimeOffset((day + 1L) * TimeSpan.TicksPerDay, TimeSpan.Zero);
                throw new DomainError(ErrorKind.RateLimited, "quota_exceeded",
                    $"this issuer's payload uploads would exceed {max} bytes today (UTC), the quota Attest:Quotas:MaxBlobBytesPerDay; {Math.Max(0, max - count.Bytes)} bytes remain today")
                {
                    RetryAfterSeconds = (long)Math.Ceiling((midnight - now).TotalSeconds),
                };
            }
            count.Bytes += bytes;
        }
    }

    private static void Check(int count, int max, string what, string setting)
    {
        if (max > 0 && count >= max)
            throw new DomainError(ErrorKind.RateLimited, "quota_exceeded", $"this issuer already has {count} {what}, the quota Attest:Quotas:{setting} ({max})");
    }

    private sealed class DayCount
    {
        public int Day;
        public long Bytes;
    }
}
