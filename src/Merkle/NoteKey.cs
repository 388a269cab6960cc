using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Attest.Merkle;

// C2SP signed-note keys (c2sp.org/signed-note, "Signatures" and "Ed25519 signatures"), in the text forms of Go's
// golang.org/x/mod/sumdb/note, which the spec leaves to implementations:
//
//   verifier key   <name>+<key ID as 8 lowercase hex digits>+base64(0x01 || 32-byte Ed25519 public key)
//   signer key     PRIVATE+KEY+<name>+<key ID as 8 lowercase hex digits>+base64(0x01 || 32-byte Ed25519 seed)
//
// Only signature type 0x01 (Ed25519) exists here: the spec asks implementations to support only the types they need.

/// <summary>Key IDs, c2sp.org/signed-note "Signatures".</summary>
public static class NoteKeyId
{
    /// <summary>
    /// SHA-256(key name || 0x0A || signature type || public key)[:4] read as a big-endian uint32; the name is
    /// hashed as UTF-8 and <paramref name="typeAndPublicKey"/> is the type byte followed by the key's encoding.
    /// </summary>
    public static uint Compute(string name, ReadOnlySpan<byte> typeAndPublicKey)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(name));
        sha.AppendData("\n"u8);
        sha.AppendData(typeAndPublicKey);
        Span<byte> sum = stackalloc byte[32];
        sha.GetHashAndReset(sum);
        return BinaryPrimitives.ReadUInt32BigEndian(sum);
    }
}

/// <summary>
/// A key that checks note signatures (c2sp.org/signed-note "Signatures"): a signature line is its when the line's
/// key name and key ID are <see cref="Name"/> and <see cref="KeyId"/>.
/// </summary>
public interface INoteVerifier
{
    string Name { get; }

    uint KeyId { get; }

    /// <summary>Whether <paramref name="signature"/> (the bytes after the key ID) signs the note text <paramref name="message"/>.</summary>
    bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);
}

/// <summary>Knows Ed25519 note verifiers by name and key ID, and checks their signatures.</summary>
public sealed class NoteVerifier : INoteVerifier
{
    private readonly Ed25519PublicKey publicKey;

    private NoteVerifier(string name, uint keyId, Ed25519PublicKey publicKey)
    {
        Name = name;
        KeyId = keyId;
        this.publicKey = publicKey;
    }

    public string Name { get; }

    public uint KeyId { get; }

    /// <summary>
    /// Reads a verifier key <c>name+hex8+base64(0x01||pub)</c> (Go's note.NewVerifier form). Strict: the name is valid, the ID is 8 lowercase hex
    /// digits equal to the computed key ID, the base64 is canonical and decodes to exactly 33 bytes of type 0x01.
    /// </summary>
    public static bool TryParse(string verifierKey, out NoteVerifier? verifier)
    {
        verifier = null;
        Span<byte> key = stackalloc byte[NoteKeyText.KeySize];
        if (!NoteKeyText.TryParse(verifierKey, out var name, out uint id, key)) return false;
        if (NoteKeyId.Compute(name, key) != id || !Ed25519PublicKey.TryImport(key[1..], out var publicKey)) return false;
        verifier = new NoteVerifier(name, id, publicKey);
        return true;
    }

    /// <summary>Whether <paramref name="signature"/> (the 64 bytes after the key ID) signs <paramref name="message"/>. Does not allocate.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => publicKey.Verify(message, signature);

    public override string ToString() => NoteKeyText.Format(Name, KeyId, [NoteKeyText.Ed25519Type, .. publicKey.Bytes]);
}

/// <summary>An Ed25519 note signing key. Dispose it to zero the secret key.</summary>
public sealed class NoteSigner : IDisposable
{
    private const string PrivatePrefix = "PRIVATE+KEY+";

    private readonly Ed25519PrivateKey key;

    private NoteSigner(string name, uint keyId, Ed25519PrivateKey key)
    {
        Name = name;
        KeyId = keyId;
        this.key = key;
        VerifierKey = NoteKeyText.Format(name, keyId, [NoteKeyText.Ed25519Type, .. key.PublicKey]);
    }

    public string Name { get; }

    public uint KeyId { get; }

    /// <summary>The matching verifier key, <c>name+hex8+base64(0x01||pub)</c>.</summary>
    public string VerifierKey { get; }

    /// <summary>
    /// Reads Go's signer key <c>PRIVATE+KEY+name+hex8+base64(0x01||seed)</c>, with the rules of
    /// <see cref="NoteVerifier.TryParse"/>; the ID must match the public key derived from the seed.
    /// </summary>
    public static bool TryParse(string privateKey, out NoteSigner? signer)
    {
        signer = null;
        var text = privateKey.AsSpan();
        if (!text.StartsWith(PrivatePrefix, StringComparison.Ordinal)) return false;
        Span<byte> typeAndSeed = stackalloc byte[NoteKeyText.KeySize];
        try
        {
            if (!NoteKeyText.TryParse(text[PrivatePrefix.Length..], out var name, out uint id, typeAndSeed)) return false;
            var key = Ed25519PrivateKey.FromSeed(typeAndSeed[1..]);
            if (NoteKeyId.Compute(name, [NoteKeyText.Ed25519Type, .. key.PublicKey]) != id)
            {
                key.Dispose();
                return false;
            }
            signer = new NoteSigner(name, id, key);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(typeAndSeed);
        }
    }

    /// <summary>A fresh key pair for <paramref name="name"/>, as Go's note.GenerateKey.</summary>
    /// <exception cref="ArgumentException">when <paramref name="name"/> is not a valid key name.</exception>
    public static (string PrivateKey, string VerifierKey) Generate(string name)
    {
        if (!NoteKeyName.IsValid(name)) throw new ArgumentException("a key name is non-empty, without '+', spaces or control characters", nameof(name));
        using var key = Ed25519PrivateKey.Generate();
        var id = NoteKeyId.Compute(name, [NoteKeyText.Ed25519Type, .. key.PublicKey]);
        Span<byte> typeAndSeed = stackalloc byte[NoteKeyText.KeySize];
        try
        {
            typeAndSeed[0] = NoteKeyText.Ed25519Type;
            key.ExportSeed(typeAndSeed[1..]);
            return (PrivatePrefix + NoteKeyText.Format(name, id, typeAndSeed),
                    NoteKeyText.Format(name, id, [NoteKeyText.Ed25519Type, .. key.PublicKey]));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(typeAndSeed);
        }
    }

    /// <summary>Signs <paramref name="message"/> into the 64 bytes that follow the key ID in a signature line.</summary>
    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature) => key.Sign(message, signature);

    public void Dispose() => key.Dispose();
}

/// <summary>Key names, c2sp.org/signed-note "Format".</summary>
public static class NoteKeyName
{
    /// <summary>
    /// Non-empty, well-formed UTF-16 (so valid UTF-8), no '+' (the key text separator) and no Unicode space; control
    /// characters are refused too, as a name always sits inside a note, which allows none but newline.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty) return false;
        while (!name.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(name, out var rune, out int used) != System.Buffers.OperationStatus.Done) return false;
            if (rune.Value == '+' || Rune.IsWhiteSpace(rune) || Rune.IsControl(rune)) return false;
            name = name[used..];
        }
        return true;
    }
}

/// <summary>The shared <c>name+hex8+base64(type||key)</c> tail of both key forms.</summary>
internal static class NoteKeyText
{
    public const byte Ed25519Type = 0x01;
    public const int KeySize = 1 + 32; // type byte and a 32-byte Ed25519 public key or seed

    public static bool TryParse(ReadOnlySpan<char> text, out string name, out uint keyId, Span<byte> typeAndKey, byte type = Ed25519Type)
    {
        name = "";
        keyId = 0;
        // The name has no '+', so the first '+' ends it; base64 may contain '+', so it is all the rest.
        int plus = text.IndexOf('+');
        if (plus < 0 || !NoteKeyName.IsValid(text[..plus])) return false;
        var hex = text[(plus + 1)..];
        if (hex.Length < 9 || hex[8] != '+' || hex[..8].ContainsAnyExcept("0123456789abcdef")) return false;
        if (!StrictBase64.TryDecode(hex[9..], typeAndKey, out int written) || written != KeySize || typeAndKey[0] != type) return false;
        name = text[..plus].ToString();
        keyId = uint.Parse(hex[..8], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return true;
    }

    public static string Format(string name, uint keyId, ReadOnlySpan<byte> typeAndKey) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}+{keyId:x8}+{Convert.ToBase64String(typeAndKey)}");
}
