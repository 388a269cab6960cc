using System.Text;
using System.Text.Json;

namespace Attest.LogServer.Tests.Storage;

/// <summary>Changes to the entry log's file (entries/entries.log.0) behind a stopped server's back.</summary>
internal static class EntryLogOnDisk
{
    /// <summary>
    /// Stamps three entries, stops the server (its final checkpoint covers them, so a restart needs none of them
    /// replayed and reads them only in the background), starts it once more to read the checkpoint it signed, and
    /// stops it again. Returns the stamps and the size signed.
    /// </summary>
    public static async Task<(List<JsonElement> Stamps, long Signed)> StampThreeCheckpointedAndStop(string dataDir, string content)
    {
        var stamps = new List<JsonElement>();
        await using (var server = await ServerProcess.Start(dataDir))
        {
            for (int i = 0; i < 3; i++) stamps.Add(await server.Client.Stamp($"{content} {i} {Guid.NewGuid()}"));
            await server.Stop();
        }
        await using (var server = await ServerProcess.Start(dataDir))
        {
            long signed = (await server.Client.Checkpoint()).Checkpoint.Size;
            Assert.True(signed > stamps[^1].GetProperty("log_index").GetInt64());
            await server.Stop();
            return (stamps, signed);
        }
    }

    /// <summary>
    /// Finds a stamp's content hash (its ASCII bytes) where the entry log holds it on disk, lets <paramref name="change"/>
    /// change those bytes, and writes them back in place.
    /// </summary>
    public static void ChangeContentHash(string dataDir, string contentHash, Action<byte[]> change)
    {
        string path = Path.Combine(dataDir, "entries", "entries.log.0");
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(contentHash));
        Assert.True(at >= 0, $"the content hash {contentHash} is not in {path}");
        var hash = bytes.AsSpan(at, contentHash.Length).ToArray();
        change(hash);
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = at;
        f.Write(hash);
    }
}
