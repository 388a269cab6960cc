using System.Buffers.Binary;
using System.Text;
using Attest.LogServer.Storage;
using FASTER.core;

namespace Attest.LogServer.Tests;

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
    public async Task a_log_committed_by_fasters_own_commit_files_opens_with_all_of_it_and_moves_to_one_file()
    {
        // What every entry log written before 1 December holds: FASTER's default commit manager, a file per commit.
        using (var device = Devices.CreateLogDevice(Path.Combine(dir, "entries.log"), preallocateFile: false, recoverDevice: true))
        using (var old = new FasterLog(new FasterLogSettings { LogDevice = device, LogCommitDir = dir, PageSizeBits = 22, MemorySizeBits = 26, SegmentSizeBits = 30, RemoveOutdatedCommits = true }))
        {
            for (int i = 0; i < 6; i++)
            {
                old.Enqueue(Record(i));
                await old.CommitAsync();
            }
        }
        Assert.True(Directory.Exists(Path.Combine(dir, "log-commits")));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"record {i}"), Records());
        Assert.False(Directory.Exists(Path.Combine(dir, "log-commits")));
        await Append(6, 3);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"record {i}"), Records());
    }

    public void Dispose() => Directory.Delete(dir, true);
}
