using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Cli.Tests.Scitt;

/// <summary>
/// <c>attest scitt keygen | sign | verify</c> offline, against receipts from <see cref="TestReceipts"/> (the test's own
/// RFC 9942 writer on .NET's COSE library): round trips, and each kind of tampering failing with its own reason.
/// </summary>
public sealed class ScittCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("attest-scitt-").FullName;
    private readonly TestReceipts service = new();

    public void Dispose()
    {
        service.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    private string PathOf(string name) => System.IO.Path.Combine(dir, name);

    private async Task<(string KeyFile, JsonElement Registration)> Keygen(string alg, string? kid = "issuer-key-1")
    {
        string keyFile = PathOf($"{alg}-{Guid.NewGuid():N}.jwk");
        string[] args = kid is null ? ["scitt", "keygen", "--alg", alg, "--out", keyFile] : ["scitt", "keygen", "--alg", alg, "--kid", kid, "--out", keyFile];
        var r = await AttestCli.Run(args, directory: dir);
        AttestCli.AssertExit(0, r);
        return (keyFile, JsonDocument.Parse(r.Stdout).RootElement.Clone());
    }

    private async Task<byte[]> Sign(string keyFile, params string[] more)
    {
        string output = PathOf($"statement-{Guid.NewGuid():N}.cose");
        var r = await AttestCli.Run(["scitt", "sign", "--key", keyFile, "--iss", "7a1c6f5e-0d5b-4b8e-9a57-1f0e2d3c4b5a", "--sub", "pkg:npm/left-pad@1.3.0", .. more, "--out", output], directory: dir);
        AttestCli.AssertExit(0, r);
        byte[] statement = File.ReadAllBytes(output);
        Assert.Equal(Convert.ToHexStringLower(TestReceipts.Leaf(statement).Bytes), r.Stdout.Trim()); // the entry id it prints is its leaf hash
        return statement;
    }

    /// <summary>A log of JSON entries with <paramref name="statement"/> at index 5 of 7: the right edge of the tree is exercised.</summary>
    private static List<byte[]> LogWith(byte[] statement)
    {
        var entries = Enumerable.Range(0, 7).Select(i => Encoding.UTF8.GetBytes($$"""{"type":"stamp/v1","n":{{i}}}""")).ToList();
        entries[5] = statement;
        return entries;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private async Task<ProcessResult> Verify(byte[] transparent, byte[]? keySet = null, string? issuerKey = null, params string[] more)
    {
        string file = Write($"ts-{Guid.NewGuid():N}.cose", transparent), keys = Write($"keys-{Guid.NewGuid():N}.cbor", keySet ?? service.KeySet());
        string[] args = ["scitt", "verify", "--service-key", keys, file, .. more];
        if (issuerKey is not null) args = [.. args, "--issuer-key", issuerKey];
        return await AttestCli.Run(args, directory: dir);
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("EdDSA")]
    public async Task a_statement_signed_by_the_cli_with_a_receipt_verifies_offline_with_the_service_key_and_the_issuer_key(string alg)
    {
        var (keyFile, registration) = await Keygen(alg);
        Assert.Equal(alg, registration.GetProperty("alg").GetString());
        string issuerKey = Write("issuer.json", Encoding.UTF8.GetBytes(registration.GetRawText()));
        Assert.DoesNotContain("\"d\"", registration.GetRawText()); // only the public half is printed
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        byte[] statement = await Sign(keyFile, "--content-type", "application/json", "--payload", Write("payload.json", """{"build":"ok"}"""u8.ToArray()));
        var log = LogWith(statement);
        byte[] transparent = TestReceipts.Transparent(statement, service.Receipt(log, 5));

        var r = await Verify(transparent, issuerKey: issuerKey, more: ["--json"]);
        AttestCli.AssertExit(0, r);
        var report = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("VALID", report.GetProperty("verdict").GetString());
        Assert.True(report.GetProperty("issuer_checked").GetBoolean());
        var receipt = report.GetProperty("receipts")[0];
        Assert.Equal(7, receipt.GetProperty("tree_size").GetInt64());
        Assert.Equal(5, receipt.GetProperty("leaf_index").GetInt64());
        Assert.Equal(TestReceipts.Root(log).ToHex(), receipt.GetProperty("root_hash").GetString());
        Assert.Equal(service.Origin, receipt.GetProperty("iss").GetString());

        // Without the issuer's key it still proves inclusion, and says the issuer was not checked.
        var plain = await Verify(transparent);
        AttestCli.AssertExit(0, plain);
        Assert.Contains("verdict: VALID", plain.Stdout);
        Assert.Contains("issuer's signature was not checked", plain.Stdout);
    }

    [Fact]
    public async Task the_cli_writes_the_statement_dotnet_cose_reads_with_alg_kid_cwt_claims_and_an_empty_unprotected_header()
    {
        var (keyFile, registration) = await Keygen("ES256", kid: null);
        string kid = registration.GetProperty("kid").GetString()!;
        Assert.Equal(43, kid.Length); // an RFC 7638 thumbprint: base64url of 32 bytes
        byte[] statement = await Sign(keyFile, "--content-type", "text/plain", "--payload", Write("p.txt", "hello"u8.ToArray()));

        Assert.Equal(0xD2, statement[0]); // tag 18, as the log tells statements from JSON entries
        var message = CoseSign1Message.DecodeSign1(statement);
        Assert.Empty(message.UnprotectedHeaders);
        Assert.Equal(-7, message.ProtectedHeaders[CoseHeaderLabel.Algorithm].GetValueAsInt32());
        Assert.Equal(kid, Encoding.UTF8.GetString(message.ProtectedHeaders[CoseHeaderLabel.KeyIdentifier].GetValueAsBytes()));
        Assert.Equal("text/plain", message.ProtectedHeaders[CoseHeaderLabel.ContentType].GetValueAsString());
        var claims = new CborReader(message.ProtectedHeaders[new CoseHeaderLabel(15)].EncodedValue);
        Assert.Equal(2, claims.ReadStartMap());
        Assert.Equal(1, claims.ReadInt32());
        Assert.Equal("7a1c6f5e-0d5b-4b8e-9a57-1f0e2d3c4b5a", claims.ReadTextString());
        Assert.Equal(2, claims.ReadInt32());
        Assert.Equal("pkg:npm/left-pad@1.3.0", claims.ReadTextString());

        var jwk = registration.GetProperty("jwk");
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlDecode(jwk.GetProperty("x").GetString()!), Y = Base64UrlDecode(jwk.GetProperty("y").GetString()!) },
        });
        Assert.True(message.VerifyEmbedded(key));
    }

    [Fact]
    public async Task a_hash_envelope_signs_the_files_sha256_with_headers_258_and_259_and_no_content_type()
    {
        var (keyFile, _) = await Keygen("ES256");
        byte[] artifact = RandomNumberGenerator.GetBytes(200_000); // larger than a log entry may be
        byte[] statement = await Sign(keyFile, "--content-type", "application/spdx+json", "--hash-envelope", Write("sbom.bin", artifact),
            "--location", "https://example.com/sbom.json");
        var message = CoseSign1Message.DecodeSign1(statement);
        Assert.Equal(SHA256.HashData(artifact), message.Content!.Value.ToArray());
        Assert.Equal(-16, message.ProtectedHeaders[new CoseHeaderLabel(258)].GetValueAsInt32());
        Assert.Equal("application/spdx+json", message.ProtectedHeaders[new CoseHeaderLabel(259)].GetValueAsString());
        Assert.Equal("https://example.com/sbom.json", message.ProtectedHeaders[new CoseHeaderLabel(260)].GetValueAsString());
        Assert.False(message.ProtectedHeaders.ContainsKey(CoseHeaderLabel.ContentType));

        var r = await Verify(TestReceipts.Transparent(statement, service.Receipt(LogWith(statement), 5)));
        AttestCli.AssertExit(0, r);
        Assert.Contains("hash envelope of application/spdx+json", r.Stdout);
    }

    [Fact]
    public async Task a_payload_too_large_for_a_log_entry_is_refused_with_the_hash_envelope_suggested()
    {
        var (keyFile, _) = await Keygen("ES256");
        string output = PathOf("big.cose");
        var r = await AttestCli.Run(["scitt", "sign", "--key", keyFile, "--iss", "i", "--sub", "s", "--payload", Write("big.bin", new byte[70_000]), "--out", output], directory: dir);
        AttestCli.AssertExit(2, r);
        Assert.Contains("--hash-envelope", r.Stderr);
        Assert.False(File.Exists(output));
    }

    public enum Tamper
    {
        Payload,
        StatementSignature,
        ReceiptSignature,
        PathHash,
        TreeSize,
        LeafIndex,
        SignedRoot,
        UnknownKid,
        OtherKeySameKid,
        ReceiptOfAnotherEntry,
    }

    [Theory]
    [InlineData(Tamper.Payload, "issuer signature", "does not verify with the issuer key")]
    [InlineData(Tamper.StatementSignature, "issuer signature", "does not verify with the issuer key")]
    [InlineData(Tamper.ReceiptSignature, "receipt signature", "does not verify over the root")]
    [InlineData(Tamper.PathHash, "receipt signature", "does not verify over the root")]
    [InlineData(Tamper.TreeSize, "receipt inclusion", "does not fit leaf 5 of a tree of size 9")]
    [InlineData(Tamper.LeafIndex, "receipt signature", "does not verify over the root")]
    [InlineData(Tamper.SignedRoot, "receipt signature", "does not verify over the root")]
    [InlineData(Tamper.UnknownKid, "receipt key", "no key with kid someone-else in the service key set")]
    [InlineData(Tamper.OtherKeySameKid, "receipt signature", "does not verify over the root")]
    [InlineData(Tamper.ReceiptOfAnotherEntry, "receipt signature", "does not verify over the root")]
    public async Task a_tampered_transparent_statement_fails_with_the_reason_of_its_tampering(Tamper tamper, string failedCheck, string reason)
    {
        var (keyFile, registration) = await Keygen("ES256");
        string issuerKey = Write("issuer.json", Encoding.UTF8.GetBytes(registration.GetRawText()));
        byte[] statement = await Sign(keyFile, "--payload", Write("p.bin", "release 1.0"u8.ToArray()));
        var log = LogWith(statement);
        var root = TestReceipts.Root(log);
        var path = TestReceipts.Path(log, 5);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] receipt = tamper switch
        {
            Tamper.PathHash => service.Receipt(root, 7, 5, [.. path.Take(1), Flip(path[1]), .. path.Skip(2)]),
            Tamper.TreeSize => service.Receipt(root, 9, 5, path),
            Tamper.LeafIndex => service.Receipt(root, 7, 4, path),
            Tamper.SignedRoot => service.Receipt(TestReceipts.Leaf("another tree"u8.ToArray()), 7, 5, path),
            Tamper.UnknownKid => service.Receipt(root, 7, 5, path, kid: "someone-else"u8.ToArray()),
            Tamper.OtherKeySameKid => service.Receipt(root, 7, 5, path, key: otherKey),
            Tamper.ReceiptOfAnotherEntry => service.Receipt(log, 4),
            _ => service.Receipt(log, 5),
        };
        byte[] transparent = TestReceipts.Transparent(statement, receipt);
        if (tamper == Tamper.Payload) transparent = Replace(transparent, "release 1.0"u8.ToArray(), "release 6.6"u8.ToArray());
        if (tamper == Tamper.StatementSignature) transparent[^1] ^= 0x01; // the statement's signature ends the message
        if (tamper == Tamper.ReceiptSignature) transparent = Replace(transparent, receipt, [.. receipt[..^1], (byte)(receipt[^1] ^ 0x01)]);

        var r = await Verify(transparent, issuerKey: issuerKey, more: ["--json"]);
        AttestCli.AssertExit(1, r);
        var report = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("INVALID", report.GetProperty("verdict").GetString());
        var check = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == failedCheck);
        Assert.Equal("fail", check.GetProperty("result").GetString());
        Assert.Contains(reason, check.GetProperty("detail").GetString());
        // A statement changed after it was logged has another leaf: no receipt of the log proves it.
        if (tamper is Tamper.Payload or Tamper.StatementSignature)
            Assert.Equal("fail", report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "receipt signature").GetProperty("result").GetString());
    }

    [Fact]
    public async Task a_receipt_for_any_log_entry_verifies_against_the_entry_itself()
    {
        var log = LogWith(Encoding.UTF8.GetBytes("""{"type":"stamp/v1","n":5}"""));
        string entry = Write("entry.json", log[2]), receipt = Write("receipt.cose", service.Receipt(log, 2)), keys = Write("keys.cbor", service.KeySet());
        var r = await AttestCli.Run(["scitt", "verify", "--service-key", keys, "--receipt", receipt, entry], directory: dir);
        AttestCli.AssertExit(0, r);
        Assert.Contains($"at index 2 of the tree of size 7 with root {TestReceipts.Root(log).ToHex()}", r.Stdout);

        var other = await AttestCli.Run(["scitt", "verify", "--service-key", keys, "--receipt", receipt, Write("other.json", log[3])], directory: dir);
        AttestCli.AssertExit(1, other);
        Assert.Contains("verdict: INVALID", other.Stdout);
    }

    [Theory]
    [InlineData("not-cose", "is not a Transparent Statement")]
    [InlineData("no-receipts", "no receipts")]
    [InlineData("trailing-bytes", "bytes follow the COSE_Sign1")]
    [InlineData("private-service-key", "holds a private key")]
    [InlineData("extra-unprotected", "more than the receipts")]
    public async Task unusable_input_is_refused_with_exit_2_and_no_verdict(string input, string message)
    {
        var (keyFile, _) = await Keygen("ES256");
        byte[] statement = await Sign(keyFile, "--payload", Write("p.bin", "x"u8.ToArray()));
        byte[] transparent = TestReceipts.Transparent(statement, service.Receipt(LogWith(statement), 5));
        byte[] keySet = service.KeySet();
        switch (input)
        {
            case "not-cose": transparent = """{"type":"stamp/v1"}"""u8.ToArray(); break;
            case "no-receipts": transparent = statement; break;
            case "trailing-bytes": transparent = [.. transparent, 0x00]; break;
            case "private-service-key": keySet = PrivateKeySet(); break;
            case "extra-unprotected": transparent = Replace(transparent, [0xA1, 0x19, 0x01, 0x8A], [0xA2, 0x05, 0x41, 0x78, 0x19, 0x01, 0x8A]); break;
        }
        var r = await Verify(transparent, keySet);
        AttestCli.AssertExit(2, r);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("verdict", r.Stdout);
    }

    [Fact]
    public async Task keygen_never_overwrites_a_key_file()
    {
        var (keyFile, _) = await Keygen("EdDSA");
        string before = File.ReadAllText(keyFile);
        var again = await AttestCli.Run(["scitt", "keygen", "--alg", "EdDSA", "--out", keyFile], directory: dir);
        AttestCli.AssertExit(2, again);
        Assert.Contains("not overwriting", again.Stderr);
        Assert.Equal(before, File.ReadAllText(keyFile));
    }

    private byte[] PrivateKeySet()
    {
        var p = service.Key.ExportParameters(true);
        var w = new CborWriter();
        w.WriteStartMap(6);
        w.WriteInt32(1); w.WriteInt32(2);
        w.WriteInt32(2); w.WriteByteString(service.Kid);
        w.WriteInt32(-1); w.WriteInt32(1);
        w.WriteInt32(-2); w.WriteByteString(p.Q.X!);
        w.WriteInt32(-3); w.WriteByteString(p.Q.Y!);
        w.WriteInt32(-4); w.WriteByteString(p.D!);
        w.WriteEndMap();
        return w.Encode();
    }

    private static Hash Flip(Hash h)
    {
        byte[] b = h.ToArray();
        b[0] ^= 0x80;
        return new Hash(b);
    }

    private static byte[] Replace(byte[] haystack, byte[] needle, byte[] with)
    {
        int at = haystack.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, "the bytes to tamper with are not there");
        return [.. haystack[..at], .. with, .. haystack[(at + needle.Length)..]];
    }

    private static byte[] Base64UrlDecode(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4));
}
