using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Attest.Merkle;

/// <summary>
/// A C2SP transparency log proof (c2sp.org/tlog-proof@v1 "Format"): an entry's index, its RFC 6962 §2.1.1 inclusion
/// proof (leaf's sibling first, root's child last), the signed checkpoint it leads to, and optional unauthenticated
/// extra data. Parsing checks the form only: open <see cref="SignedCheckpoint"/> with <see cref="Note.Open"/> and
/// verify the proof against it before believing anything, and never trust <see cref="Extra"/>.
/// </summary>
public sealed record TlogProof(long Index, IReadOnlyList<Hash> Proof, string SignedCheckpoint, byte[]? Extra)
{
    public const string Header = "c2sp.org/tlog-proof@v1";

    /// <summary>A tree of fewer than 2^63 leaves has inclusion proofs of at most 63 hashes.</summary>
    public const int MaxProofHashes = 63;

    /// <summary>Largest extra data read: 48 KiB, 64 KiB of base64. The spec sets no limit; this bounds what an untrusted proof can make us allocate.</summary>
    public const int MaxExtraSize = 48 * 1024;

    private const int MaxExtraBase64 = MaxExtraSize / 3 * 4;

    // Header, extra, index and hash lines take at most this much besides the extra data's base64 and the checkpoint.
    private const int MaxFixedLines = 4096;

    /// <summary>
    /// Writes, each line ending in <c>"\n"</c>: <see cref="Header"/>; <c>"extra " base64(extra)</c> if
    /// <see cref="Extra"/> is not null; <c>"index " decimal(index)</c>; base64 of each proof hash; an empty line; then
    /// <see cref="SignedCheckpoint"/> verbatim.
    /// </summary>
    /// <exception cref="InvalidOperationException">when a field could not be read back by <see cref="TryParse"/>.</exception>
    public string Format() => Encoding.UTF8.GetString(FormatUtf8());

    /// <summary>
    /// The text of <see cref="Format"/> in UTF-8, in one array of exactly its length: what a server sends, with no
    /// string per hash, builder or whole-text string on the way (a served proof's garbage was three quarters those).
    /// </summary>
    /// <exception cref="InvalidOperationException">when a field could not be read back by <see cref="TryParse"/>.</exception>
    public byte[] FormatUtf8()
    {
        if (Index < 0) throw new InvalidOperationException("a tlog-proof index is not negative");
        if (Proof.Count > MaxProofHashes) throw new InvalidOperationException($"a tlog-proof has at most {MaxProofHashes} hashes");
        if (Extra is { Length: > MaxExtraSize }) throw new InvalidOperationException($"tlog-proof extra data is at most {MaxExtraSize} bytes");
        if (!IsSignedNote(SignedCheckpoint)) throw new InvalidOperationException("a tlog-proof's checkpoint is a signed note, ending in a newline");
        Span<byte> index = stackalloc byte[20];
        Index.TryFormat(index, out int indexLength, default, CultureInfo.InvariantCulture);
        index = index[..indexLength];
        const int HashLine = (Hash.Size + 2) / 3 * 4 + 1;
        int length = Header.Length + 1
            + (Extra is null ? 0 : "extra ".Length + Base64.GetMaxEncodedToUtf8Length(Extra.Length) + 1)
            + "index ".Length + index.Length + 1 + Proof.Count * HashLine + 1 + Encoding.UTF8.GetByteCount(SignedCheckpoint);
        var text = new byte[length];
        var rest = text.AsSpan();
        Put(ref rest, "c2sp.org/tlog-proof@v1\n"u8);
        if (Extra is not null)
        {
            Put(ref rest, "extra "u8);
            Base64.EncodeToUtf8(Extra, rest, out _, out int written);
            rest = rest[written..];
            Put(ref rest, "\n"u8);
        }
        Put(ref rest, "index "u8);
        Put(ref rest, index);
        Put(ref rest, "\n"u8);
        for (int i = 0; i < Proof.Count; i++)
        {
            var hash = Proof[i];
            Base64.EncodeToUtf8(hash.Bytes, rest, out _, out int written);
            rest = rest[written..];
            Put(ref rest, "\n"u8);
        }
        Put(ref rest, "\n"u8);
        rest = rest[Encoding.UTF8.GetBytes(SignedCheckpoint, rest)..];
        if (!rest.IsEmpty) throw new System.Diagnostics.UnreachableException("tlog-proof length miscounted");
        return text;
    }

    private static void Put(ref Span<byte> rest, scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(rest);
        rest = rest[bytes.Length..];
    }

    /// <summary>
    /// Reads the lines <see cref="Format"/> writes, strictly: exact header; extra data, if present, in canonical base64
    /// of at most <see cref="MaxExtraSize"/> bytes (possibly empty); an index without sign or leading zero that fits a
    /// long; at most <see cref="MaxProofHashes"/> hashes in canonical base64 of 32 bytes; the empty line; then a
    /// non-empty checkpoint of at most <see cref="Note.MaxSize"/> characters ending in a newline, kept unopened.
    /// </summary>
    public static bool TryParse(string text, out TlogProof? proof)
    {
        proof = null;
        if (text is null || text.Length > MaxFixedLines + MaxExtraBase64 + Note.MaxSize) return false;
        var rest = text.AsSpan();
        if (!TryReadLine(ref rest, out var line) || !line.SequenceEqual(Header)) return false;

        if (!TryReadLine(ref rest, out line)) return false;
        byte[]? extra = null;
        if (line.StartsWith("extra "))
        {
            var base64 = line["extra ".Length..];
            if (base64.Length > MaxExtraBase64) return false;
            var buffer = new byte[base64.Length / 4 * 3];
            if (!StrictBase64.TryDecode(base64, buffer, out int length)) return false;
            extra = buffer[..length];
            if (!TryReadLine(ref rest, out line)) return false;
        }

        if (!line.StartsWith("index ") || !Checkpoint.TryParseSize(line["index ".Length..], out long index)) return false;

        var hashes = new List<Hash>();
        while (true)
        {
            if (!TryReadLine(ref rest, out line)) return false;
            if (line.IsEmpty) break;
            if (hashes.Count == MaxProofHashes || !Hash.TryParseBase64(line, out var hash)) return false;
            hashes.Add(hash);
        }

        var checkpoint = rest.ToString();
        if (!IsSignedNote(checkpoint)) return false;
        proof = new TlogProof(index, hashes, checkpoint, extra);
        return true;
    }

    // The rest is only shape-checked here; Note.Open does the real reading.
    private static bool IsSignedNote(string note) => note.Length is > 0 and <= Note.MaxSize && note[^1] == '\n';

    private static bool TryReadLine(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> line)
    {
        int end = rest.IndexOf('\n');
        if (end < 0)
        {
            line = default;
            return false;
        }
        line = rest[..end];
        rest = rest[(end + 1)..];
        return true;
    }
}
