using System.Net;
using System.Text;
using System.Text.Json;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Api;

/// <summary>The public read API against a real server: C2SP checkpoints, tiles, entry bundles and proofs.</summary>
public sealed class LogApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    private async Task<(Checkpoint Checkpoint, string Note)> LogWith(int entries)
    {
        long have = await Client.TreeSize();
        await Parallel.ForAsync(have, entries, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) => await Client.Stamp($"entry {i}"));
        return await Client.CheckpointCovering(entries);
    }

    [Fact]
    public async Task the_checkpoint_is_a_c2sp_signed_note_under_the_published_key()
    {
        var (status, key) = await Client.Get("v1/log/key", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("test.attest.local/log", key.GetProperty("origin").GetString());
        var (cp, note) = await Client.Checkpoint();
        Assert.Equal("test.attest.local/log", cp.Origin);
        Assert.StartsWith("test.attest.local/log\n", note);
        Assert.Contains("\n\n\u2014 test.attest.local/log ", note);
    }

    [Fact]
    public async Task hash_tiles_and_entry_bundles_rebuild_the_signed_root()
    {
        var (cp, _) = await LogWith(300);
        var tiles = new TileHashReader(cp.Size, cp.Root, t => Client.GetByteArrayAsync(t.Path).GetAwaiter().GetResult());
        Assert.Equal(cp.Root, StoredHashes.TreeHash(cp.Size, tiles));

        // Every entry in the bundles hashes to the leaf the verified tiles hold, and is the canonical stamp entry.
        var entries = new List<byte[]>();
        for (long n = 0; n * 256 < cp.Size; n++)
        {
            int width = (int)Math.Min(256, cp.Size - n * 256);
            var bundle = await Client.GetByteArrayAsync(new Tile(-1, n, width).Path);
            Assert.True(EntryBundle.TryParse(bundle, width, entries));
        }
        Assert.Equal(cp.Size, entries.Count);
        var leaves = new Hash[1];
        for (int i = 0; i < entries.Count; i++)
        {
            tiles.ReadHashes([StoredHashes.StoredHashIndex(0, i)], leaves);
            Assert.Equal(Rfc6962.HashLeaf(entries[i]), leaves[0]);
            Assert.Equal("stamp/v1", JsonDocument.Parse(entries[i]).RootElement.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task an_inclusion_proof_is_a_tlog_proof_against_the_latest_checkpoint()
    {
        var (cp, _) = await LogWith(20);
        var verifier = await Client.LogVerifier();
        var stamp = await Client.Stamp("included " + Guid.NewGuid());
        long index = stamp.GetProperty("log_index").GetInt64();
        cp = (await Client.CheckpointCovering(index + 1)).Checkpoint;

        var text = await Client.GetStringAsync($"v1/log/proofs/inclusion?index={index}");
        Assert.True(TlogProof.TryParse(text, out var proof));
        Assert.Equal(index, proof!.Index);
        var signed = Note.Open(Encoding.UTF8.GetBytes(proof.SignedCheckpoint), [verifier]);
        Assert.True(Checkpoint.TryParse(signed.Text, out var proofCp));
        var leaf = Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(stamp.GetProperty("entry").GetString()!));
        Assert.True(InclusionProof.Verify(index, proofCp!.Size, leaf, [.. proof.Proof], proofCp.Root));
        Assert.False(InclusionProof.Verify(index, proofCp.Size, Rfc6962.HashLeaf("other"u8), [.. proof.Proof], proofCp.Root));

        // With tree_size: JSON, against the root of that older size (computed from tiles verified by the checkpoint).
        long size = index + 1;
        var (status, json) = await Client.Get($"v1/log/proofs/inclusion?index={index}&tree_size={size}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(index, json.GetProperty("index").GetInt64());
        Assert.Equal(size, json.GetProperty("tree_size").GetInt64());
        var tiles = new TileHashReader(proofCp.Size, proofCp.Root, t => Client.GetByteArrayAsync(t.Path).GetAwaiter().GetResult());
        var oldRoot = StoredHashes.TreeHash(size, tiles);
        Assert.True(InclusionProof.Verify(index, size, leaf, json.GetProperty("proof").Hashes(), oldRoot));
    }

    [Fact]
    public async Task consistency_proofs_link_every_pair_of_published_checkpoints()
    {
        var (first, _) = await LogWith(40);
        var (second, _) = await LogWith((int)first.Size + 37);
        var (status, body) = await Client.Get($"v1/log/proofs/consistency?first={first.Size}&second={second.Size}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(first.Size, body.GetProperty("first").GetInt64());
        Assert.Equal(second.Size, body.GetProperty("second").GetInt64());
        var proof = body.GetProperty("proof").Hashes();
        Assert.True(ConsistencyProof.Verify(first.Size, second.Size, proof, first.Root, second.Root));
        Assert.False(ConsistencyProof.Verify(first.Size, second.Size, proof, second.Root, first.Root));
    }

    [Fact]
    public async Task full_tiles_are_cached_as_immutable_and_the_checkpoint_briefly()
    {
        var (cp, _) = await LogWith(257);
        using var full = await Client.GetAsync("tile/0/000");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Contains("immutable", full.Headers.CacheControl!.ToString());
        Assert.Equal(256 * 32, (await full.Content.ReadAsByteArrayAsync()).Length);
        using var checkpoint = await Client.GetAsync("checkpoint");
        Assert.Equal("text/plain", checkpoint.Content.Headers.ContentType!.MediaType);
        Assert.True(checkpoint.Headers.CacheControl!.MaxAge <= TimeSpan.FromSeconds(10));
        using var partial = await Client.GetAsync(new Tile(0, 1, (int)(cp.Size - 256)).Path);
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.DoesNotContain("immutable", partial.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("tile/0/x001/000")]          // beyond the tree
    [InlineData("tile/entries/x999/999")]
    [InlineData("tile/0/000.p/0")]           // not a canonical path
    [InlineData("tile/0/0000")]
    [InlineData("tile/9/abc")]
    [InlineData("tile/0/000.p/255")]         // a partial width the tree never had
    public async Task unknown_tiles_are_404_with_a_json_error(string path)
    {
        await LogWith(3);
        Http.AssertError(await Client.Get(path, key: null), HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("v1/log/proofs/inclusion", "missing_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=abc", "invalid_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=-1", "invalid_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=01", "invalid_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=%2B1", "invalid_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=1&index=2", "invalid_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=99999999999999999999", "invalid_parameter")]
    [InlineData("v1/log/proofs/inclusion?index=1000000", "index_out_of_range")]
    [InlineData("v1/log/proofs/inclusion?index=0&tree_size=0", "parameter_out_of_range")]
    [InlineData("v1/log/proofs/inclusion?index=0&tree_size=1000000", "parameter_out_of_range")]
    [InlineData("v1/log/proofs/inclusion?index=2&tree_size=2", "index_out_of_range")]
    [InlineData("v1/log/proofs/consistency?first=0&second=2", "parameter_out_of_range")]
    [InlineData("v1/log/proofs/consistency?first=3&second=2", "parameter_out_of_range")]
    [InlineData("v1/log/proofs/consistency?first=1&second=1000000", "parameter_out_of_range")]
    [InlineData("v1/log/proofs/consistency?first=1", "missing_parameter")]
    public async Task malformed_or_out_of_range_proof_parameters_are_400(string path, string code)
    {
        await LogWith(3);
        Http.AssertError(await Client.Get(path, key: null), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task unknown_routes_get_a_json_404()
    {
        Http.AssertError(await Client.Get("v1/nothing-here", key: null), HttpStatusCode.NotFound, "not_found");
    }
}
