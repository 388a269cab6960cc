using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// The independent checks of what the transparency service returns: tests/interop/scitt/verify-receipt.mjs verifies
/// receipts with npm @transmute/cose, and decode.py reads CBOR with Debian's python3-cbor2 (scripts/test installs both).
/// </summary>
public static class ScittInterop
{
    private static string Folder => ExternalTools.Interop("scitt");

    /// <summary>GET of a binary resource: its status, content type and bytes.</summary>
    public static async Task<(HttpStatusCode Status, string? ContentType, byte[] Body, HttpResponseMessage Response)> GetBytes(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync(), response);
    }

    /// <summary>Runs verify-receipt.mjs on files holding <paramref name="keySet"/>, <paramref name="receipt"/> and the entry (or, for a consistency receipt, the two roots).</summary>
    public static async Task<(ProcessResult Result, JsonElement Output)> VerifyReceipt(byte[] keySet, byte[] receipt, byte[]? entry = null, string? oldRoot = null, string? newRoot = null)
    {
        await ExternalTools.NpmCi(Folder, "@transmute/cose");
        string dir = Directory.CreateTempSubdirectory("attest-receipt-").FullName;
        try
        {
            string keys = Path.Combine(dir, "keys.cbor"), receiptFile = Path.Combine(dir, "receipt.cbor"), entryFile = Path.Combine(dir, "entry");
            await File.WriteAllBytesAsync(keys, keySet);
            await File.WriteAllBytesAsync(receiptFile, receipt);
            List<string> args = [Path.Combine(Folder, "verify-receipt.mjs"), "--keys", keys, "--receipt", receiptFile];
            if (entry is not null)
            {
                await File.WriteAllBytesAsync(entryFile, entry);
                args.AddRange(["--entry", entryFile]);
            }
            else args.AddRange(["--consistency", "--old-root", oldRoot!, "--new-root", newRoot!]);
            var result = await ExternalTools.Run("node", [.. args], Folder, TimeSpan.FromMinutes(1));
            var line = result.Stdout.Split('\n').LastOrDefault(l => l.StartsWith('{')) ?? "{}";
            return (result, JsonDocument.Parse(line).RootElement.Clone());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>decode.py: the CBOR item as JSON (bytes as {"bytes": hex}, tags as {"tag", "value"}, map keys as text).</summary>
    public static async Task<JsonElement> Decode(byte[] cbor, bool thumbprints = false)
    {
        string file = Path.Combine(Path.GetTempPath(), $"attest-cbor-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(file, cbor);
            var result = await ExternalTools.Run("/usr/bin/python3", [Path.Combine(Folder, "decode.py"), .. thumbprints ? new[] { "--thumbprints" } : [], file], Folder, TimeSpan.FromMinutes(1));
            Assert.True(result.ExitCode == 0, "python3-cbor2 could not decode it (apt-get install python3-cbor2): " + result);
            return JsonDocument.Parse(result.Stdout).RootElement.Clone();
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static byte[] Bytes(this JsonElement decoded) => Convert.FromHexString(decoded.GetProperty("bytes").GetString()!);
}
