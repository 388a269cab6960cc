using System.Text.Json;

namespace Attest.Merkle.Tests;

/// <summary>tests/testdata/signed-note/vectors.json (golang.org/x/mod sumdb/note tests and c2sp.org/signed-note).</summary>
internal static class SignedNoteVectors
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(TestData.PathOf("signed-note", "vectors.json"))).RootElement;

    public static IEnumerable<JsonElement> Keys => Root.GetProperty("keys").EnumerateArray();

    public static IEnumerable<JsonElement> Notes => Root.GetProperty("notes").EnumerateArray();

    public static IEnumerable<string> BadVerifierKeys => Root.GetProperty("bad_verifier_keys").EnumerateArray().Select(k => k.GetString()!);

    public static JsonElement Key(string name) => Keys.Single(k => k.GetProperty("name").GetString() == name);

    public static string PrivateKey(string name) => Key(name).GetProperty("private").GetString()!;

    public static string VerifierKey(string name) => Key(name).GetProperty("verifier").GetString()!;

    public static NoteVerifier Verifier(string name)
    {
        Assert.True(NoteVerifier.TryParse(VerifierKey(name), out var verifier));
        return verifier!;
    }

    public static NoteSigner Signer(string name)
    {
        Assert.True(NoteSigner.TryParse(PrivateKey(name), out var signer));
        return signer!;
    }
}

public class NoteKeyTests
{
    public static TheoryData<string> KeyNames => [.. SignedNoteVectors.Keys.Select(k => k.GetProperty("name").GetString()!)];

    public static TheoryData<string> KeyNamesWithPrivateKeys =>
        [.. SignedNoteVectors.Keys.Where(k => k.TryGetProperty("private", out _)).Select(k => k.GetProperty("name").GetString()!)];

    public static TheoryData<string> BadVerifierKeys => [.. SignedNoteVectors.BadVerifierKeys];

    [Theory]
    [MemberData(nameof(KeyNames))]
    public void each_verifier_key_parses_with_its_name_and_key_id(string name)
    {
        var key = SignedNoteVectors.VerifierKey(name);
        Assert.True(NoteVerifier.TryParse(key, out var verifier));
        Assert.Equal(name, verifier!.Name);
        Assert.Equal(key.Split('+')[1], verifier.KeyId.ToString("x8"));
        Assert.Equal(key, verifier.ToString());
    }

    [Theory]
    [MemberData(nameof(KeyNamesWithPrivateKeys))]
    public void each_private_key_derives_its_verifier_key(string name)
    {
        using var signer = SignedNoteVectors.Signer(name);
        Assert.Equal(name, signer.Name);
        Assert.Equal(SignedNoteVectors.VerifierKey(name), signer.VerifierKey);
    }

    [Theory]
    [MemberData(nameof(BadVerifierKeys))]
    public void each_bad_verifier_key_is_rejected(string key)
    {
        Assert.False(NoteVerifier.TryParse(key, out var verifier));
        Assert.Null(verifier);
    }

    [Theory]
    [InlineData("")]
    [InlineData("PeterNeumann")]
    [InlineData("PeterNeumann+c74f20a3")]
    [InlineData("PeterNeumann+c74f20a3+")]
    [InlineData("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // empty name
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // space in name
    [InlineData("Peter\u00a0Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // Unicode space in name
    [InlineData("Peter\u0001Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // control character in name
    [InlineData("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // upper-case hex
    [InlineData("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // 7 hex digits
    [InlineData("PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // 9 hex digits
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // ID not the computed one
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T")] // 32 bytes, truncated base64
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ")] // trailing space
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n")] // trailing newline
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcU PDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // inner space that .NET would skip
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW")] // URL-safe alphabet
    [InlineData("PeterNeumann+c74f20a3+AhpdNQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // key type 0x02
    public void malformed_verifier_keys_are_rejected(string key)
    {
        Assert.False(NoteVerifier.TryParse(key, out _));
    }

    [Fact]
    public void a_name_with_a_lone_surrogate_is_rejected()
    {
        // Kept out of [InlineData]: test discovery serialises theory data and would mangle the surrogate.
        Assert.False(NoteVerifier.TryParse("Peter\ud800Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", out _));
    }

    [Theory]
    [InlineData("PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // no PRIVATE+KEY+
    [InlineData("private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")]
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // ID of another key
    [InlineData("PRIVATE+KEY+EnochRoot+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // another name
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF")] // truncated
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // key type 0x02
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // public, not seed
    public void malformed_private_keys_are_rejected(string key)
    {
        Assert.False(NoteSigner.TryParse(key, out var signer));
        Assert.Null(signer);
    }

    [Fact]
    public void the_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key()
    {
        var typeAndKey = Convert.FromBase64String("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        Assert.Equal(0xc74f20a3u, NoteKeyId.Compute("PeterNeumann", typeAndKey));
    }

    [Fact]
    public void a_generated_key_pair_parses_and_matches()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate("example.com/generated");
        Assert.StartsWith("PRIVATE+KEY+example.com/generated+", privateKey);
        Assert.True(NoteSigner.TryParse(privateKey, out var signer));
        using (signer)
        {
            Assert.Equal(verifierKey, signer!.VerifierKey);
            Assert.True(NoteVerifier.TryParse(verifierKey, out var verifier));
            Assert.Equal(signer.KeyId, verifier!.KeyId);
            var signature = new byte[Ed25519.SignatureSize];
            signer.Sign("message"u8, signature);
            Assert.True(verifier.Verify("message"u8, signature));
            Assert.False(verifier.Verify("messagE"u8, signature));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("a+b")]
    [InlineData("a b")]
    [InlineData("a\nb")]
    public void generating_a_key_for_an_invalid_name_is_an_argument_error(string name)
    {
        Assert.Throws<ArgumentException>(() => NoteSigner.Generate(name));
    }
}
