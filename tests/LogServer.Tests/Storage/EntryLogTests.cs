using System.Buffers.Binary;
using System.Text;
using Attest.LogServer.Storage;
using FASTER.core;

namespace Attest.LogServer.Tests.Storage;

/// <summary>The entry log's commits (src/LogServer/Storage/EntryLogCommits.cs) on the real FASTER store.</summary>
public sealed class EntryLogTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("attest-entrylog-").FullName;

    private static byte[] Record(int i) => Encoding.UTF8.GetBytes($"record {i}");

    private List<string> Records()
    {
        using var log = new EntryLog(dir);
        var records = new List<string>();
        log.Scan(log.BeginAddress, (r, _) => records.Add(Encoding.UTF8.GetString(r.Span)));
        return records;
    }

    private async Task Append(int from, int count)
    {
        using var log = new EntryLog(dir);
        for (int i = from; i < from + count; i++)
        {
            log.Enqueue(Record(i));
            await log.CommitAsync(); // one commit each, so the two slots take turns
        }
    }

    [Fact]
    public async Task every_committed_record_is_there_after_many_commits_and_reopens()
    {
        await Append(0, 7);
        await Append(7, 4);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"record {i}"), Records());
        Assert.Equal(8192, new FileInfo(Path.Combine(dir, "commit.meta")).Length);
    }

    [Fact]
    public async Task a_torn_latest_commit_falls_back_to_the_one_before_it()
    {
        await Append(0, 5);
        // Tear the newest slot: the records of its commit were never acknowledged, as far as a reader can tell.
        string path = Path.Combine(dir, "commit.meta");
        var bytes = File.ReadAllBytes(path);
        int newest = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32)) > BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(4096 + 32)) ? 0 : 1;
        bytes[newest * 4096 + 32 + 8 + 4 + 3] ^= 0xff; // a byte of its metadata
        File.WriteAllBytes(path, bytes);

        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"record {i}"), Records());
        await Append(4, 2); // and the log goes on from there
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"record {i}"), Records());
    }

    [Fact]
    public async Task a_log_written_without_per_entry_checksums_is_refused_with_a_clear_error_and_left_as_it_was()
    {
        // What every entry log written before per-entry checksums holds (older ones also FASTER's own commit files).
        using (var device = Devices.CreateLogDevice(Path.Combine(dir, "entries.log"), preallocateFile: false, recoverDevice: true))
        using (var old = new FasterLog(new FasterLogSettings { LogDevice = device, LogCommitDir = dir, PageSizeBits = 22, MemorySizeBits = 26, SegmentSizeBits = 30, RemoveOutdatedCommits = true }))
        {
            for (int i = 0; i < 6; i++)
            {
                old.Enqueue(Record(i));
                await old.CommitAsync();
            }
        }
        var before = File.ReadAllBytes(Path.Combine(dir, "entries.log.0"));

        var e = Assert.Throws<InvalidDataException>(() => new EntryLog(dir));
        Assert.Contains("without per-entry checksums", e.Message);
        Assert.Contains(dir, e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "entries.log.0")));
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir, "log-commits")).Any(), "FASTER's commit files are left where they were");
        Assert.False(File.Exists(Path.Combine(dir, "commit.meta")));
        Assert.False(File.Exists(Path.Combine(dir, EntryLog.FormatFile)));
    }

    [Fact]
    public async Task a_record_flipped_on_disk_fails_its_checksum_on_read_and_on_scan()
    {
        long address;
        using (var log = new EntryLog(dir))
        {
            for (int i = 0; i < 3; i++) log.Enqueue(Record(i));
            await log.CommitAsync();
            address = -1;
            int n = 0;
            log.Scan(log.BeginAddress, (_, a) => { if (n++ == 1) address = a; });
        }
        string path = Path.Combine(dir, "entries.log.0");
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(Record(1));
        bytes[at + 3] ^= 0x20;
        File.WriteAllBytes(path, bytes);

        using var reopened = new EntryLog(dir);
        Assert.Equal(address, (await Assert.ThrowsAsync<CorruptRecordException>(async () => await reopened.ReadAsync(address))).Address);
        var seen = new List<string>();
        var e = Assert.Throws<CorruptRecordException>(() => reopened.Scan(reopened.BeginAddress, (r, _) => seen.Add(Encoding.UTF8.GetString(r.Span)), verifyInMemory: true));
        Assert.Equal(address, e.Address);
        Assert.Equal(["record 0"], seen);
    }

    [Theory]
    [InlineData(100)]   // on the first page: read from disk by the scan, checked by FASTER
    [InlineData(11990)] // on the last page: loaded into memory at recovery, checked by EntryLog itself
    public async Task a_flipped_record_is_found_by_a_verifying_scan_on_any_page_of_a_log_of_several(int flipped)
    {
        static byte[] Big(int i) => Encoding.UTF8.GetBytes($"big record {i:D6} " + new string('x', 1000));
        using (var log = new EntryLog(dir))
        {
            for (int i = 0; i < 12000; i++) log.Enqueue(Big(i)); // about 12 MB: three 4 MB pages
            await log.CommitAsync();
        }
        int count = 0;
        using (var log = new EntryLog(dir)) log.Scan(log.BeginAddress, (_, _) => count++, verifyInMemory: true);
        Assert.Equal(12000, count); // an intact log passes on every page

        string path = Path.Combine(dir, "entries.log.0");
        using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var bytes = new byte[f.Length];
            f.ReadExactly(bytes);
            int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"big record {flipped:D6} "));
            f.Position = at + 500;
            f.WriteByte((byte)'y');
        }
        count = 0;
        using var reopened = new EntryLog(dir);
        Assert.Throws<CorruptRecordException>(() => reopened.Scan(reopened.BeginAddress, (_, _) => count++, verifyInMemory: true));
        Assert.Equal(flipped, count);
    }

    public void Dispose() => Directory.Delete(dir, true);
}
