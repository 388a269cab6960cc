using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Log;
using Attest.LogServer.Scitt;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// Transparent Statements (RFC 9943 §7) from a real log: a Signed Statement signed by node's WebCrypto as an outside
/// issuer would, appended among JSON entries, gets its receipt in header 394, and @transmute/cose verifies the whole:
/// the issuer's signature, and the receipt with the statement as logged as the leaf.
/// </summary>
public sealed class TransparentStatementTests
{
    private static async Task<(byte[] Statement, string IssuerKeyFile, string Dir)> SignStatement(string payload)
    {
        string folder = ExternalTools.Interop("scitt");
        await ExternalTools.NpmCi(folder, "@transmute/cose");
        string dir = Directory.CreateTempSubdirectory("attest-statement-").FullName;
        var result = await ExternalTools.Run("node", [Path.Combine(folder, "sign-statement.mjs"), "--out-dir", dir, "--kid", "issuer-key-1",
            "--iss", "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "--sub", "pkg:npm/example@1.0.0", "--payload", payload], folder, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        return (await File.ReadAllBytesAsync(Path.Combine(dir, "statement.cbor")), Path.Combine(dir, "issuer-key.json"), dir);
    }

    [Fact]
    public async Task a_logged_statement_with_its_receipt_in_header_394_verifies_with_transmute_cose_and_394_removed_gives_the_logged_bytes()
    {
        var (statement, issuerKey, keyDir) = await SignStatement("""{"artifact": "example-1.0.0.tgz", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}""");
        string dir = Directory.CreateTempSubdirectory("attest-transparent-").FullName;
        try
        {
            Assert.Equal(0xD2, statement[0]);
            var (privateKey, _) = NoteSigner.Generate("scitt.test/log");
            NoteSigner.TryParse(privateKey, out var signer);
            await using var sequencer = new Sequencer(dir, new NoIndex(), NullLogger.Instance, 16);
            using var log = new TransparencyLog(dir, sequencer, signer!, NullLogger.Instance);
            await log.OpenAsync();
            for (int i = 0; i < 5; i++) await sequencer.AppendAsync(LogRecord.Encode(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}"""), default));
            long index = await sequencer.AppendAsync(LogRecord.Encode(statement, default));
            for (int i = 5; i < 11; i++) await sequencer.AppendAsync(LogRecord.Encode(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}"""), default));
            var checkpoint = await log.PublishAsync();
            Assert.Equal(12, checkpoint.Size);

            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var key = ServiceKey.FromPem(ec.ExportPkcs8PrivateKeyPem(), "test key");
            var receipts = new Receipts(log, key, TimeProvider.System);
            var receipt = receipts.For(index)!;
            var transparent = Receipts.TransparentStatement(statement, receipt);

            string tsFile = Path.Combine(dir, "transparent.cbor"), keysFile = Path.Combine(dir, "keys.cbor");
            await File.WriteAllBytesAsync(tsFile, transparent);
            await File.WriteAllBytesAsync(keysFile, key.KeySetBytes);
            string folder = ExternalTools.Interop("scitt");
            var verified = await ExternalTools.Run("node", [Path.Combine(folder, "verify-receipt.mjs"), "--keys", keysFile, "--transparent", tsFile, "--issuer-key", issuerKey], folder, TimeSpan.FromMinutes(1));
            Assert.True(verified.ExitCode == 0, verified.ToString());
            Assert.Contains(checkpoint.Checkpoint.Root.ToHex(), verified.Stdout);

            // Another service key in the key set: the receipt no longer verifies (the issuer's signature still would).
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var otherKey = ServiceKey.FromPem(other.ExportPkcs8PrivateKeyPem(), "other key");
            await File.WriteAllBytesAsync(keysFile, otherKey.KeySetBytes);
            verified = await ExternalTools.Run("node", [Path.Combine(folder, "verify-receipt.mjs"), "--keys", keysFile, "--transparent", tsFile, "--issuer-key", issuerKey], folder, TimeSpan.FromMinutes(1));
            Assert.Equal(1, verified.ExitCode);

            // Byte for byte: the statement's four parts unchanged, and the unprotected header exactly {394: [receipt]}.
            var (parts, unprotected) = Split(transparent);
            var (original, empty) = Split(statement);
            Assert.Equal(original, parts);
            Assert.Equal([0xA0], empty);
            var expected = new CborWriter();
            expected.WriteStartMap(1);
            expected.WriteInt32(394);
            expected.WriteStartArray(1);
            expected.WriteByteString(receipt);
            expected.WriteEndArray();
            expected.WriteEndMap();
            Assert.Equal(expected.Encode(), unprotected);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(keyDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_registered_statement_is_served_as_a_transparent_statement_that_transmute_cose_verifies_and_a_json_entry_has_none()
    {
        await using var server = await ServerProcess.Start();
        var client = server.Client;
        string issuer = await client.CreateIssuer("Outside Issuer");
        string folder = ExternalTools.Interop("scitt");
        await ExternalTools.NpmCi(folder, "@transmute/cose");
        string dir = Directory.CreateTempSubdirectory("attest-statement-").FullName;
        try
        {
            var signed = await ExternalTools.Run("node", [Path.Combine(folder, "sign-statement.mjs"), "--out-dir", dir, "--kid", "outside-es256",
                "--iss", issuer, "--sub", "pkg:npm/example@1.0.0", "--payload", "release 1.0.0"], folder, TimeSpan.FromMinutes(1));
            Assert.True(signed.ExitCode == 0, signed.ToString());
            string issuerKey = Path.Combine(dir, "issuer-key.json");
            var jwk = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(issuerKey)).RootElement;
            var (status, key) = await client.Post($"v1/issuers/{issuer}/keys", new { kid = "outside-es256", alg = "ES256", jwk });
            Assert.True(status == System.Net.HttpStatusCode.Created, key.GetRawText());

            var statement = await File.ReadAllBytesAsync(Path.Combine(dir, "statement.cbor"));
            using var request = new HttpRequestMessage(HttpMethod.Post, "entries") { Content = new ByteArrayContent(statement) };
            request.Content.Headers.ContentType = new("application/cose");
            request.Headers.Authorization = new("Bearer", ServerProcess.AdminKey);
            using var registered = await new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress }.SendAsync(request);
            Assert.True(registered.StatusCode is System.Net.HttpStatusCode.Created or System.Net.HttpStatusCode.SeeOther, registered.ToString());

            string leaf = Rfc6962.HashLeaf(statement).ToHex();
            var (found, entry) = await client.Get($"v1/log/entries?leaf_hash={leaf}", key: null);
            Assert.True(found == System.Net.HttpStatusCode.OK, entry.GetRawText());
            long index = entry.GetProperty("index").GetInt64();
            await client.CheckpointCovering(index + 1);

            var (got, type, transparent, _) = await client.GetBytes($"v1/log/entries/{index}/transparent-statement");
            Assert.Equal(System.Net.HttpStatusCode.OK, got);
            Assert.Equal("application/cose", type);
            string tsFile = Path.Combine(dir, "transparent.cbor"), keysFile = Path.Combine(dir, "keys.cbor");
            await File.WriteAllBytesAsync(tsFile, transparent);
            await File.WriteAllBytesAsync(keysFile, (await client.GetBytes(".well-known/scitt-keys")).Body);
            var verified = await ExternalTools.Run("node", [Path.Combine(folder, "verify-receipt.mjs"), "--keys", keysFile, "--transparent", tsFile, "--issuer-key", issuerKey], folder, TimeSpan.FromMinutes(1));
            Assert.True(verified.ExitCode == 0, verified.ToString());
            Assert.Contains("release 1.0.0", verified.Stdout);
            Assert.Equal(Split(statement).Parts, Split(transparent).Parts);

            // The issuer's own entry is JSON: it has a receipt, but no Transparent Statement.
            var (_, issuerView) = await client.Get($"v1/issuers/{issuer}");
            long issuerIndex = issuerView.GetProperty("log_index").GetInt64();
            Http.AssertError(await client.Get($"v1/log/entries/{issuerIndex}/transparent-statement", key: null), System.Net.HttpStatusCode.NotFound, "not_a_statement");
            Http.AssertError(await client.Get($"v1/log/entries/{await client.TreeSize() + 5}/transparent-statement", key: null), System.Net.HttpStatusCode.NotFound, "not_found");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void only_a_logged_statement_becomes_a_transparent_statement()
    {
        byte[] receipt = [0xD2, 0x84, 0x40, 0xA0, 0xF6, 0x40];
        var w = new CborWriter();
        w.WriteTag((CborTag)18);
        w.WriteStartArray(4);
        w.WriteByteString([0xA1, 0x01, 0x26]);
        w.WriteStartMap(1);
        w.WriteInt32(394);
        w.WriteStartArray(0);
        w.WriteEndArray();
        w.WriteEndMap();
        w.WriteByteString("payload"u8);
        w.WriteByteString(new byte[64]);
        w.WriteEndArray();
        byte[] withHeader = w.Encode();
        byte[] valid = [0xD2, 0x84, 0x43, 0xA1, 0x01, 0x26, 0xA0, 0x47, .. "payload"u8, 0x58, 0x40, .. new byte[64]];
        Assert.NotEmpty(Receipts.TransparentStatement(valid, receipt));

        foreach (var (what, bytes) in new (string, byte[])[]
        {
            ("a JSON entry", """{"type":"stamp/v1"}"""u8.ToArray()),
            ("an unprotected header that is not empty", withHeader),
            ("bytes after the COSE_Sign1", [.. valid, 0x00]),
            ("an untagged COSE_Sign1", valid[1..]),
            ("a truncated one", valid[..^1]),
            ("a 3-array", [0xD2, 0x83, 0x40, 0xA0, 0xF6]),
            ("a text protected header", [0xD2, 0x84, 0x60, 0xA0, 0xF6, 0x40]),
            ("nothing", []),
        })
            Assert.True(Throws(bytes), what);

        static bool Throws(byte[] bytes)
        {
            try
            {
                Receipts.TransparentStatement(bytes, [0x01]);
                return false;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }
    }

    /// <summary>A COSE_Sign1's protected header, payload and signature (encoded, concatenated) and its unprotected header (encoded).</summary>
    private static (byte[] Parts, byte[] Unprotected) Split(byte[] sign1)
    {
        var r = new CborReader(sign1);
        Assert.Equal((CborTag)18, r.ReadTag());
        Assert.Equal(4, r.ReadStartArray());
        var protectedHeader = r.ReadEncodedValue().ToArray();
        var unprotected = r.ReadEncodedValue().ToArray();
        var payload = r.ReadEncodedValue().ToArray();
        var signature = r.ReadEncodedValue().ToArray();
        r.ReadEndArray();
        Assert.Equal(0, r.BytesRemaining);
        return ([.. protectedHeader, .. payload, .. signature], unprotected);
    }
}
