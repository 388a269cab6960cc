using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Attest.Merkle;

/// <summary>
/// C2SP signed notes (c2sp.org/signed-note "Format" and "Signatures"), following Go's golang.org/x/mod/sumdb/note:
/// <c>text</c> (UTF-8 ending in a newline) <c>|| "\n" ||</c> one or more lines
/// <c>"— " || key name || " " || base64(uint32_be key ID || signature) || "\n"</c>.
/// </summary>
public static class Note
{
    /// <summary>Largest signed note <see cref="Open"/> reads, in bytes.</summary>
    public const int MaxSize = 1 << 20;

    /// <summary>Most signature lines <see cref="Open"/> reads; the spec requires at least 16, Go allows 100.</summary>
    public const int MaxSignatures = 100;

    /// <summary>Longest base64 of one signature <see cref="Open"/> reads; Ed25519 needs 92 characters.</summary>
    public const int MaxSignatureBase64 = 1024;

    private static ReadOnlySpan<byte> Separator => "\n\n"u8;

    private static ReadOnlySpan<byte> SignaturePrefix => "\u2014 "u8; // em dash, space

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes <paramref name="text"/>, a blank line and one signature line per signer, in order (signed-note "Format").
    /// Every signer signs the UTF-8 bytes of <paramref name="text"/>, final newline included.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// when the text does not end in a newline, is not valid Unicode or has control characters other than newline;
    /// when there are no signers, more than <see cref="MaxSignatures"/>, or two with the same name and key ID;
    /// or when the note would exceed <see cref="MaxSize"/> (and so could not be opened).
    /// </exception>
    public static string Sign(string text, params NoteSigner[] signers)
    {
        byte[] body;
        try
        {
            body = StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("note text is not valid Unicode", nameof(text), e);
        }
        if (body.Length == 0 || body[^1] != '\n' || !IsNoteText(body)) throw new ArgumentException("note text must end in a newline and have no control characters other than newline", nameof(text));
        if (signers.Length is 0 or > MaxSignatures) throw new ArgumentException($"a note has 1 to {MaxSignatures} signatures, not {signers.Length}", nameof(signers));
        for (int i = 0; i < signers.Length; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (signers[i].Name == signers[j].Name && signers[i].KeyId == signers[j].KeyId) throw new ArgumentException($"two signers are {signers[i].Name}+{signers[i].KeyId:x8}", nameof(signers));
            }
        }

        var note = new StringBuilder(text).Append('\n');
        Span<byte> signature = stackalloc byte[4 + Ed25519.SignatureSize];
        foreach (var signer in signers)
        {
            BinaryPrimitives.WriteUInt32BigEndian(signature, signer.KeyId);
            signer.Sign(body, signature[4..]);
            note.Append("\u2014 ").Append(signer.Name).Append(' ').Append(Convert.ToBase64String(signature)).Append('\n');
        }
        var signed = note.ToString();
        if (Encoding.UTF8.GetByteCount(signed) > MaxSize) throw new ArgumentException($"the signed note would exceed {MaxSize} bytes", nameof(text));
        return signed;
    }

    /// <summary>
    /// Reads a signed note and checks its signatures against <paramref name="verifiers"/> (signed-note "Signatures"):
    /// signatures by unknown keys (name and key ID not both matching a verifier) are listed in
    /// <see cref="OpenedNote.Unknown"/> unchecked; one by a known key that fails to verify rejects the note, and so
    /// does a note with no verified signature.
    /// </summary>
    /// <exception cref="NoteException">
    /// when the note is larger than <see cref="MaxSize"/>, is not UTF-8, has a control character other than newline, has
    /// no blank line before its signatures, has a malformed signature line, more than <see cref="MaxSignatures"/>
    /// signatures or two by one key, a known key's signature does not verify, or no known key signed it.
    /// </exception>
    /// <exception cref="ArgumentException">when two verifiers share a name and key ID.</exception>
    public static OpenedNote Open(ReadOnlySpan<byte> message, IReadOnlyList<INoteVerifier> verifiers)
    {
        for (int i = 0; i < verifiers.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (verifiers[i].Name == verifiers[j].Name && verifiers[i].KeyId == verifiers[j].KeyId) throw new ArgumentException($"two verifiers are {verifiers[i].Name}+{verifiers[i].KeyId:x8}", nameof(verifiers));
            }
        }
        if (message.Length > MaxSize) throw new NoteException($"note is {message.Length} bytes, more than {MaxSize}");
        if (!IsNoteText(message)) throw new NoteException("note is not UTF-8 free of control characters other than newline");

        // The text keeps its final newline; the last blank line separates it from the signatures.
        int split = message.LastIndexOf(Separator);
        if (split < 0) throw new NoteException("note has no blank line before its signatures");
        var text = message[..(split + 1)];
        var block = message[(split + 2)..];
        if (block.IsEmpty || block[^1] != '\n') throw new NoteException("note's signatures do not end in a newline");
        if (block.Count((byte)'\n') > MaxSignatures) throw new NoteException($"note has more than {MaxSignatures} signatures");

        var verified = new List<NoteSignature>();
        var unknown = new List<NoteSignature>();
        var seen = new HashSet<(string, uint)>();
        Span<byte> raw = stackalloc byte[MaxSignatureBase64 / 4 * 3];
        while (!block.IsEmpty)
        {
            int end = block.IndexOf((byte)'\n');
            var line = block[..end];
            block = block[(end + 1)..];

            if (!line.StartsWith(SignaturePrefix)) throw new NoteException("note signature line does not start with an em dash and a space");
            line = line[SignaturePrefix.Length..];
            int space = line.IndexOf((byte)' ');
            if (space < 0) throw new NoteException("note signature line has no space after the key name");
            var name = Encoding.UTF8.GetString(line[..space]);
            if (!NoteKeyName.IsValid(name)) throw new NoteException($"note signature has an invalid key name \"{name}\"");
            if (line.Length - space - 1 > MaxSignatureBase64) throw new NoteException($"note signature by {name} is longer than {MaxSignatureBase64} characters");
            var base64 = Encoding.UTF8.GetString(line[(space + 1)..]);
            if (!StrictBase64.TryDecode(base64, raw, out int length) || length < 5) throw new NoteException($"note signature by {name} is not canonical base64 of a key ID and a signature");
            uint id = BinaryPrimitives.ReadUInt32BigEndian(raw);

            // As Go's golang.org/x/mod/sumdb/note does: a line repeated by an unknown key is dropped, and a known key's
            // later lines are not read (its first decides), so a relayed note that gained a copied line still opens.
            var signature = new NoteSignature(name, id, base64);
            var verifier = Find(verifiers, name, id);
            if (verifier is null)
            {
                if (!unknown.Contains(signature)) unknown.Add(signature);
                continue;
            }
            if (!seen.Add((name, id))) continue;
            if (!verifier.Verify(text, raw[4..length])) throw new NoteException($"note signature by {name}+{id:x8} does not verify", NoteFailure.BadSignature);
            verified.Add(signature);
        }
        if (verified.Count == 0) throw new NoteException("note has no signature by a known key" + (unknown.Count == 0 ? "" : ", only by " + string.Join(", ", unknown.Select(s => $"{s.Name}+{s.KeyId:x8}"))), NoteFailure.NotSigned);
        return new OpenedNote(Encoding.UTF8.GetString(text), verified, unknown);
    }

    // signed-note "Format": valid UTF-8 with no ASCII control character but newline. In UTF-8 the bytes below 0x20
    // only ever stand for those characters, so a byte scan is exact.
    private static bool IsNoteText(ReadOnlySpan<byte> utf8) =>
        Utf8.IsValid(utf8) && utf8.IndexOfAnyInRange((byte)0x00, (byte)0x09) < 0 && utf8.IndexOfAnyInRange((byte)0x0B, (byte)0x1F) < 0;

    private static INoteVerifier? Find(IReadOnlyList<INoteVerifier> verifiers, string name, uint id)
    {
        foreach (var verifier in verifiers)
        {
            if (verifier.Name == name && verifier.KeyId == id) return verifier;
        }
        return null;
    }
}

/// <summary>A note whose signatures <see cref="Note.Open"/> checked: the text (final newline included) and its signers.</summary>
public sealed record OpenedNote(string Text, IReadOnlyList<NoteSignature> Verified, IReadOnlyList<NoteSignature> Unknown);

/// <summary>One signature line: key name, key ID and the base64 of key ID and signature as written.</summary>
public sealed record NoteSignature(string Name, uint KeyId, string Base64);

/// <summary>A signed note that <see cref="Note.Open"/> rejects; the message says why.</summary>
public sealed class NoteException(string message, NoteFailure failure = NoteFailure.Malformed) : Exception(message)
{
    /// <summary>
    /// Whether the note was malformed or well-formed but not signed as required: c2sp.org/tlog-witness answers
    /// the first with 400 and the second with 403.
    /// </summary>
    public NoteFailure Failure { get; } = failure;
}

public enum NoteFailure
{
    /// <summary>Not a signed note: size, encoding, layout or a signature line is wrong.</summary>
    Malformed,

    /// <summary>A signature by a known key does not verify.</summary>
    BadSignature,

    /// <summary>Well-formed, but no known key signed it.</summary>
    NotSigned,
}

/// <summary>The base64 of RFC 4648 §4 (standard alphabet, padded), read canonically, as c2sp.org specs use it.</summary>
internal static class StrictBase64
{
    /// <summary>
    /// Decodes into <paramref name="destination"/>, which must hold the whole value. Rejects what .NET's decoder
    /// tolerates (whitespace, non-zero padding bits), so each value has exactly one accepted spelling.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        if (!Convert.TryFromBase64Chars(text, destination, out written)) return false;
        Span<char> again = text.Length <= 256 ? stackalloc char[256] : new char[text.Length];
        return Convert.TryToBase64Chars(destination[..written], again, out int length) && again[..length].SequenceEqual(text);
    }
}
