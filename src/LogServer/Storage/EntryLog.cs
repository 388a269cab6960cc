using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FASTER.core;

namespace Attest.LogServer.Storage;

/// <summary>
/// The entry log: a FasterLog holding one record per log entry, in log-index order. It is the source of truth;
/// everything else in the data directory is derived from it. The embedded <see cref="ISequencedEntryStore"/>.
/// </summary>
/// <remarks>
/// How it meets the contract:
/// - Records are appended by exactly one writer (the <see cref="Log.Sequencer"/>). The i-th record ever committed
///   is log entry i; there is no index stored in the record.
/// - <see cref="CommitAsync"/> returns only after every record enqueued before it is on disk (FASTER's commit
///   writes the pages and the commit metadata through write-through file handles). Nothing may be acknowledged
///   before that.
/// - After a crash the log reopens at its last commit; records enqueued but not committed are gone, and no
///   caller was told about them.
/// - Every record carries FASTER's per-entry checksum (<see cref="LogChecksumType.PerEntry"/>: an XOR of its
///   8-byte words and length, which any single flipped byte changes). FASTER checks it on every read from disk and
///   on a scan of pages not in memory; <see cref="CorruptRecordException"/> reports a mismatch with its address.
///   The checksum changes the on-disk format: a log written without it is refused (<see cref="FormatFile"/>),
///   rather than read as garbage.
/// </remarks>
public sealed class EntryLog : ISequencedEntryStore
{
    private readonly IDevice device;
    private readonly EntryLogCommits commits;
    private readonly FasterLog log;

    /// <summary>Written when the log is created; its absence beside existing records means the old, unchecksummed format.</summary>
    public const string FormatFile = "format";

    private const int PageSizeBits = 22, MemorySizeBits = 26, SegmentSizeBits = 30, HeaderSize = 12;
    private readonly string directory;
    private readonly long memoryFloor, committedAtOpen;

    private const string Format = "attest-entry-log/2 faster-per-entry-checksum\n";

    public EntryLog(string directory)
    {
        this.directory = directory;
        Directory.CreateDirectory(directory);
        CheckFormat(directory);
        device = Devices.CreateLogDevice(Path.Combine(directory, "entries.log"), preallocateFile: false, recoverDevice: true);
        commits = new EntryLogCommits(directory);
        try
        {
            log = new FasterLog(new FasterLogSettings
            {
                LogDevice = device,
                LogCommitManager = commits,
                PageSizeBits = PageSizeBits, // 4 MB pages: a batch of a few thousand entries fits in one
                MemorySizeBits = MemorySizeBits, // 64 MB of recent entries kept in memory for reads
                SegmentSizeBits = SegmentSizeBits,
                TryRecoverLatest = true,
                AutoRefreshSafeTailAddress = false,
                LogChecksum = LogChecksumType.PerEntry,
            });
        }
        catch
        {
            commits.Dispose();
            device.Dispose();
            throw;
        }
        // FASTER recovers by loading the page holding the committed end into memory, unchecked, and its in-memory
        // head only moves up from there: every record below is read from disk, checksum and all, by a scan.
        committedAtOpen = log.CommittedUntilAddress;
        memoryFloor = Math.Max(log.BeginAddress, committedAtOpen & ~((1L << PageSizeBits) - 1));
    }

    private static void CheckFormat(string directory)
    {
        string path = Path.Combine(directory, FormatFile);
        if (File.Exists(path))
        {
            if (File.ReadAllText(path) != Format)
                throw new InvalidDataException($"{path} names an entry-log format this version does not read: {File.ReadAllText(path).Trim()}");
            return;
        }
        bool hasRecords = File.Exists(Path.Combine(directory, "entries.log.0")) || File.Exists(Path.Combine(directory, "commit.meta"))
            || Directory.Exists(Path.Combine(directory, "log-commits"));
        if (hasRecords)
            throw new InvalidDataException($"the entry log in {directory} was written by a version without per-entry checksums, which this version "
                + "cannot read; serve it with the version that wrote it, or start this one on a new data directory");
        DurableFile.Write(path, System.Text.Encoding.ASCII.GetBytes(Format));
    }

    /// <summary>Address of the first record.</summary>
    public long BeginAddress => log.BeginAddress;

    /// <summary>
    /// The largest record a page holds, with room to spare for FasterLog's record header (<see cref="HeaderSize"/>
    /// bytes with checksums) and alignment.
    /// </summary>
    public const int MaxRecordSize = (1 << PageSizeBits) - 64;

    /// <summary>Address after the last committed record.</summary>
    public long CommittedUntilAddress => log.CommittedUntilAddress;

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
    /// <remarks>A read always comes from disk, so it always checks the record's checksum.</remarks>
    public async ValueTask<byte[]> ReadAsync(long address, CancellationToken token = default)
    {
        byte[] bytes;
        int length;
        try
        {
            (bytes, length) = await log.ReadAsync(address, 0, token);
        }
        catch (FasterException e)
        {
            throw new CorruptRecordException(address, e.Message);
        }
        if (bytes is null) throw new InvalidDataException($"no entry-log record at address {address}");
        return bytes.Length == length ? bytes : bytes.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// Reads committed records from <paramref name="fromAddress"/> to <paramref name="toAddress"/> (default: the
    /// committed end), calling <paramref name="onRecord"/> with (record, address).
    /// </summary>
    /// <param name="verifyInMemory">
    /// Also check the checksums of records a scan finds in memory (FASTER checks only those it reads from disk): at
    /// recovery FASTER loads the last page into memory unchecked. That page is read from its file once (one read of
    /// at most 4 MB, where a FASTER read per record would be an unbuffered disk read each) and each record checked
    /// in it.
    /// </param>
    /// <exception cref="CorruptRecordException">a record's checksum does not match; the records before it were passed on.</exception>
    public void Scan(long fromAddress, Action<ReadOnlyMemory<byte>, long> onRecord, bool verifyInMemory = false, long toAddress = -1)
    {
        long end = toAddress < 0 ? log.CommittedUntilAddress : Math.Min(toAddress, log.CommittedUntilAddress);
        if (fromAddress >= end) return;
        using var iter = log.Scan(fromAddress, end);
        long expected = fromAddress;
        byte[]? loadedPage = null;
        while (true)
        {
            byte[] bytes;
            int length;
            long address;
            try
            {
                if (!iter.GetNext(out bytes, out length, out address, out long next)) return;
                expected = next;
            }
            catch (FasterException e)
            {
                throw new CorruptRecordException(expected, e.Message);
            }
            if (verifyInMemory && address >= memoryFloor)
            {
                if (address + HeaderSize + length > committedAtOpen) ReadAsync(address).AsTask().GetAwaiter().GetResult(); // appended since: FASTER reads it from disk
                else if (!ChecksumMatches((loadedPage ??= ReadLoadedPage()).AsSpan((int)(address - memoryFloor)), length))
                    throw new CorruptRecordException(address, "checksum mismatch in the page loaded at recovery");
            }
            onRecord(bytes.AsMemory(0, length), address);
        }
    }

    /// <summary>The bytes on disk of the page FASTER loaded at recovery, up to the end committed then.</summary>
    private byte[] ReadLoadedPage()
    {
        var page = new byte[committedAtOpen - memoryFloor];
        using var file = File.OpenHandle(Path.Combine(directory, $"entries.log.{memoryFloor >> SegmentSizeBits}"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        long offset = memoryFloor & ((1L << SegmentSizeBits) - 1);
        for (int done = 0, n; done < page.Length; done += n)
            if ((n = RandomAccess.Read(file, page.AsSpan(done), offset + done)) == 0)
                throw new CorruptRecordException(memoryFloor + done, "the segment file ends before the committed end of the log");
        return page;
    }

    /// <summary>FASTER's per-entry check: 8 bytes, the XOR of the length field and the payload (FasterLog.VerifyChecksum).</summary>
    private static unsafe bool ChecksumMatches(ReadOnlySpan<byte> record, int length)
    {
        if (record.Length < HeaderSize + length || BinaryPrimitives.ReadInt32LittleEndian(record[8..]) != length) return false;
        fixed (byte* p = record)
            return Utility.XorBytes(p + 8, length + 4) == MemoryMarshal.Read<ulong>(record);
    }

    public void Dispose()
    {
        log.Dispose();
        commits.Dispose(); // FASTER disposes only a commit manager it made itself
        device.Dispose();
    }
}

/// <summary>An entry-log record whose checksum does not match its bytes: the disk changed it after it was written.</summary>
public sealed class CorruptRecordException(long address, string detail) : IOException($"the entry-log record at address {address} fails its checksum ({detail})")
{
    public long Address { get; } = address;

    /// <summary>What FASTER said.</summary>
    public string Detail { get; } = detail;
}
