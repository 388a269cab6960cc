using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Storage;

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
        using var disk = Tmpfs.Mount("size=320m", "attest-full-");
        string dir = disk.File("data");
        var settings = Settings("00:00:01");
        ServerProcess? server = null;
        try
        {
            (server, var acknowledged, string filler) = await StartAndFillAfterAnIndexCheckpoint(disk, dir, settings);
            var c = server.Client;
            int before = Count(server.Output, "Index checkpoint at size");
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"while the disk is full {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint failed");
            await Task.Delay(4000); // several more index checkpoints are tried (and fail) meanwhile
            Assert.False(server.HasExited, $"the server exited:\n{server.Output}");
            Assert.Equal(before, Count(server.Output, "Index checkpoint at size"));
            Assert.Equal(1, Count(server.Output, "Index checkpoint failed")); // once per failure streak, not every second

            // Reads go on, and the checkpoints (small) still cover the entries written while full.
            await AssertNoneLost(c, acknowledged);
            await Covered(server, LastIndex(acknowledged) + 1);
            Assert.Equal(HttpStatusCode.OK, (await c.Get("readyz", key: null)).Status);

            // Space returns: the next index checkpoint succeeds, and the recovery is logged.
            File.Delete(filler);
            acknowledged.Add(await c.Stamp($"after the disk emptied {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoints succeed again");
            await WaitFor(server, "Index checkpoint at size", before + 1);
            await Covered(server, LastIndex(acknowledged) + 1);

            server = await KillAndRestart(server, dir, settings);
            Assert.True((await server.Client.Checkpoint()).Checkpoint.Size > LastIndex(acknowledged));
            await AssertNoneLost(server.Client, acknowledged);
            // The index recovered a checkpoint: none written while the disk was full passed for a good one and
            // replaced it (which would make the start rebuild the index from entry 0, a full replay at 10M entries).
            AssertIndexOpenedFromACheckpoint(server);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task a_server_killed_while_an_index_checkpoint_waits_for_space_restarts_on_the_full_disk_with_every_acknowledged_entry()
    {
        using var disk = Tmpfs.Mount("size=320m", "attest-full-kill-");
        string dir = disk.File("data");
        var settings = Settings("00:00:01");
        ServerProcess? server = null;
        try
        {
            (server, var acknowledged, string filler) = await StartAndFillAfterAnIndexCheckpoint(disk, dir, settings);
            for (int i = 0; i < 3; i++) acknowledged.Add(await server.Client.Stamp($"while the disk is full {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint failed");

            // SIGKILL while index checkpoints wait for space (refused before they write), and start again on the full disk.
            server = await KillAndRestart(server, dir, settings);
            var c = server.Client;
            await AssertNoneLost(c, acknowledged);
            await Covered(server, LastIndex(acknowledged) + 1);
            AssertIndexOpenedFromACheckpoint(server); // the complete checkpoint before, not none

            File.Delete(filler);
            acknowledged.Add(await c.Stamp($"after the disk emptied {Guid.NewGuid()}"));
            await Covered(server, LastIndex(acknowledged) + 1);
            await WaitFor(server, "Index checkpoint at size");
            Assert.False(server.HasExited, server.Output);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task a_checkpoint_that_cannot_be_written_leaves_the_server_running_and_the_next_one_covers_every_acknowledged_entry()
    {
        // Few inodes: once the test uses them up, no new file can be made (ENOSPC), while the files the server has
        // (the entry log, the hash files) still grow. checkpoint.json is replaced by a new file each time, so
        // publishing fails and accepting entries does not.
        using var disk = Tmpfs.Mount("size=320m,nr_inodes=400", "attest-no-inodes-");
        string dir = disk.File("data");
        var settings = Settings("01:00:00");
        ServerProcess? server = null;
        try
        {
            server = await ServerProcess.Start(dir, settings);
            var c = server.Client;
            var acknowledged = new List<JsonElement>();
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"before the inodes ran out {i} {Guid.NewGuid()}"));
            long signed = await Covered(server, LastIndex(acknowledged) + 1);

            string fillers = disk.UseUpInodes("fillers");
            for (int i = 0; i < 3; i++) acknowledged.Add(await c.Stamp($"while no file can be made {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Publishing a checkpoint failed");
            await Task.Delay(3000); // several more checkpoints are tried (and fail) meanwhile
            Assert.False(server.HasExited, $"the server exited:\n{server.Output}");
            Assert.Equal(1, Count(server.Output, "Publishing a checkpoint failed")); // once per failure streak

            // The last checkpoint is still served, reads go on, and readiness says why new entries lack proofs.
            Assert.Equal(signed, (await c.Checkpoint()).Checkpoint.Size);
            await AssertNoneLost(c, acknowledged);
            var (ready, readiness) = await c.Get("readyz", key: null);
            Assert.Equal(HttpStatusCode.OK, ready);
            Assert.StartsWith("failing", readiness.Str("checkpoint_publishing"));
            Assert.DoesNotContain(disk.Path, readiness.GetRawText());

            // Inodes return: the next checkpoint covers every acknowledged entry, and the recovery is logged.
            Directory.Delete(fillers, recursive: true);
            acknowledged.Add(await c.Stamp($"after the inodes returned {Guid.NewGuid()}"));
            await Covered(server, LastIndex(acknowledged) + 1);
            await WaitFor(server, "Checkpoints are published again");
            Assert.Equal("ok", (await c.Get("readyz", key: null)).Body.Str("checkpoint_publishing"));

            server = await KillAndRestart(server, dir, settings);
            Assert.True((await server.Client.Checkpoint()).Checkpoint.Size > LastIndex(acknowledged));
            await AssertNoneLost(server.Client, acknowledged);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts a server on the tmpfs, stamps three entries, waits until one index checkpoint made it (its files exist),
    /// and fills the disk to leave 2 MB: room for a few stamps (a few KB each) and the checkpoints, not for an index
    /// checkpoint (a 64 MB hash table). Returns the stamps and the filler's path.
    /// </summary>
    private static async Task<(ServerProcess Server, List<JsonElement> Acknowledged, string Filler)> StartAndFillAfterAnIndexCheckpoint(
        Tmpfs disk, string dir, Dictionary<string, string> settings)
    {
        var server = await ServerProcess.Start(dir, settings);
        try
        {
            var acknowledged = new List<JsonElement>();
            for (int i = 0; i < 3; i++) acknowledged.Add(await server.Client.Stamp($"before the disk filled {i} {Guid.NewGuid()}"));
            await WaitFor(server, "Index checkpoint at size");
            return (server, acknowledged, disk.FillLeaving("filler", 2L << 20));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits for a checkpoint covering <paramref name="size"/> entries; when none comes, the server's own account of
    /// its publishing on the full disk is the evidence to read, so it goes into the failure.
    /// </summary>
    private static async Task<long> Covered(ServerProcess server, long size)
    {
        try
        {
            return (await server.Client.CheckpointCovering(size)).Checkpoint.Size;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the server said:\n{server.Output}", e);
        }
    }

    /// <summary>SIGKILL, and start again on the same data directory.</summary>
    private static async Task<ServerProcess> KillAndRestart(ServerProcess server, string dir, Dictionary<string, string> settings)
    {
        server.Kill();
        await server.DisposeAsync();
        return await ServerProcess.Start(dir, settings);
    }

    /// <summary>Every acknowledged stamp reads back.</summary>
    private static async Task AssertNoneLost(HttpClient c, List<JsonElement> acknowledged)
    {
        foreach (var s in acknowledged)
        {
            var (status, body) = await c.Get($"v1/stamps/{s.Str("id")}");
            Assert.True(status == HttpStatusCode.OK, $"{s.Str("id")} lost: {body.GetRawText()}");
        }
    }

    /// <summary>The index opened from a checkpoint past entry 0, not from nothing.</summary>
    private static void AssertIndexOpenedFromACheckpoint(ServerProcess server)
    {
        var opened = System.Text.RegularExpressions.Regex.Match(server.Output, @"index from (\d+)");
        Assert.True(opened.Success && long.Parse(opened.Groups[1].Value) > 0, server.Output);
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
}
