using System.Formats.Cbor;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// COSE receipts (RFC 9942) of log entries against a real server, checked by code nobody here wrote: @transmute/cose
/// verifies them against the key set of /.well-known/scitt-keys, python3-cbor2 reads every CBOR body, and the roots
/// are compared with the signed C2SP checkpoints and the tiles.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReceiptTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    /// <summary>An attestation, its log entry's bytes (from its proof bundle, which waits for a checkpoint) and the bundle.</summary>
    private async Task<(long Index, byte[] Entry, JsonElement Bundle)> Attestation()
    {
        string issuer = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuer)).Str("kid");
        var a = await Client.Mint(AttestApi.MintBody(issuer, kid));
        var (status, bundle) = await Client.Get($"v1/attestations/{a.Str("id")}/proof-bundle");
        Assert.True(status == HttpStatusCode.OK, bundle.GetRawText());
        var logEntry = bundle.GetProperty("log_entry");
        return (logEntry.GetProperty("index").GetInt64(), Encoding.UTF8.GetBytes(logEntry.Str("entry")), bundle);
    }

    private async Task<byte[]> Receipt(long index)
    {
        var (status, type, body, _) = await Client.GetBytes($"v1/log/entries/{index}/receipt");
        Assert.True(status == HttpStatusCode.OK, $"{status}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal("application/cose", type);
        return body;
    }

    private async Task<byte[]> KeySet()
    {
        var (status, type, body, _) = await Client.GetBytes(".well-known/scitt-keys");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/cbor", type);
        return body;
    }

    /// <summary>The root at <paramref name="size"/>, from hash tiles checked against the latest signed checkpoint.</summary>
    private async Task<Hash> SignedRootAt(long size)
    {
        var (cp, _) = await Client.CheckpointCovering(size);
        var tiles = new TileHashReader(cp.Size, cp.Root, t => Client.GetByteArrayAsync(t.Path).GetAwaiter().GetResult());
        return StoredHashes.TreeHash(size, tiles);
    }

    private static Checkpoint BundleCheckpoint(JsonElement bundle)
    {
        string note = bundle.GetProperty("log").Str("checkpoint");
        string text = note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
        Assert.True(Checkpoint.TryParse(text, out var cp));
        return cp!;
    }

    [Fact]
    public async Task a_receipt_of_an_attestation_entry_verifies_with_transmute_cose_and_its_root_is_the_signed_checkpoints()
    {
        var (index, entry, bundle) = await Attestation();
        var receipt = await Receipt(index);
        var (result, output) = await ScittInterop.VerifyReceipt(await KeySet(), receipt, entry);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(output.GetProperty("verified").GetBoolean());
        Assert.Equal(index, output.GetProperty("leaf_index").GetInt64());
        long size = output.GetProperty("tree_size").GetInt64();
        Assert.True(size > index);
        Assert.Equal((await SignedRootAt(size)).ToHex(), output.Str("root"));

        // The bundle's receipt is over the bundle's own checkpoint.
        var cp = BundleCheckpoint(bundle);
        (result, output) = await ScittInterop.VerifyReceipt(await KeySet(), Convert.FromBase64String(bundle.Str("receipt")), entry);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(cp.Size, output.GetProperty("tree_size").GetInt64());
        Assert.Equal(cp.Root.ToHex(), output.Str("root"));
    }

    [Fact]
    public async Task receipts_over_one_checkpoint_share_one_signature_so_reading_them_makes_the_service_sign_nothing_more()
    {
        var (index, entry, _) = await Attestation();
        var keys = await KeySet();
        // Nothing else writes to this fixture's log meanwhile (the class's tests run one at a time), so both are over one tree.
        var first = Parts(await Receipt(0));
        var second = Parts(await Receipt(index));
        Assert.Equal(first.Size, second.Size);
        Assert.Equal(first.Protected, second.Protected);
        Assert.Equal(first.Signature, second.Signature);
        Assert.NotEqual(first.Proof, second.Proof);
        var (result, _) = await ScittInterop.VerifyReceipt(keys, await Receipt(index), entry);
        Assert.True(result.ExitCode == 0, result.ToString());

        // A new checkpoint gets its own signature.
        await Client.Stamp("another tree " + Guid.NewGuid());
        var (cp, _) = await Client.CheckpointCovering(first.Size + 1);
        var third = Parts(await Receipt(0));
        Assert.True(third.Size > first.Size, $"{third.Size} after {first.Size} (checkpoint {cp.Size})");
        Assert.NotEqual(first.Signature, third.Signature);

        // Many first receipts of a new checkpoint at once still make one signature (ES256 signatures are randomized,
        // so two signings would differ).
        await Client.Stamp("a tree read at once " + Guid.NewGuid());
        await Client.CheckpointCovering(third.Size + 1);
        var atOnce = (await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Receipt(i % (index + 1))))).Select(Parts).ToList();
        Assert.Single(atOnce.Select(p => p.Size).Distinct());
        Assert.Single(atOnce.Select(p => Convert.ToHexString(p.Signature)).Distinct());
        Assert.NotEqual(third.Signature, atOnce[0].Signature);
    }

    /// <summary>A receipt's protected header, its one inclusion proof's tree size and bytes, and its signature.</summary>
    private static (byte[] Protected, long Size, byte[] Proof, byte[] Signature) Parts(byte[] receipt)
    {
        var r = new CborReader(receipt);
        Assert.Equal((CborTag)18, r.ReadTag());
        Assert.Equal(4, r.ReadStartArray());
        byte[] protectedHeader = r.ReadByteString();
        Assert.Equal(1, r.ReadStartMap());
        Assert.Equal(396, r.ReadInt32());
        Assert.Equal(1, r.ReadStartMap());
        Assert.Equal(-1, r.ReadInt32());
        Assert.Equal(1, r.ReadStartArray());
        byte[] proof = r.ReadByteString();
        r.ReadEndArray();
        r.ReadEndMap();
        r.ReadEndMap();
        r.ReadNull();
        byte[] signature = r.ReadByteString();
        var p = new CborReader(proof);
        p.ReadStartArray();
        return (protectedHeader, p.ReadInt64(), proof, signature);
    }

    [Fact]
    public async Task every_entry_kind_has_a_receipt_a_stamp_an_issuer_and_a_key_event()
    {
        var stamp = await Client.Stamp("receipted " + Guid.NewGuid());
        long stampIndex = stamp.GetProperty("log_index").GetInt64();
        await Client.CheckpointCovering(stampIndex + 1);
        var keys = await KeySet();
        var (result, _) = await ScittInterop.VerifyReceipt(keys, await Receipt(stampIndex), Encoding.UTF8.GetBytes(stamp.Str("entry")));
        Assert.True(result.ExitCode == 0, result.ToString());

        // The issuer's and its key's entries, as the bundle carries them.
        var (_, _, bundle) = await Attestation();
        var issuerEntry = bundle.GetProperty("issuer").GetProperty("log_entry");
        var keyEntry = bundle.GetProperty("issuer_key").GetProperty("log_entries")[0];
        foreach (var e in new[] { issuerEntry, keyEntry })
        {
            (result, _) = await ScittInterop.VerifyReceipt(keys, await Receipt(e.GetProperty("index").GetInt64()), Encoding.UTF8.GetBytes(e.Str("entry")));
            Assert.True(result.ExitCode == 0, result.ToString());
        }
    }

    [Fact]
    public async Task a_tampered_receipt_a_wrong_leaf_and_another_key_fail()
    {
        var (index, entry, _) = await Attestation();
        var receipt = await Receipt(index);
        var keys = await KeySet();

        var badSignature = (byte[])receipt.Clone();
        badSignature[^1] ^= 1;
        var decoded = await ScittInterop.Decode(receipt);
        var proof = await ScittInterop.Decode(decoded.GetProperty("value")[1].GetProperty("396").GetProperty("-1")[0].Bytes());
        var firstHash = proof[2][0].Bytes();
        var badPath = (byte[])receipt.Clone();
        badPath[receipt.AsSpan().IndexOf(firstHash) + 7] ^= 0x80;
        byte[] wrongLeaf = [.. entry, (byte)' '];

        var kid = await Kid();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherKeys = KeySetOf(other.ExportParameters(false), kid);
        var otherKid = KeySetOf(other.ExportParameters(false), SHA256.HashData(kid));

        foreach (var (what, k, r, e) in new[]
        {
            ("a flipped signature bit", keys, badSignature, entry), ("a changed path hash", keys, badPath, entry),
            ("another entry as the leaf", keys, receipt, wrongLeaf), ("another key under the same kid", otherKeys, receipt, entry),
            ("a key set without the kid", otherKid, receipt, entry),
        })
        {
            var (result, output) = await ScittInterop.VerifyReceipt(k, r, e);
            Assert.True(result.ExitCode == 1, $"{what}: {result}");
            Assert.False(output.GetProperty("verified").GetBoolean(), what);
        }
        var (ok, _) = await ScittInterop.VerifyReceipt(keys, receipt, entry);
        Assert.True(ok.ExitCode == 0, ok.ToString());
    }

    [Fact]
    public async Task a_receipt_is_rfc_9942_cbor_as_python_cbor2_reads_it_and_its_proof_checks_against_the_tiles()
    {
        var (index, entry, _) = await Attestation();
        var receipt = await Receipt(index);
        var sign1 = await ScittInterop.Decode(receipt);
        Assert.Equal(18, sign1.GetProperty("tag").GetInt32());
        var parts = sign1.GetProperty("value");
        Assert.Equal(4, parts.GetArrayLength());
        var header = await ScittInterop.Decode(parts[0].Bytes());
        Assert.Equal(-7, header.GetProperty("1").GetInt32());
        Assert.Equal(await Kid(), header.GetProperty("4").Bytes());
        Assert.Equal(1, header.GetProperty("395").GetInt32());
        var claims = header.GetProperty("15");
        Assert.Equal("test.attest.local/log", claims.Str("1"));
        Assert.InRange(claims.GetProperty("6").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.Equal(JsonValueKind.Null, parts[2].ValueKind);
        Assert.Equal(64, parts[3].Bytes().Length);

        var proofs = parts[1].GetProperty("396").GetProperty("-1");
        Assert.Equal(1, proofs.GetArrayLength());
        var proof = await ScittInterop.Decode(proofs[0].Bytes());
        long size = proof[0].GetInt64();
        Assert.Equal(index, proof[1].GetInt64());
        Hash[] path = [.. proof[2].EnumerateArray().Select(h => new Hash(h.Bytes()))];
        var root = await SignedRootAt(size);
        Assert.True(InclusionProof.Verify(index, size, Rfc6962.HashLeaf(entry), path, root));
    }

    [Fact]
    public async Task the_key_set_holds_one_es256_key_whose_kid_is_its_rfc_9679_thumbprint_and_each_key_has_its_own_resource()
    {
        var keys = await KeySet();
        var set = await ScittInterop.Decode(keys);
        Assert.Equal(1, set.GetArrayLength());
        var key = set[0];
        Assert.Equal(2, key.GetProperty("1").GetInt32());   // EC2
        Assert.Equal(-7, key.GetProperty("3").GetInt32());  // ES256
        Assert.Equal(1, key.GetProperty("-1").GetInt32());  // P-256
        Assert.Equal(32, key.GetProperty("-2").Bytes().Length);
        Assert.Equal(32, key.GetProperty("-3").Bytes().Length);
        Assert.False(key.TryGetProperty("-4", out _)); // never the private key
        var thumbprints = await ScittInterop.Decode(keys, thumbprints: true);
        Assert.Equal(thumbprints[0].GetString(), Convert.ToHexStringLower(key.GetProperty("2").Bytes()));

        string kid = AttestApi.B64Url(key.GetProperty("2").Bytes());
        var (status, type, one, _) = await Client.GetBytes($".well-known/scitt-keys/{kid}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/cbor", type);
        Assert.Equal(key.GetRawText(), (await ScittInterop.Decode(one)).GetRawText());

        // SCRAPI: an unknown kid is 404 with concise problem details (RFC 9290).
        foreach (var unknown in new[] { kid[..^1] + (kid[^1] == 'A' ? 'B' : 'A'), "nope", Convert.ToHexStringLower(key.GetProperty("2").Bytes()) })
        {
            (status, type, var problem, _) = await Client.GetBytes($".well-known/scitt-keys/{unknown}");
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("application/concise-problem-details+cbor", type);
            var details = await ScittInterop.Decode(problem);
            Assert.Equal("No such key", details.Str("-1"));
            Assert.False(string.IsNullOrEmpty(details.Str("-2")));
            Assert.Equal("not_found", details.GetProperty("https://attest.invalid/problem").Str("error"));
        }
    }

    [Fact]
    public async Task the_transparency_configuration_names_the_issuer_the_keys_and_the_endpoints()
    {
        var (status, type, body, _) = await Client.GetBytes(".well-known/transparency-configuration");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/cbor", type);
        var config = await ScittInterop.Decode(body);
        Assert.Equal("test.attest.local/log", config.Str("issuer"));
        Assert.Equal("/.well-known/scitt-keys", config.Str("scitt_keys_uri"));
        Assert.Equal("/entries", config.Str("registration_endpoint"));
        Assert.Equal(await Kid(), config.GetProperty("kid").Bytes());
        Assert.Equal([-7], config.GetProperty("signature_algorithms").EnumerateArray().Select(a => a.GetInt32()));
        Assert.Equal([1], config.GetProperty("verifiable_data_structures").EnumerateArray().Select(a => a.GetInt32()));
        var (_, key) = await Client.Get("v1/log/key", key: null);
        Assert.Equal(key.Str("verifier_key"), config.Str("checkpoint_verifier_key"));
    }

    [Fact]
    public async Task a_consistency_receipt_links_two_signed_checkpoints_and_fails_for_another_old_root()
    {
        await Client.Stamp("before " + Guid.NewGuid());
        var (first, _) = await Client.CheckpointCovering(await Client.TreeSize());
        for (int i = 0; i < 5; i++) await Client.Stamp($"after {i} " + Guid.NewGuid());
        var (second, _) = await Client.CheckpointCovering(first.Size + 5);
        var (status, type, receipt, _) = await Client.GetBytes($"v1/log/receipts/consistency?first={first.Size}&second={second.Size}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/cose", type);
        var newRoot = (await SignedRootAt(second.Size)).ToHex();

        var (result, output) = await ScittInterop.VerifyReceipt(await KeySet(), receipt, oldRoot: first.Root.ToHex(), newRoot: newRoot);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(first.Size, output.GetProperty("tree_size_1").GetInt64());
        Assert.Equal(second.Size, output.GetProperty("tree_size_2").GetInt64());
        (result, _) = await ScittInterop.VerifyReceipt(await KeySet(), receipt, oldRoot: newRoot, newRoot: newRoot);
        Assert.Equal(1, result.ExitCode);
        (result, _) = await ScittInterop.VerifyReceipt(await KeySet(), receipt, oldRoot: first.Root.ToHex(), newRoot: first.Root.ToHex());
        Assert.Equal(1, result.ExitCode);
    }

    [Theory]
    [InlineData("v1/log/entries/abc/receipt", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("v1/log/entries/-1/receipt", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("v1/log/entries/01/receipt", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("v1/log/entries/1e3/receipt", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("v1/log/entries/99999999999999999999/receipt", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("v1/log/entries/999999999999999999/receipt", HttpStatusCode.NotFound, "not_found")]
    [InlineData("v1/log/receipts/consistency?first=0&second=1", HttpStatusCode.BadRequest, "parameter_out_of_range")]
    [InlineData("v1/log/receipts/consistency?first=2&second=2", HttpStatusCode.BadRequest, "parameter_out_of_range")]
    [InlineData("v1/log/receipts/consistency?first=1&second=999999999", HttpStatusCode.BadRequest, "parameter_out_of_range")]
    [InlineData("v1/log/receipts/consistency?first=1", HttpStatusCode.BadRequest, "missing_parameter")]
    public async Task bad_receipt_requests_get_the_json_error_and_change_nothing(string path, HttpStatusCode status, string code)
    {
        await Client.Stamp("some entries " + Guid.NewGuid());
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Get(path, key: null), status, code);
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task an_entry_past_the_tree_is_404_and_one_not_yet_in_a_checkpoint_is_503_checkpoint_pending()
    {
        // A checkpoint an hour apart: the one signed at start covers nothing that comes after it.
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Log__CheckpointInterval"] = "01:00:00" });
        var stamp = await server.Client.Stamp("pending " + Guid.NewGuid());
        long index = stamp.GetProperty("log_index").GetInt64();
        var (status, type, body, response) = await server.Client.GetBytes($"v1/log/entries/{index}/receipt");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/json", type);
        Assert.Equal("checkpoint_pending", JsonDocument.Parse(body).RootElement.Str("error"));
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Http.AssertError(await server.Client.Get($"v1/log/entries/{index + 1}/receipt", key: null), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task the_generated_receipt_key_is_kept_owner_only_across_a_restart_and_receipts_still_verify()
    {
        string dataDir = ServerProcess.NewDataDir();
        try
        {
            byte[] keysBefore, receipt, entry;
            await using (var server = await ServerProcess.Start(dataDir))
            {
                var stamp = await server.Client.Stamp("kept " + Guid.NewGuid());
                long index = stamp.GetProperty("log_index").GetInt64();
                entry = Encoding.UTF8.GetBytes(stamp.Str("entry"));
                await server.Client.CheckpointCovering(index + 1);
                keysBefore = (await server.Client.GetBytes(".well-known/scitt-keys")).Body;
                receipt = (await server.Client.GetBytes($"v1/log/entries/{index}/receipt")).Body;
                await server.Stop();
            }
            string file = Path.Combine(dataDir, "scitt-key.pem");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            await using (var again = await ServerProcess.Start(dataDir))
            {
                Assert.Equal(keysBefore, (await again.Client.GetBytes(".well-known/scitt-keys")).Body);
                var (result, _) = await ScittInterop.VerifyReceipt((await again.Client.GetBytes(".well-known/scitt-keys")).Body, receipt, entry);
                Assert.True(result.ExitCode == 0, result.ToString());
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_configured_p256_key_file_signs_the_receipts_and_another_curve_stops_the_start()
    {
        string dir = Directory.CreateTempSubdirectory("attest-receipt-key-").FullName;
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            string pem = Path.Combine(dir, "receipt-key.pem");
            await File.WriteAllTextAsync(pem, key.ExportPkcs8PrivateKeyPem());
            string dataDir = ServerProcess.NewDataDir();
            await using (var server = await ServerProcess.Start(dataDir, new Dictionary<string, string> { ["Attest__Log__ReceiptKeyFile"] = pem }))
            {
                var set = await ScittInterop.Decode((await server.Client.GetBytes(".well-known/scitt-keys")).Body);
                Assert.Equal(key.ExportParameters(false).Q.X, set[0].GetProperty("-2").Bytes());
                Assert.Equal(key.ExportParameters(false).Q.Y, set[0].GetProperty("-3").Bytes());
                Assert.False(File.Exists(Path.Combine(dataDir, "scitt-key.pem")));
            }
            Directory.Delete(dataDir, recursive: true);

            using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            await File.WriteAllTextAsync(pem, p384.ExportPkcs8PrivateKeyPem());
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Log__ReceiptKeyFile"] = pem }));
            Assert.Contains("Attest:Log:ReceiptKeyFile", e.Message);
            Assert.Contains("P-256", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task<byte[]> Kid() => (await ScittInterop.Decode(await KeySet()))[0].GetProperty("2").Bytes();

    /// <summary>A COSE Key Set (RFC 9052 §7) of one EC2 P-256 key named <paramref name="kid"/>.</summary>
    private static byte[] KeySetOf(ECParameters key, byte[] kid)
    {
        var w = new CborWriter();
        w.WriteStartArray(1);
        w.WriteStartMap(6);
        w.WriteInt32(1); w.WriteInt32(2);
        w.WriteInt32(2); w.WriteByteString(kid);
        w.WriteInt32(3); w.WriteInt32(-7);
        w.WriteInt32(-1); w.WriteInt32(1);
        w.WriteInt32(-2); w.WriteByteString(key.Q.X!);
        w.WriteInt32(-3); w.WriteByteString(key.Q.Y!);
        w.WriteEndMap();
        w.WriteEndArray();
        return w.Encode();
    }
}
