using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Tests.Log;

/// <summary>
/// A real log whose entries are not all JSON (docs/ENTRIES.md "Entry kinds"): JSON entries written through the API, then
/// two SCITT Signed Statements appended to the stopped server's entry log with the server's own storage classes (as a
/// committed record a crash left unintegrated), then the server restarted, which replays them, and more JSON entries
/// after them.
/// </summary>
public sealed class MixedLogFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public byte[] First { get; } = MixedLog.Statement("https://issuer.example", "pkg:npm/left-pad@1.3.0");

    public byte[] Second { get; } = MixedLog.Statement("https://other.example", "sbom/2026-12-07", kid: "other-key");

    /// <summary>The statements' log indexes: right after the JSON entries written before them.</summary>
    public long FirstIndex { get; private set; }

    public JsonElement StampBefore { get; private set; }

    public JsonElement StampAfter { get; private set; }

    public string AttestationAfter { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string dir = ServerProcess.NewDataDir();
        string issuerId, kid;
        await using (var before = await ServerProcess.Start(dir))
        {
            StampBefore = await before.Client.Stamp("before the statements " + Guid.NewGuid());
            issuerId = await before.Client.CreateIssuer("Mixed Log University");
            kid = (await before.Client.CreateKey(issuerId)).Str("kid");
            FirstIndex = await before.Client.TreeSize();
            await before.Client.CheckpointCovering(FirstIndex);
            await before.Stop();
        }
        await MixedLog.AppendOffline(dir, First, Second);
        Server = await ServerProcess.Start(dir);
        StampAfter = await Server.Client.Stamp("after the statements " + Guid.NewGuid());
        AttestationAfter = (await Server.Client.Mint(AttestApi.MintBody(issuerId, kid))).Str("id");
        await Server.Client.CheckpointCovering(await Server.Client.TreeSize());
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

public sealed class MixedLogTests(MixedLogFixture fixture) : IClassFixture<MixedLogFixture>
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task statements_appended_to_the_entry_log_are_replayed_at_start_in_order_between_the_json_entries()
    {
        Assert.Equal(fixture.FirstIndex + 2, fixture.StampAfter.GetProperty("log_index").GetInt64());
        var (cp, _) = await Client.Checkpoint();
        var entries = await Entries(cp.Size);
        Assert.Equal(fixture.First, entries[(int)fixture.FirstIndex]);
        Assert.Equal(fixture.Second, entries[(int)fixture.FirstIndex + 1]);
        Assert.Equal(fixture.StampBefore.Str("entry"), Encoding.UTF8.GetString(entries[(int)fixture.StampBefore.GetProperty("log_index").GetInt64()]));
        Assert.Equal(fixture.StampAfter.Str("entry"), Encoding.UTF8.GetString(entries[(int)fixture.StampAfter.GetProperty("log_index").GetInt64()]));
        // Every entry is one kind or the other: a JSON object or a COSE_Sign1 (tag 18).
        Assert.All(entries, e => Assert.True(e[0] == (byte)'{' || e[0] == 0xD2, $"an entry begins with 0x{e[0]:x2}"));
        Assert.Equal(2, entries.Count(e => e[0] == 0xD2));
    }

    [Fact]
    public async Task the_entry_bundles_and_hash_tiles_of_a_mixed_log_hash_to_its_signed_root()
    {
        var (cp, _) = await Client.Checkpoint();
        var leaves = (await Entries(cp.Size)).Select(e => Rfc6962.HashLeaf(e)).ToArray();
        Assert.Equal(cp.Root, Root(leaves));
        // The level-0 hash tile holds the statement's leaf, SHA-256(0x00 || statement), as any leaf.
        byte[] tile = await Client.GetByteArrayAsync(new Tile(0, 0, (int)cp.Size).Path);
        Assert.Equal(Rfc6962.HashLeaf(fixture.First).ToArray(), tile.AsSpan((int)fixture.FirstIndex * Hash.Size, Hash.Size).ToArray());
        // Consistency across the statements: the tree before them is a prefix of the tree after.
        var (status, proof) = await Client.Get($"v1/log/proofs/consistency?first={fixture.FirstIndex}&second={cp.Size}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(ConsistencyProof.Verify(fixture.FirstIndex, cp.Size, proof.GetProperty("proof").Hashes(), Root(leaves[..(int)fixture.FirstIndex]), cp.Root));
    }

    [Fact]
    public async Task a_statement_is_found_by_its_entry_id_with_its_bytes_in_base64_and_a_tlog_proof_that_verifies()
    {
        string id = MixedLog.EntryId(fixture.First);
        foreach (string query in new[] { id, Uri.EscapeDataString(Rfc6962.HashLeaf(fixture.First).ToBase64()) })
        {
            var (status, found) = await Client.Get($"v1/log/entries?leaf_hash={query}", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(fixture.FirstIndex, found.GetProperty("index").GetInt64());
            Assert.Equal(JsonValueKind.Null, found.GetProperty("entry").ValueKind);
            Assert.Equal(fixture.First, Convert.FromBase64String(found.Str("statement")));
            await AssertProves(found.Str("tlog_proof"), fixture.First, fixture.FirstIndex);
        }
        // A JSON entry's answer is as before: its text, and no statement member.
        var (_, stamp) = await Client.Get($"v1/log/entries?leaf_hash={Uri.EscapeDataString(fixture.StampAfter.Str("leaf_hash"))}", key: null);
        Assert.Equal(fixture.StampAfter.Str("entry"), stamp.Str("entry"));
        Assert.False(stamp.TryGetProperty("statement", out _));
    }

    [Fact]
    public async Task proofs_of_json_entries_on_both_sides_of_the_statements_still_verify()
    {
        var verifier = await Client.LogVerifier();
        foreach (var stamp in new[] { fixture.StampBefore, fixture.StampAfter })
        {
            byte[] proof = await Client.GetByteArrayAsync($"v1/stamps/{stamp.Str("id")}/proof");
            var report = StampProofVerifier.Verify(proof, verifier);
            Assert.True(report.Stamped, string.Join("; ", report.Checks.Select(c => $"{c.Name} {c.Outcome} {c.Detail}")));
        }
        var (status, full) = await Client.Get($"v1/attestations/{fixture.AttestationAfter}/proof-bundle"); // the admin's: the full bundle
        Assert.Equal(HttpStatusCode.OK, status);
        var bundle = ProofBundle.Parse(Encoding.UTF8.GetBytes(full.GetRawText()));
        var verdict = BundleVerifier.Verify(bundle, TrustPolicy.OfLogKey(verifier), null);
        Assert.True(verdict.Ok, string.Join("; ", verdict.Checks.Select(c => $"{c.Name} {c.Outcome} {c.Detail}")));
        var check = await Client.Verify(new { attestation_id = fixture.AttestationAfter });
        Assert.Equal("VALID", check.Str("status"));
    }

    [Fact]
    public async Task a_grpc_stream_of_entries_carries_the_statements_byte_for_byte()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (client, response, stream) = await RawGrpc.Open(fixture.Server, "/attest.v1.Log/StreamEntries", new Attest.V1.StreamEntriesRequest { Start = fixture.FirstIndex });
        using (client)
        using (response)
        await using (stream)
        {
            foreach (var (statement, i) in new[] { (fixture.First, fixture.FirstIndex), (fixture.Second, fixture.FirstIndex + 1) })
            {
                var entry = Attest.V1.Entry.Parser.ParseFrom(await RawGrpc.ReadMessage(stream, cts.Token));
                Assert.Equal(i, entry.Index);
                Assert.Equal(statement, entry.Entry_.ToByteArray());
            }
        }
    }

    [Fact]
    public async Task a_server_killed_after_statements_were_replayed_restarts_with_the_same_tree_and_takes_writes()
    {
        string dir = ServerProcess.NewDataDir();
        try
        {
            long at;
            await using (var first = await ServerProcess.Start(dir))
            {
                await first.Client.Stamp("first " + Guid.NewGuid());
                at = await first.Client.TreeSize();
                await first.Client.CheckpointCovering(at);
                await first.Stop();
            }
            await MixedLog.AppendOffline(dir, fixture.First);
            long size;
            Hash root;
            await using (var killed = await ServerProcess.Start(dir))
            {
                // The statement is in the tree and the log takes JSON entries after it; then SIGKILL: no shutdown code runs.
                var stamp = await killed.Client.Stamp("after the statement " + Guid.NewGuid());
                Assert.Equal(at + 1, stamp.GetProperty("log_index").GetInt64());
                var (cp, _) = await killed.Client.CheckpointCovering(at + 2);
                (size, root) = (cp.Size, cp.Root);
                killed.Kill();
            }
            await using var reopened = await ServerProcess.Start(dir);
            Assert.Equal(size, await reopened.Client.TreeSize());
            var after = await reopened.Client.Stamp("after the restart " + Guid.NewGuid());
            var (now, _) = await reopened.Client.CheckpointCovering(after.GetProperty("log_index").GetInt64() + 1);
            var leaves = (await Entries(reopened.Client, now.Size)).Select(e => Rfc6962.HashLeaf(e)).ToArray();
            Assert.Equal(now.Root, Root(leaves));
            Assert.Equal(root, Root(leaves[..(int)size]));
            Assert.Equal(fixture.First, (await Entries(reopened.Client, now.Size))[(int)at]);
            var (status, found) = await reopened.Client.Get($"v1/log/entries?leaf_hash={MixedLog.EntryId(fixture.First)}", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(fixture.First, Convert.FromBase64String(found.Str("statement")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private Task<List<byte[]>> Entries(long size) => Entries(Client, size);

    /// <summary>Every entry of the tree of <paramref name="size"/>, from the log's entry bundles (c2sp.org/tlog-tiles).</summary>
    private static async Task<List<byte[]>> Entries(HttpClient client, long size)
    {
        var all = new List<byte[]>();
        for (long n = 0; n * Tile.FullWidth < size; n++)
        {
            int width = (int)Math.Min(Tile.FullWidth, size - n * Tile.FullWidth);
            var entries = new List<byte[]>();
            Assert.True(EntryBundle.TryParse(await client.GetByteArrayAsync(new Tile(Tile.EntriesLevel, n, width).Path), width, entries));
            all.AddRange(entries);
        }
        return all;
    }

    /// <summary>MTH over the leaf hashes (RFC 6962 §2.1): split at the largest power of two below the count.</summary>
    private static Hash Root(ReadOnlySpan<Hash> leaves)
    {
        if (leaves.Length == 1) return leaves[0];
        int k = 1;
        while (k * 2 < leaves.Length) k *= 2;
        return Rfc6962.HashChildren(Root(leaves[..k]), Root(leaves[k..]));
    }

    private async Task AssertProves(string tlogProof, byte[] entry, long index)
    {
        Assert.True(TlogProof.TryParse(tlogProof, out var proof), tlogProof);
        Assert.Equal(index, proof!.Index);
        var verifier = await Client.LogVerifier();
        var opened = Note.Open(Encoding.UTF8.GetBytes(proof.SignedCheckpoint), [verifier]);
        Assert.True(Checkpoint.TryParse(opened.Text, out var cp));
        Assert.True(InclusionProof.Verify(index, cp!.Size, Rfc6962.HashLeaf(entry), [.. proof.Proof], cp.Root));
    }
}
