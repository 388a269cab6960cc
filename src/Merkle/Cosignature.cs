using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Attest.Merkle;

// C2SP tlog-cosignature v1 with Ed25519 (c2sp.org/tlog-cosignature "Format" and "Ed25519 signed message"): a witness's
// statement that, at a time, the checkpoint is the largest consistent tree it has seen of the log. On the wire it is
// an ordinary note signature line (c2sp.org/signed-note) whose key ID is computed with signature type 0x04 and whose
// signature bytes are a timestamped_signature:
//
//   line        "— " || key name || " " || base64(uint32_be key ID || uint64_be timestamp || 64-byte Ed25519 signature)
//   key ID      SHA-256(key name || 0x0A || 0x04 || 32-byte public key)[:4]
//   signed      "cosignature/v1\n" || "time " || decimal timestamp || "\n" || checkpoint note text (final newline included)
//   vkey        key name + "+" + hex8 key ID + "+" + base64(0x04 || 32-byte public key)   (signed-note "Verifier keys")
//
// The signed message does not commit to the key name, so a key MUST NOT serve two cosigners (the spec's rule).

/// <summary>The byte formats of c2sp.org/tlog-cosignature v1, Ed25519.</summary>
public static class Cosignature
{
    /// <summary>The signature type byte of Ed25519 cosignatures ("Format": key ID and vkey).</summary>
    public const byte Ed25519Type = 0x04;

    /// <summary>timestamped_signature: uint64 timestamp and a 64-byte Ed25519 signature ("Format").</summary>
    public const int SignatureSize = 8 + Ed25519.SignatureSize;

    /// <summary>
    /// "Ed25519 signed message": <c>"cosignature/v1\ntime " || decimal(timestamp) || "\n" || text</c>, the timestamp in
    /// ASCII decimal without leading zeroes and <paramref name="text"/> the checkpoint's note text with its final newline.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">when the timestamp is negative (the spec caps it at 2^63 - 1).</exception>
    public static byte[] SignedMessage(long timestamp, ReadOnlySpan<byte> text)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"cosignature/v1\ntime {timestamp}\n"));
        var message = new byte[header.Length + text.Length];
        header.CopyTo(message, 0);
        text.CopyTo(message.AsSpan(header.Length));
        return message;
    }

    /// <summary>
    /// Reads the timestamp of a timestamped_signature (the bytes after the key ID; "Format": big-endian uint64, at
    /// most 2^63 - 1). False unless <paramref name="signature"/> is exactly <see cref="SignatureSize"/> bytes.
    /// </summary>
    public static bool TryReadTimestamp(ReadOnlySpan<byte> signature, out long timestamp)
    {
        timestamp = 0;
        if (signature.Length != SignatureSize) return false;
        ulong t = BinaryPrimitives.ReadUInt64BigEndian(signature);
        if (t > long.MaxValue) return false;
        timestamp = (long)t;
        return true;
    }

    /// <summary>
    /// Reads the timestamp of a signature line's base64 (key ID, timestamp, signature), as a client shows when a
    /// witness cosigned; false unless it is canonical base64 of exactly 4 + <see cref="SignatureSize"/> bytes.
    /// </summary>
    public static bool TryReadTimestamp(string base64, out long timestamp)
    {
        timestamp = 0;
        Span<byte> raw = stackalloc byte[4 + SignatureSize + 3];
        return base64.Length == 104 && StrictBase64.TryDecode(base64, raw, out int n) && n == 4 + SignatureSize && TryReadTimestamp(raw[4..n], out timestamp);
    }
}

/// <summary>A witness's cosignature key, checking v1 Ed25519 cosignatures (c2sp.org/tlog-cosignature).</summary>
public sealed class CosignatureVerifier : INoteVerifier
{
    private readonly Ed25519PublicKey publicKey;

    private CosignatureVerifier(string name, uint keyId, Ed25519PublicKey publicKey)
    {
        Name = name;
        KeyId = keyId;
        this.publicKey = publicKey;
    }

    public string Name { get; }

    public uint KeyId { get; }

    /// <summary>
    /// Reads a vkey <c>name+hex8+base64(0x04||pub)</c> strictly: a valid name, 8 lowercase hex digits equal to the key ID
    /// computed with type 0x04, canonical base64 of exactly 33 bytes whose first is 0x04. A plain signed-note key
    /// (type 0x01) is refused: it names a note signer, not a cosigner, and its key ID would not match the lines.
    /// </summary>
    public static bool TryParse(string verifierKey, out CosignatureVerifier? verifier)
    {
        verifier = null;
        Span<byte> key = stackalloc byte[NoteKeyText.KeySize];
        if (!NoteKeyText.TryParse(verifierKey, out var name, out uint id, key, Cosignature.Ed25519Type)) return false;
        if (NoteKeyId.Compute(name, key) != id || !Ed25519PublicKey.TryImport(key[1..], out var publicKey)) return false;
        verifier = new CosignatureVerifier(name, id, publicKey);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="signature"/> (timestamp and Ed25519 signature, the bytes after the key ID) cosigns the
    /// note text <paramref name="message"/>. Allocates the signed message.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Cosignature.TryReadTimestamp(signature, out long timestamp)
        && publicKey.Verify(Cosignature.SignedMessage(timestamp, message), signature[8..]);

    public override string ToString() => NoteKeyText.Format(Name, KeyId, [Cosignature.Ed25519Type, .. publicKey.Bytes]);
}

/// <summary>A witness's Ed25519 cosigning key. Dispose it to zero the secret key.</summary>
public sealed class CosignatureSigner : IDisposable
{
    private const string PrivatePrefix = "PRIVATE+KEY+";

    private readonly Ed25519PrivateKey key;

    private CosignatureSigner(string name, Ed25519PrivateKey key)
    {
        Name = name;
        this.key = key;
        KeyId = NoteKeyId.Compute(name, [Cosignature.Ed25519Type, .. key.PublicKey]);
        VerifierKey = NoteKeyText.Format(name, KeyId, [Cosignature.Ed25519Type, .. key.PublicKey]);
    }

    public string Name { get; }

    /// <summary>The key ID of the cosignature lines, computed with type 0x04.</summary>
    public uint KeyId { get; }

    /// <summary>The vkey clients and logs configure, <c>name+hex8+base64(0x04||pub)</c>.</summary>
    public string VerifierKey { get; }

    /// <summary>
    /// Reads a signer key <c>PRIVATE+KEY+name+hex8+base64(type||seed)</c>: type 0x01 with the key ID of type 0x01, as
    /// Go's note.GenerateKey writes it (so a key made by any signed-note tool works), or type 0x04 with the key ID of
    /// type 0x04 (as transparency-dev/formats also accepts). The seed becomes an Ed25519 cosigning key either way.
    /// </summary>
    public static bool TryParse(string privateKey, out CosignatureSigner? signer)
    {
        signer = null;
        var text = privateKey.AsSpan();
        if (!text.StartsWith(PrivatePrefix, StringComparison.Ordinal)) return false;
        text = text[PrivatePrefix.Length..];
        Span<byte> typeAndSeed = stackalloc byte[NoteKeyText.KeySize];
        try
        {
            string name;
            uint id;
            if (!NoteKeyText.TryParse(text, out name, out id, typeAndSeed, NoteKeyText.Ed25519Type)
                && !NoteKeyText.TryParse(text, out name, out id, typeAndSeed, Cosignature.Ed25519Type)) return false;
            var key = Ed25519PrivateKey.FromSeed(typeAndSeed[1..]);
            if (NoteKeyId.Compute(name, [typeAndSeed[0], .. key.PublicKey]) != id)
            {
                key.Dispose();
                return false;
            }
            signer = new CosignatureSigner(name, key);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(typeAndSeed);
        }
    }

    /// <summary>A fresh key in Go's <c>PRIVATE+KEY</c> form (type 0x01, as note.GenerateKey) and its cosignature vkey.</summary>
    /// <exception cref="ArgumentException">when <paramref name="name"/> is not a valid key name.</exception>
    public static (string PrivateKey, string VerifierKey) Generate(string name)
    {
        var (privateKey, _) = NoteSigner.Generate(name);
        if (!TryParse(privateKey, out var signer)) throw new System.Diagnostics.UnreachableException("a generated key does not parse");
        using (signer) return (privateKey, signer!.VerifierKey);
    }

    /// <summary>
    /// The note signature line (c2sp.org/signed-note) cosigning the checkpoint note text <paramref name="text"/> (final
    /// newline included) at POSIX time <paramref name="timestamp"/>: <c>"— name base64(keyID||timestamp||sig)\n"</c>.
    /// </summary>
    public string Cosign(ReadOnlySpan<byte> text, long timestamp)
    {
        Span<byte> line = stackalloc byte[4 + Cosignature.SignatureSize];
        BinaryPrimitives.WriteUInt32BigEndian(line, KeyId);
        BinaryPrimitives.WriteUInt64BigEndian(line[4..], (ulong)timestamp);
        key.Sign(Cosignature.SignedMessage(timestamp, text), line[12..]);
        return "\u2014 " + Name + " " + Convert.ToBase64String(line) + "\n";
    }

    public void Dispose() => key.Dispose();
}
