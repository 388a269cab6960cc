using Attest.LogServer.Api;
using Attest.LogServer.Service;

namespace Attest.LogServer.Storage;

/// <summary>
/// Refuses writes while the data directory's filesystem has less than <see cref="StorageOptions.MinFreeBytes"/>
/// available, so the disk never fills under the entry log: a FASTER commit that fails for lack of space is a storage
/// failure that stops every write, while a refusal here fails one request and ends by itself once space returns.
/// </summary>
/// <remarks>
/// The reading (statvfs) is kept for <see cref="RefreshMilliseconds"/>: a mint checks it at 20k/s. Writes that
/// land in that window are bounded by the threshold's margin (a quarter second of mints is a few MB).
/// </remarks>
public sealed class FreeSpace(AttestOptions options)
{
    private const long RefreshMilliseconds = 250;
    private readonly string directory = options.DataDir;
    private readonly long minFree = options.Storage.MinFreeBytes;
    private long nextReading;
    private long available = long.MaxValue;

    /// <summary>Bytes available to the server on the data directory's filesystem, as last read.</summary>
    public long Available => Volatile.Read(ref available);

    /// <summary>Throws 507 <c>insufficient_storage</c> when writing <paramref name="bytes"/> more would leave less than the threshold.</summary>
    public void EnsureRoomFor(long bytes = 0)
    {
        if (minFree <= 0) return;
        long now = Environment.TickCount64;
        if (now >= Volatile.Read(ref nextReading)) Read(now);
        if (Volatile.Read(ref available) - bytes < minFree)
            throw new DomainError(ErrorKind.InsufficientStorage, "insufficient_storage",
                "the server's disk is nearly full (below Attest:Storage:MinFreeBytes); writes are refused until space is freed, and nothing already accepted is affected");
    }

    /// <summary>Bytes available now, from a fresh reading (the last one if the filesystem cannot be read).</summary>
    public long AvailableNow()
    {
        Read(Environment.TickCount64);
        return Available;
    }

    private void Read(long now)
    {
        Volatile.Write(ref nextReading, now + RefreshMilliseconds);
        long reading;
        try
        {
            reading = new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // no reading: keep the last one; a real write failure still surfaces from the write itself
        }
        Volatile.Write(ref available, reading);
    }
}
