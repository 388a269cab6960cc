using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Storage;

/// <summary>
/// A change on disk that FASTER's per-entry checksum (an XOR of 8-byte words) cannot see: two bytes 8 apart swapped
/// in a record's public entry. The background check after a restart also compares each record's leaf hash with the
/// one the Merkle tree stores, finds it, and the server stops signing as for any corrupt record.
/// </summary>
public sealed class ScrubTests
{
    /// <summary>Swaps two different bytes 8 apart inside the stamp's content hash where the entry log holds it.</summary>
    private static void SwapBytesEightApart(string dataDir, string contentHash)
    {
        int i = Enumerable.Range(0, contentHash.Length - 8).First(j => contentHash[j] != contentHash[j + 8]);
        EntryLogOnDisk.ChangeContentHash(dataDir, contentHash, hash => (hash[i], hash[i + 8]) = (hash[i + 8], hash[i]));
    }

    [Fact]
    public async Task two_bytes_swapped_eight_apart_pass_the_checksum_but_the_background_check_finds_the_wrong_leaf_hash()
    {
        string dir = ServerProcess.NewDataDir();
        var (stamps, signed) = await EntryLogOnDisk.StampThreeCheckpointedAndStop(dir, "scrubbed entry");
        SwapBytesEightApart(dir, stamps[1].Str("content_hash"));
        long corrupt = stamps[1].GetProperty("log_index").GetInt64();

        await using (var server = await ServerProcess.Start(dir, waitReady: false))
        {
            JsonElement ready = default;
            for (int i = 0; i < 300 && ready.ValueKind == JsonValueKind.Undefined; i++)
            {
                using var r = await server.Client.GetAsync("readyz");
                if (r.StatusCode == HttpStatusCode.ServiceUnavailable) ready = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
                else await Task.Delay(100);
            }
            Assert.True(ready.ValueKind != JsonValueKind.Undefined, $"the swapped bytes went unnoticed for 30 s:\n{server.Output}");
            Assert.Equal("entry_log_corrupt", ready.Str("reason"));
            Assert.Contains($"record {corrupt} ", ready.Str("message"));
            Assert.Contains("leaf hash", ready.Str("message"));
            Assert.Contains("crit:", server.Output);
            // No checkpoint is signed over it, and writes are refused.
            Http.AssertError(await server.Client.Post("v1/stamps", new { content = "after the swap" }), HttpStatusCode.ServiceUnavailable, "entry_log_corrupt");
            await Task.Delay(2500); // more than two checkpoint intervals
            Assert.Equal(signed, (await server.Client.Checkpoint()).Checkpoint.Size);
        }
    }
}
