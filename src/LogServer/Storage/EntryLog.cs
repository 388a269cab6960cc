using FASTER.core;

namespace Attest.LogServer.Storage;

/// <summary>
/// The entry log: a FasterLog holding one record per log entry, in log-index order. It is the source of truth;
/// everything else in the data directory is derived from it.
/// </summary>
/// <remarks>
/// Contract:
/// - Records are appended by exactly one writer (the <see cref="Log.Sequencer"/>). The i-th record ever committed
///   is log entry i; there is no index stored in the record.
/// - <see cref="CommitAsync"/> returns only after every record enqueued before it is on disk (FASTER's commit
///   writes the pages and the commit metadata through write-through file handles). Nothing may be acknowledged
///   before that.
/// - After a crash the log reopens at its last commit; records enqueued but not committed are gone, and no
///   caller was told about them.
/// </remarks>
public sealed class EntryLog : IDisposable
{
    private readonly IDevice device;
    private readonly EntryLogCommits commits;
    private readonly FasterLog log;

    public EntryLog(string directory)
    {
        Directory.CreateDirectory(directory);
        device = Devices.CreateLogDevice(Path.Combine(directory, "entries.log"), preallocateFile: false, recoverDevice: true);
        commits = new EntryLogCommits(directory);
        try
        {
            log = new FasterLog(new FasterLogSettings
            {
                LogDevice = device,
                LogCommitManager = commits,
                PageSizeBits = PageSizeBits, // 4 MB pages: a batch of a few thousand entries fits in one
                MemorySizeBits = 26, // 64 MB of recent entries kept in memory for reads
                SegmentSizeBits = 30,
                TryRecoverLatest = true,
                AutoRefreshSafeTailAddress = false,
            });
        }
        catch
        {
            commits.Dispose();
            device.Dispose();
            throw;
        }
    }

    /// <summary>Address of the first record.</summary>
    public long BeginAddress => log.BeginAddress;

    /// <summary>
    /// The largest record a page holds, with room to spare for FasterLog's record header (4 bytes, 12 with
    /// checksums) and alignment.
    /// </summary>
    public const int MaxRecordSize = (1 << PageSizeBits) - 64;

    private const int PageSizeBits = 22;

    /// <summary>
    /// Enqueues a record in memory; it becomes durable only at the next <see cref="CommitAsync"/>. A record larger
    /// than <see cref="MaxRecordSize"/> MUST be refused with an <see cref="ArgumentException"/> and leave the log
    /// unchanged; any other exception is a storage failure.
    /// </summary>
    public long Enqueue(ReadOnlySpan<byte> record) =>
        record.Length <= MaxRecordSize ? log.Enqueue(record) : throw new ArgumentException($"a record of {record.Length} bytes is larger than an entry-log page can hold", nameof(record));

    /// <summary>Makes every enqueued record durable (one fsync-equivalent for the whole batch).</summary>
    public async ValueTask CommitAsync(CancellationToken token = default) => await log.CommitAsync(token);

    /// <summary>Reads the committed record at <paramref name="address"/>.</summary>
    public async ValueTask<byte[]> ReadAsync(long address, CancellationToken token = default)
    {
        var (bytes, length) = await log.ReadAsync(address, 0, token);
        if (bytes is null) throw new InvalidDataException($"no entry-log record at address {address}");
        return bytes.Length == length ? bytes : bytes.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// Reads committed records from <paramref name="fromAddress"/> to the committed end, calling
    /// <paramref name="onRecord"/> with (record, address).
    /// </summary>
    public void Scan(long fromAddress, Action<ReadOnlyMemory<byte>, long> onRecord)
    {
        long end = log.CommittedUntilAddress;
        if (fromAddress >= end) return;
        using var iter = log.Scan(fromAddress, end);
        while (iter.GetNext(out byte[] bytes, out int length, out long address, out long next))
            onRecord(bytes.AsMemory(0, length), address);
    }

    public void Dispose()
    {
        log.Dispose();
        commits.Dispose(); // FASTER disposes only a commit manager it made itself
        device.Dispose();
    }
}
