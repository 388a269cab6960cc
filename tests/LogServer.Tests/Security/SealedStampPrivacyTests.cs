using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.LogServer.Tests.Api;
using Attest.Merkle;
using Attest.V1;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// A sealed stamp's content, title and tags before its reveal, sought through every read path by anyone: no key,
/// another issuer's key, and the creator and the admin themselves (a sealed stamp opens for nobody early). And the gRPC
/// twins of sealing and revealing.
/// </summary>
public sealed class SealedStampPrivacyTests(SealedStampFixture fixture) : IClassFixture<SealedStampFixture>
{
    private HttpClient Client => fixture.Client;

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public async Task no_read_path_gives_anyone_a_sealed_stamps_content_or_title_before_its_reveal()
    {
        string secret = "secret" + Guid.NewGuid().ToString("N");
        string title = "title" + Guid.NewGuid().ToString("N");
        long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        var (status, stamp) = await Client.Post("v1/stamps", new { content = secret, visibility = "sealed", sealed_until = until, display_title = title }, key: fixture.ApiKey);
        Assert.Equal(HttpStatusCode.Created, status);
        string id = stamp.Str("id");
        var seen = new StringBuilder(stamp.ToString());

        // REST: the stamp as everyone reads it; no key is 401.
        Http.AssertError(await Client.Get($"v1/stamps/{id}", key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        foreach (string key in new[] { fixture.ApiKey, fixture.OtherApiKey, ServerProcess.AdminKey })
            seen.Append((await Client.Get($"v1/stamps/{id}", key)).Body);
        // The public proof, the earliest-stamp verify (which only the hash finds), the entry by its leaf hash.
        var (_, proof) = await Client.Get($"v1/stamps/{id}/proof", key: null);
        Assert.False(proof.TryGetProperty("reveal", out _));
        seen.Append(proof);
        var (_, verified) = await Client.Post("v1/verify", new { content = secret }, key: null);
        Assert.True(verified.GetProperty("verified").GetBoolean());
        Assert.Equal(id, verified.Str("stamp_id"));
        seen.Append(verified);
        seen.Append((await Client.Get($"v1/log/entries?leaf_hash={Uri.EscapeDataString(stamp.Str("leaf_hash"))}", key: null)).Body);
        // Every entry of the log, as a monitor reads them from the entry tiles.
        long size = await Client.TreeSize();
        var (cp, _) = await Client.CheckpointCovering(size);
        var entries = new List<byte[]>();
        foreach (var tile in Tile.NewTiles(0, cp.Size).Where(t => t.Level == 0))
            Assert.True(EntryBundle.TryParse(await Client.GetByteArrayAsync(new Tile(Tile.EntriesLevel, tile.N, tile.Width).Path), tile.Width, entries));
        foreach (var e in entries) seen.Append(Encoding.UTF8.GetString(e));
        Assert.Contains(entries, e => Encoding.UTF8.GetString(e) == stamp.Str("entry"));
        // gRPC Stamps.Get, as the creator, a stranger and the admin.
        foreach (string? key in new[] { fixture.ApiKey, fixture.OtherApiKey, ServerProcess.AdminKey })
        {
            var (code, message, reply) = await RawGrpc.CallAs(fixture.Server, key, "/attest.v1.Stamps/Get", new GetStampRequest { Id = id });
            Assert.True(code == 0, message);
            var s = V1.Stamp.Parser.ParseFrom(reply);
            Assert.Equal("", s.Content);
            Assert.Equal("Sealed stamp", s.DisplayTitle);
            Assert.False(s.Revealed);
            Assert.Equal(until, s.SealedUntil);
            seen.Append(s);
        }
        Assert.Equal(16, (await RawGrpc.CallAs(fixture.Server, null, "/attest.v1.Stamps/Get", new GetStampRequest { Id = id })).Status);

        string all = seen.ToString();
        Assert.Contains(Sha256Hex(secret), all);
        Assert.DoesNotContain(secret, all);
        Assert.DoesNotContain(title, all);
        Assert.DoesNotContain(secret, fixture.Server.Output);
        Assert.DoesNotContain(title, fixture.Server.Output);
    }

    [Fact]
    public async Task grpc_seals_and_reveals_with_the_same_rules_and_error_codes_as_rest()
    {
        string content = "grpc sealed " + Guid.NewGuid();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var (code, message, _) = await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Create",
            new CreateStampRequest { Content = content, Visibility = "sealed" });
        Assert.Equal((3, "missing_sealed_until"), (code, message?.Split(':')[0]));
        (code, message, _) = await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Create",
            new CreateStampRequest { Content = content, Visibility = "sealed", SealedUntil = now });
        Assert.Equal((3, "seal_too_soon"), (code, message?.Split(':')[0]));

        long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + SealedStampFixture.MinSealSeconds + 3;
        (code, message, var reply) = await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Create",
            new CreateStampRequest { Content = content, Visibility = "sealed", SealedUntil = until, DisplayTitle = "via grpc" });
        Assert.True(code == 0, message);
        var sealedStamp = V1.Stamp.Parser.ParseFrom(reply);
        Assert.Equal(until, sealedStamp.SealedUntil);
        Assert.Equal("", sealedStamp.Content);
        Assert.Equal(Sha256Hex(content), sealedStamp.ContentHash);
        var reveal = new RevealStampRequest { Id = sealedStamp.Id };

        long size = await Client.TreeSize();
        Assert.Equal((3, "still_sealed"), Short(await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Reveal", reveal)));
        Assert.Equal((7, "not_owner"), Short(await RawGrpc.CallAs(fixture.Server, fixture.OtherApiKey, "/attest.v1.Stamps/Reveal", reveal)));
        Assert.Equal(16, (await RawGrpc.CallAs(fixture.Server, null, "/attest.v1.Stamps/Reveal", reveal)).Status);
        Assert.Equal((5, "not_found"), Short(await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Reveal", new RevealStampRequest { Id = Guid.NewGuid().ToString() })));
        Assert.Equal((3, "invalid_id"), Short(await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Reveal", new RevealStampRequest { Id = "x" })));
        Assert.Equal(size, await Client.TreeSize());

        await SealedStampFixture.WaitPast(until);
        (code, message, reply) = await RawGrpc.CallAs(fixture.Server, fixture.ApiKey, "/attest.v1.Stamps/Reveal", reveal);
        Assert.True(code == 0, message);
        var revealed = V1.Stamp.Parser.ParseFrom(reply);
        Assert.True(revealed.Revealed);
        Assert.Equal(content, revealed.Content);
        Assert.Equal(size, revealed.RevealLogIndex);
        Assert.Equal((6, "already_revealed"), Short(await RawGrpc.CallAs(fixture.Server, ServerProcess.AdminKey, "/attest.v1.Stamps/Reveal", reveal)));

        // REST reads the gRPC reveal back, to a stranger too.
        var (_, rest) = await Client.Get($"v1/stamps/{sealedStamp.Id}", fixture.OtherApiKey);
        Assert.Equal(content, rest.Str("content"));
        Assert.Equal(size, rest.GetProperty("reveal_log_index").GetInt64());
    }

    private static (int, string?) Short((int Status, string? Message, byte[] _) r) => (r.Status, r.Message?.Split(':')[0]);
}
