using System.Text;
using System.Text.Json;

namespace Attest.Merkle.Tests;

/// <summary>
/// c2sp.org/tlog-cosignature v1 (Ed25519). Known answers: tests/testdata/cosignature/vectors.json (made by an
/// independent implementation, tests/interop/witness/cosignatures.mjs with @noble/ed25519, and re-checked by it in
/// tests/LogServer.Tests), the spec's own example line, the vkey of the public witness remora.n621.de and the timestamp
/// vector of transparency-dev/formats note_cosigv1_test.go.
/// </summary>
public class CosignatureTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(File.ReadAllText(TestData.PathOf("cosignature", "vectors.json"))).RootElement;

    private static string V(string name) => Vectors.GetProperty(name).GetString()!;

    private static IEnumerable<(string Text, long Timestamp, string Line)> Cosignatures =>
        Vectors.GetProperty("cosignatures").EnumerateArray().Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("timestamp").GetInt64(), c.GetProperty("line").GetString()!));

    private static CosignatureSigner Signer(string privateKey)
    {
        Assert.True(CosignatureSigner.TryParse(privateKey, out var signer));
        return signer!;
    }

    private static CosignatureVerifier Verifier(string vkey)
    {
        Assert.True(CosignatureVerifier.TryParse(vkey, out var verifier));
        return verifier!;
    }

    [Theory]
    [InlineData("private_key_go")]
    [InlineData("private_key_cosignature")]
    public void cosigning_the_vector_texts_reproduces_the_independent_lines_byte_for_byte(string keyForm)
    {
        using var signer = Signer(V(keyForm));
        Assert.Equal(V("verifier_key"), signer.VerifierKey);
        Assert.Equal(0xe75f6532u, signer.KeyId);
        foreach (var (text, timestamp, line) in Cosignatures) Assert.Equal(line, signer.Cosign(Encoding.UTF8.GetBytes(text), timestamp));
    }

    [Fact]
    public void the_vector_lines_open_as_note_signatures_with_the_cosignature_vkey_and_carry_their_timestamp()
    {
        var verifier = Verifier(V("verifier_key"));
        Assert.Equal(V("verifier_key"), verifier.ToString());
        foreach (var (text, timestamp, line) in Cosignatures)
        {
            var opened = Note.Open(Encoding.UTF8.GetBytes(text + "\n" + line), [verifier]);
            var signature = Assert.Single(opened.Verified);
            Assert.True(Cosignature.TryReadTimestamp(signature.Base64, out long t));
            Assert.Equal(timestamp, t);
        }
    }

    [Fact]
    public void a_cosignature_does_not_verify_with_another_timestamp_another_text_or_as_a_plain_note_signature()
    {
        var verifier = Verifier(V("verifier_key"));
        var (text, timestamp, line) = Cosignatures.First();
        var raw = Convert.FromBase64String(line.Split(' ')[2].TrimEnd('\n'));
        var signature = raw[4..];
        Assert.True(verifier.Verify(Encoding.UTF8.GetBytes(text), signature));

        var later = (byte[])signature.Clone();
        later[7]++; // the timestamp is part of the signed message
        Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(text), later));
        Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(text.Replace("20852163", "20852164")), signature));
        Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(text), signature[8..])); // an untimestamped (type 0x01) shape
        Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(text), [.. signature, 0]));

        // The same seed as a plain signed-note key (type 0x01) has another key ID, so it never claims the line.
        Assert.True(NoteVerifier.TryParse(PlainVerifierKey(), out var plain));
        Assert.NotEqual(verifier.KeyId, plain!.KeyId);
        var e = Assert.Throws<NoteException>(() => Note.Open(Encoding.UTF8.GetBytes(text + "\n" + line), [plain]));
        Assert.Equal(NoteFailure.NotSigned, e.Failure);
    }

    [Fact]
    public void a_timestamp_above_two_to_the_63_minus_one_is_refused()
    {
        var signature = new byte[Cosignature.SignatureSize];
        signature[0] = 0x80;
        Assert.False(Cosignature.TryReadTimestamp(signature, out _));
        signature[0] = 0x7f;
        Assert.True(Cosignature.TryReadTimestamp(signature, out long t));
        Assert.Equal(0x7f00_0000_0000_0000L, t);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cosignature.SignedMessage(-1, "a\n"u8));
    }

    [Fact]
    public void the_signed_message_is_the_header_line_the_time_line_and_the_note_text()
    {
        // c2sp.org/tlog-cosignature "Ed25519 signed message", the spec's example.
        var text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        Assert.Equal("cosignature/v1\ntime 1679315147\n" + text, Encoding.UTF8.GetString(Cosignature.SignedMessage(1679315147, Encoding.UTF8.GetBytes(text))));
        Assert.Equal("cosignature/v1\ntime 0\na\n", Encoding.UTF8.GetString(Cosignature.SignedMessage(0, "a\n"u8)));
    }

    [Fact]
    public void the_spec_example_line_frames_key_id_8d66cf3f_and_time_1679315147()
    {
        const string Example = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
        Assert.True(Cosignature.TryReadTimestamp(Example, out long t));
        Assert.Equal(1679315147, t);
        Assert.Equal([0x8d, 0x66, 0xcf, 0x3f], Convert.FromBase64String(Example)[..4]);
        // transparency-dev/formats TestCosignatureTimestamp: "works" and "wrong type of signature" (a 0x01 signature).
        Assert.True(Cosignature.TryReadTimestamp("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==", out t));
        Assert.Equal(1727964367, t);
        Assert.False(Cosignature.TryReadTimestamp("eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=", out _));
        Assert.False(Cosignature.TryReadTimestamp("5%/$!\n 2", out _));
    }

    [Fact]
    public void the_vkey_of_a_public_witness_parses_with_its_type_0x04_key_id()
    {
        // remora.n621.de, from transparency-dev/formats TestCoSigV1NewVerifier ("native algEd25519CosignatureV1 verifier").
        var remora = Verifier("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
        Assert.Equal("remora.n621.de", remora.Name);
        Assert.Equal(0xda77ade7u, remora.KeyId);
    }

    [Theory]
    [InlineData("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")] // a plain Ed25519 note key (type 0x01)
    [InlineData("remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")] // wrong key ID
    [InlineData("remora.n621.de+DA77ADE7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")] // upper-case hex
    [InlineData("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw")] // truncated key
    [InlineData("rekor.sigstore.dev+12345678+AwEB")] // another type
    [InlineData("bananas.sigstore.dev+12344556")]
    [InlineData("")]
    public void malformed_or_plain_vkeys_are_not_cosignature_keys(string vkey) => Assert.False(CosignatureVerifier.TryParse(vkey, out _));

    [Fact]
    public void a_private_key_whose_id_does_not_match_its_type_is_refused()
    {
        // The Go form with the type 0x04 key ID, and the 0x04 form with the Go key ID.
        Assert.False(CosignatureSigner.TryParse(V("private_key_go").Replace("3218362d", "e75f6532"), out _));
        Assert.False(CosignatureSigner.TryParse(V("private_key_cosignature").Replace("e75f6532", "3218362d"), out _));
        Assert.False(CosignatureSigner.TryParse(V("verifier_key"), out _));
    }

    [Fact]
    public void a_generated_key_cosigns_what_its_vkey_verifies()
    {
        var (privateKey, vkey) = CosignatureSigner.Generate("witness.test/generated");
        Assert.StartsWith("PRIVATE+KEY+witness.test/generated+", privateKey);
        using var signer = Signer(privateKey);
        var text = "log.test\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        var opened = Note.Open(Encoding.UTF8.GetBytes(text + "\n" + signer.Cosign(Encoding.UTF8.GetBytes(text), 1_700_000_000)), [Verifier(vkey)]);
        Assert.Equal(text, opened.Text);
    }

    private static string PlainVerifierKey()
    {
        using var plain = SignedNoteVectorsSigner();
        return plain.VerifierKey;
    }

    private static NoteSigner SignedNoteVectorsSigner()
    {
        Assert.True(NoteSigner.TryParse(V("private_key_go"), out var signer));
        return signer!;
    }
}
