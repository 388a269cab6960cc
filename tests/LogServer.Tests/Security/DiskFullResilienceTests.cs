using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// The disk really fills (the free-space threshold off, so nothing refuses writes first), on a real tmpfs mounted for
/// the test (it needs root): the background writes that fail (the index checkpoint, the checkpoint publisher) do not
/// stop the server. It keeps serving reads and the last checkpoint, logs the failure once, and when space returns
/// its checkpoints cover every acknowledged entry again; nothing acknowledged is lost, even by a SIGKILL.
/// </summary>
public sealed class DiskFullResilienceTests
{
    private static Dictionary<string, string> Settings(string indexCheckpointInterval) => new()
    {
        ["Attest__Storage__MinFreeBytes"] = "0",
        ["Attest__Log__IndexCheckpointInterval"] = indexCheckpointInterval,
    };

    [Fact]
    public async Task index_checkpoints_that_fail_on_a_full_disk_leave_the_server_running_and_succeed_when_space_returns()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test mounts a tmpfs: it needs root (as in CI)");
        string mount = Directory.CreateTempSubdirectory("attest-full-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=320m", "tmpfs", mount);
        ServerProcess? server = null;
        try
        {
            string dir = Path.Combine(mount, "data");
            var settings = Settings("00:00:01");
            server = await ServerProcess.Start(dir, settings);
            var c = server.Client;
            var acknowledged = new List<JsonElement>();
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"before the disk filled {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint at size"); // one index checkpoint made it: its files exist

            // Leave 2 MB: room for the stamps below (a few KB each) and the checkpoints, not for an index checkpoint
            // (a 64 MB hash table).
            string filler = Path.Combine(mount, "filler");
            FillLeaving(filler, mount, 2L << 20);
            int before = Count(server.Output, "Index checkpoint at size");
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"while the disk is full {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint failed");
            await Task.Delay(4000); // several more index checkpoints are tried (and fail) meanwhile
            Assert.False(server.HasExited, $"the server exited:\n{server.Output}");
            Assert.Equal(before, Count(server.Output, "Index checkpoint at size"));
            Assert.Equal(1, Count(server.Output, "Index checkpoint failed")); // once per failure streak, not every second

            // Reads go on, and the checkpoints (small) still cover the entries written while full.
            foreach (var s in acknowledged) Assert.Equal(HttpStatusCode.OK, (await c.Get($"v1/stamps/{s.Str("id")}")).Status);
            await c.CheckpointCovering(LastIndex(acknowledged) + 1);
            Assert.Equal(HttpStatusCode.OK, (await c.Get("readyz", key: null)).Status);

            // Space returns: the next index checkpoint succeeds, and the recovery is logged.
            File.Delete(filler);
            acknowledged.Add(await c.Stamp($"after the disk emptied {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoints succeed again");
            await WaitFor(server, "Index checkpoint at size", before + 1);
            await c.CheckpointCovering(LastIndex(acknowledged) + 1);

            server.Kill();
            await server.DisposeAsync();
            server = null;
            server = await ServerProcess.Start(dir, settings);
            Assert.True((await server.Client.Checkpoint()).Checkpoint.Size > LastIndex(acknowledged));
            foreach (var s in acknowledged)
            {
                var (status, body) = await server.Client.Get($"v1/stamps/{s.Str("id")}");
                Assert.True(status == HttpStatusCode.OK, $"{s.Str("id")} lost: {body.GetRawText()}");
            }
            // The index recovered a checkpoint: none written while the disk was full passed for a good one and
            // replaced it (which would make the start rebuild the index from entry 0, a full replay at 10M entries).
            var opened = System.Text.RegularExpressions.Regex.Match(server.Output, @"index from (\d+)");
            Assert.True(opened.Success && long.Parse(opened.Groups[1].Value) > 0, server.Output);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            Run("umount", "-l", mount);
            Directory.Delete(mount);
        }
    }

    [Fact]
    public async Task a_server_killed_while_an_index_checkpoint_waits_for_space_restarts_on_the_full_disk_with_every_acknowledged_entry()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test mounts a tmpfs: it needs root (as in CI)");
        string mount = Directory.CreateTempSubdirectory("attest-full-kill-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=320m", "tmpfs", mount);
        ServerProcess? server = null;
        try
        {
            string dir = Path.Combine(mount, "data");
            var settings = Settings("00:00:01");
            server = await ServerProcess.Start(dir, settings);
            var acknowledged = new List<JsonElement>();
            for (int i = 0; i < 3; i++) acknowledged.Add(await server.Client.Stamp($"before the disk filled {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint at size");
            string filler = Path.Combine(mount, "filler");
            FillLeaving(filler, mount, 2L << 20);
            for (int i = 0; i < 3; i++) acknowledged.Add(await server.Client.Stamp($"while the disk is full {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint failed");

            // SIGKILL in the middle of the index checkpoint's half-written files, and start again on the full disk.
            server.Kill();
            await server.DisposeAsync();
            server = null;
            server = await ServerProcess.Start(dir, settings);
            var c = server.Client;
            foreach (var s in acknowledged)
            {
                var (status, body) = await c.Get($"v1/stamps/{s.Str("id")}");
                Assert.True(status == HttpStatusCode.OK, $"{s.Str("id")} lost: {body.GetRawText()}");
            }
            await c.CheckpointCovering(LastIndex(acknowledged) + 1);
            var opened = System.Text.RegularExpressions.Regex.Match(server.Output, @"index from (\d+)");
            Assert.True(opened.Success && long.Parse(opened.Groups[1].Value) > 0, server.Output); // the complete checkpoint before, not none

            File.Delete(filler);
            acknowledged.Add(await c.Stamp($"after the disk emptied {Guid.NewGuid()}"));
            await c.CheckpointCovering(LastIndex(acknowledged) + 1);
            await WaitFor(server, "Index checkpoint at size");
            Assert.False(server.HasExited, server.Output);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            Run("umount", "-l", mount);
            Directory.Delete(mount);
        }
    }

    [Fact]
    public async Task a_checkpoint_that_cannot_be_written_leaves_the_server_running_and_the_next_one_covers_every_acknowledged_entry()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test mounts a tmpfs: it needs root (as in CI)");
        string mount = Directory.CreateTempSubdirectory("attest-no-inodes-").FullName;
        // Few inodes: once the test uses them up, no new file can be made (ENOSPC), while the files the server has
        // (the entry log, the hash files) still grow. checkpoint.json is replaced by a new file each time, so
        // publishing fails and accepting entries does not.
        Run("mount", "-t", "tmpfs", "-o", "size=320m,nr_inodes=400", "tmpfs", mount);
        ServerProcess? server = null;
        try
        {
            string dir = Path.Combine(mount, "data");
            var settings = Settings("01:00:00");
            server = await ServerProcess.Start(dir, settings);
            var c = server.Client;
            var acknowledged = new List<JsonElement>();
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"before the inodes ran out {i} {Guid.NewGuid()}"));
            long signed = (await c.CheckpointCovering(LastIndex(acknowledged) + 1)).Checkpoint.Size;

            string fillers = Path.Combine(mount, "fillers");
            Directory.CreateDirectory(fillers);
            for (int i = 0; ; i++)
            {
                try
                {
                    File.Create(Path.Combine(fillers, i.ToString())).Dispose();
                }
                catch (IOException)
                {
                    break; // ENOSPC: no inode left
                }
            }
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"while no file can be made {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Publishing a checkpoint failed");
            await Task.Delay(3000); // several more checkpoints are tried (and fail) meanwhile
            Assert.False(server.HasExited, $"the server exited:\n{server.Output}");
            Assert.Equal(1, Count(server.Output, "Publishing a checkpoint failed")); // once per failure streak

            // The last checkpoint is still served, reads go on, and readiness says why new entries lack proofs.
            Assert.Equal(signed, (await c.Checkpoint()).Checkpoint.Size);
            foreach (var s in acknowledged) Assert.Equal(HttpStatusCode.OK, (await c.Get($"v1/stamps/{s.Str("id")}")).Status);
            var (ready, readiness) = await c.Get("readyz", key: null);
            Assert.Equal(HttpStatusCode.OK, ready);
            Assert.StartsWith("failing", readiness.Str("checkpoint_publishing"));
            Assert.DoesNotContain(mount, readiness.GetRawText());

            // Inodes return: the next checkpoint covers every acknowledged entry, and the recovery is logged.
            Directory.Delete(fillers, recursive: true);
            acknowledged.Add(await c.Stamp($"after the inodes returned {Guid.NewGuid()}"));
            await c.CheckpointCovering(LastIndex(acknowledged) + 1);
            await WaitFor(server, "Checkpoints are published again");
            Assert.Equal("ok", (await c.Get("readyz", key: null)).Body.Str("checkpoint_publishing"));

            server.Kill();
            await server.DisposeAsync();
            server = null;
            server = await ServerProcess.Start(dir, settings);
            Assert.True((await server.Client.Checkpoint()).Checkpoint.Size > LastIndex(acknowledged));
            foreach (var s in acknowledged)
            {
                var (status, body) = await server.Client.Get($"v1/stamps/{s.Str("id")}");
                Assert.True(status == HttpStatusCode.OK, $"{s.Str("id")} lost: {body.GetRawText()}");
            }
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            Run("umount", "-l", mount);
            Directory.Delete(mount);
        }
    }

    private static long LastIndex(List<JsonElement> stamps) => stamps.Max(s => s.GetProperty("log_index").GetInt64());

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Waits until the server's output holds <paramref name="what"/> <paramref name="times"/> times; fails at once if the server exits.</summary>
    private static async Task WaitFor(ServerProcess server, string what, int times = 1)
    {
        for (int i = 0; i < 1200; i++)
        {
            if (Count(server.Output, what) >= times) return;
            Assert.False(server.HasExited, $"the server exited while the test waited for \"{what}\":\n{server.Output}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"\"{what}\" never appeared in the server's output:\n{server.Output}");
    }

    /// <summary>Writes a file of zeros that leaves <paramref name="leave"/> bytes free on the filesystem.</summary>
    private static void FillLeaving(string path, string mount, long leave)
    {
        long fill = new DriveInfo(mount).AvailableFreeSpace - leave;
        var chunk = new byte[1 << 20];
        using var f = new FileStream(path, FileMode.CreateNew);
        for (long written = 0; written < fill; written += chunk.Length) f.Write(chunk, 0, (int)Math.Min(chunk.Length, fill - written));
    }

    private static void Run(string command, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true })!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{command} {string.Join(' ', args)}: {error}");
    }
}
