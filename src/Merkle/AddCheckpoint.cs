using System.Globalization;
using System.Text;

namespace Attest.Merkle;

/// <summary>A parsed <c>add-checkpoint</c> request body: the old size, the consistency proof and the signed checkpoint bytes.</summary>
public sealed record AddCheckpointRequest(long OldSize, Hash[] Proof, byte[] SignedCheckpoint);

/// <summary>
/// The byte formats of C2SP tlog-witness <c>POST &lt;prefix&gt;/add-checkpoint</c> (c2sp.org/tlog-witness
/// "add-checkpoint"): the request body, and the <c>text/x.tlog.size</c> body of a 409 answer. The 200 answer is note
/// signature lines, read by appending them to the checkpoint and opening it with <see cref="Note.Open"/>, as the spec
/// suggests.
/// </summary>
public static class AddCheckpoint
{
    /// <summary>"The client MUST NOT send more than 63 consistency proof lines."</summary>
    public const int MaxProofLines = 63;

    /// <summary>The <c>Content-Type</c> of a 409 answer.</summary>
    public const string SizeContentType = "text/x.tlog.size";

    /// <summary>
    /// The request body: <c>"old " || decimal(oldSize) || "\n"</c>, one line of standard base64 per proof hash, an empty
    /// line, then the signed checkpoint note as is (it ends in a newline already).
    /// </summary>
    /// <exception cref="ArgumentException">when the old size is negative or the proof has more than 63 hashes.</exception>
    public static string Format(long oldSize, ReadOnlySpan<Hash> proof, string signedCheckpoint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(oldSize);
        if (proof.Length > MaxProofLines) throw new ArgumentException($"a consistency proof has at most {MaxProofLines} hashes", nameof(proof));
        var body = new StringBuilder("old ").Append(oldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in proof) body.Append(hash.ToBase64()).Append('\n');
        return body.Append('\n').Append(signedCheckpoint).ToString();
    }

    /// <summary>
    /// Reads a request body strictly: the old size line (<c>old</c>, one space, ASCII decimal without sign or leading
    /// zero), at most 63 lines each of canonical base64 of exactly 32 bytes, an empty line, and a non-empty rest (the
    /// signed checkpoint, which <see cref="Note.Open"/> then checks). Every line ends in <c>"\n"</c> (no <c>"\r"</c>).
    /// Whether the proof is empty when the old size is 0 is the witness's check, not a matter of syntax.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out AddCheckpointRequest? request)
    {
        request = null;
        if (!NextLine(ref body, out var line) || !line.StartsWith("old "u8)) return false;
        if (!TryParseDecimal(line[4..], out long oldSize)) return false;
        var proof = new List<Hash>();
        Span<char> chars = stackalloc char[44];
        while (true)
        {
            if (!NextLine(ref body, out line)) return false;
            if (line.IsEmpty) break;
            if (proof.Count == MaxProofLines || line.Length != 44) return false;
            for (int i = 0; i < 44; i++) chars[i] = (char)line[i];
            if (!Hash.TryParseBase64(chars, out var hash)) return false;
            proof.Add(hash);
        }
        if (body.IsEmpty) return false;
        request = new AddCheckpointRequest(oldSize, [.. proof], body.ToArray());
        return true;
    }

    /// <summary>The body of a 409 answer: the witness's latest cosigned size in decimal and a newline.</summary>
    public static string FormatSize(long size) => size.ToString(CultureInfo.InvariantCulture) + "\n";

    /// <summary>Reads a 409 body strictly: ASCII decimal without sign or leading zero, then exactly one newline.</summary>
    public static bool TryParseSize(ReadOnlySpan<byte> body, out long size)
    {
        size = 0;
        return body.Length > 1 && body[^1] == '\n' && TryParseDecimal(body[..^1], out size);
    }

    private static bool NextLine(ref ReadOnlySpan<byte> body, out ReadOnlySpan<byte> line)
    {
        int end = body.IndexOf((byte)'\n');
        if (end < 0)
        {
            line = default;
            return false;
        }
        line = body[..end];
        body = body[(end + 1)..];
        return true;
    }

    private static bool TryParseDecimal(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 19 || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9') || (digits[0] == '0' && digits.Length > 1)) return false;
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
