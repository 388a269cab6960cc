using System.Globalization;
using System.Text;

namespace Attest.Merkle;

/// <summary>
/// The note text of a C2SP checkpoint (c2sp.org/tlog-checkpoint "Note text"): origin, tree size, root hash and
/// optional extension lines. Sign it with <c>Note.Sign(checkpoint.Format(), signer)</c>; read a signed one with
/// <see cref="Note.Open"/> then <see cref="TryParse"/> on <see cref="OpenedNote.Text"/>.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, Hash Root, IReadOnlyList<string> Extensions)
{
    /// <summary>
    /// Writes <c>origin "\n" size "\n" base64(root) "\n"</c> then each extension line and <c>"\n"</c>: size in ASCII
    /// decimal without leading zeroes, root as standard padded base64 of its 32 bytes.
    /// </summary>
    /// <exception cref="InvalidOperationException">when a field could not be read back by <see cref="TryParse"/>.</exception>
    public string Format()
    {
        if (!IsLine(Origin)) throw new InvalidOperationException("a checkpoint origin is a non-empty line without control characters");
        if (Size < 0) throw new InvalidOperationException("a checkpoint's tree size is not negative");
        var text = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Root.ToBase64()).Append('\n');
        foreach (var extension in Extensions)
        {
            if (!IsLine(extension)) throw new InvalidOperationException("a checkpoint extension is a non-empty line without control characters");
            text.Append(extension).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// Reads the lines <see cref="Format"/> writes, strictly: at least three, each non-empty and ending in
    /// <c>"\n"</c>, without control characters; a size without sign or leading zero that fits a long; a root in
    /// canonical base64 of exactly 32 bytes; at most <see cref="Note.MaxSize"/> characters in all.
    /// </summary>
    public static bool TryParse(string text, out Checkpoint? checkpoint)
    {
        checkpoint = null;
        if (string.IsNullOrEmpty(text) || text.Length > Note.MaxSize || text[^1] != '\n') return false;
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || !lines.All(IsLine)) return false;
        if (!TryParseSize(lines[1], out long size) || !Hash.TryParseBase64(lines[2], out var root)) return false;
        checkpoint = new Checkpoint(lines[0], size, root, lines[3..]);
        return true;
    }

    /// <summary>ASCII decimal digits, no sign, no leading zero unless the value is 0 (tlog-checkpoint, also tlog-proof's index).</summary>
    internal static bool TryParseSize(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 19 || text.ContainsAnyExceptInRange('0', '9') || (text[0] == '0' && text.Length > 1)) return false;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    // Lines sit inside a signed note, which allows no control character but the newline that ends them; surrogates
    // must pair up so the text encodes to valid UTF-8.
    private static bool IsLine(string line)
    {
        if (line.Length == 0) return false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c < 0x20) return false;
            if (char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1])) i++;
            else if (char.IsSurrogate(c)) return false;
        }
        return true;
    }
}
