using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>Public JWKs as an outside issuer sends them (RFC 7518 §6.2.1, RFC 8037 §2).</summary>
internal static class Jwks
{
    public static JsonObject Es256(ECDsa key)
    {
        var q = key.ExportParameters(false).Q;
        return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = AttestApi.B64Url(q.X), ["y"] = AttestApi.B64Url(q.Y) };
    }

    public static JsonObject Ed25519(ReadOnlySpan<byte> publicKey) => new() { ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = AttestApi.B64Url(publicKey) };
}

/// <summary>The log as a monitor reads it: every entry, from the entry tiles of the newest checkpoint.</summary>
internal static class ScittLog
{
    public static async Task<List<byte[]>> Entries(HttpClient client)
    {
        var (cp, _) = await client.CheckpointCovering(await client.TreeSize());
        var entries = new List<byte[]>();
        foreach (var tile in Tile.NewTiles(0, cp.Size).Where(t => t.Level == 0))
            Assert.True(EntryBundle.TryParse(await client.GetByteArrayAsync(new Tile(Tile.EntriesLevel, tile.N, tile.Width).Path), tile.Width, entries));
        return entries;
    }
}
