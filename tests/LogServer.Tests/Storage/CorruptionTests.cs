using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Storage;

/// <summary>
/// A byte of the entry log flipped on disk while the server was down: it is found (at recovery for the entries
/// replayed then, in the background for older ones), the server says which record, stops being ready, and never
/// signs a checkpoint over it.
/// </summary>
public sealed class CorruptionTests
{
    /// <summary>Flips one byte of the stamp's content hash where the entry log holds it on disk.</summary>
    private static void FlipContentHash(string dataDir, string contentHash) =>
        EntryLogOnDisk.ChangeContentHash(dataDir, contentHash, hash => hash[10] ^= 0x01);

    private static async Task<JsonElement> WaitUnready(ServerProcess server)
    {
        for (int i = 0; i < 600; i++)
        {
            using var r = await server.Client.GetAsync("readyz");
            if (r.StatusCode == HttpStatusCode.ServiceUnavailable) return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
            await Task.Delay(100);
        }
        throw new TimeoutException($"/readyz never answered 503:\n{server.Output}");
    }

    private static async Task AssertRefusesToGoOn(ServerProcess server, long signedBefore, long corruptIndex)
    {
        var ready = await WaitUnready(server);
        Assert.Equal("entry_log_corrupt", ready.Str("reason"));
        Assert.Contains($"record {corruptIndex}", ready.GetRawText());
        Assert.Contains($"record {corruptIndex}", server.Output);
        Assert.Contains("crit:", server.Output);
        // Writes are refused, and no checkpoint is signed beyond what was signed before.
        Http.AssertError(await server.Client.Post("v1/stamps", new { content = "after the corruption" }), HttpStatusCode.ServiceUnavailable, "entry_log_corrupt");
        await Task.Delay(2500); // more than two checkpoint intervals
        Assert.Equal(signedBefore, (await server.Client.Checkpoint()).Checkpoint.Size);
    }

    [Fact]
    public async Task a_flipped_byte_in_an_entry_replayed_at_recovery_stops_the_server_from_signing_over_it()
    {
        string dir = ServerProcess.NewDataDir();
        var noCheckpoints = new Dictionary<string, string> { ["Attest__Log__CheckpointInterval"] = "01:00:00" };
        var stamps = new List<JsonElement>();
        long signed;
        await using (var server = await ServerProcess.Start(dir, noCheckpoints))
        {
            for (int i = 0; i < 3; i++) stamps.Add(await server.Client.Stamp($"replayed entry {i} {Guid.NewGuid()}"));
            signed = (await server.Client.Checkpoint()).Checkpoint.Size;
            Assert.True(signed <= stamps[0].GetProperty("log_index").GetInt64(), "the stamps are not yet in a checkpoint");
            server.Kill(); // so they are replayed from the entry log at the next start
        }
        FlipContentHash(dir, stamps[1].Str("content_hash"));

        await using (var server = await ServerProcess.Start(dir, waitReady: false))
            await AssertRefusesToGoOn(server, signed, stamps[1].GetProperty("log_index").GetInt64());
    }

    [Fact]
    public async Task a_record_that_fails_its_checksum_when_read_while_running_stops_the_log_as_well()
    {
        string dir = ServerProcess.NewDataDir();
        await using var server = await ServerProcess.Start(dir);
        var stamps = new List<JsonElement>();
        for (int i = 0; i < 3; i++) stamps.Add(await server.Client.Stamp($"read while running {i} {Guid.NewGuid()}"));
        long signed = (await server.Client.CheckpointCovering(stamps[^1].GetProperty("log_index").GetInt64() + 1)).Checkpoint.Size;
        FlipContentHash(dir, stamps[1].Str("content_hash"));

        var read = await server.Client.Get($"v1/log/entries?leaf_hash={Uri.EscapeDataString(stamps[1].Str("leaf_hash"))}", key: null);
        Http.AssertError(read, HttpStatusCode.ServiceUnavailable, "entry_log_corrupt");
        await AssertRefusesToGoOn(server, signed, stamps[1].GetProperty("log_index").GetInt64());
    }

    [Fact]
    public async Task a_flipped_byte_in_an_entry_already_checkpointed_is_found_in_the_background_after_a_restart()
    {
        string dir = ServerProcess.NewDataDir();
        var (stamps, signed) = await EntryLogOnDisk.StampThreeCheckpointedAndStop(dir, "checkpointed entry");
        FlipContentHash(dir, stamps[1].Str("content_hash"));

        await using (var server = await ServerProcess.Start(dir, waitReady: false))
            await AssertRefusesToGoOn(server, signed, stamps[1].GetProperty("log_index").GetInt64());
    }
}
