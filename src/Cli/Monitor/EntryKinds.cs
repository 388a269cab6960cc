using System.Text;
using System.Text.Json;
using Attest.Verification;

namespace Attest.Cli.Monitor;

/// <summary>
/// What kind each new entry is (docs/ENTRIES.md "Entry kinds"): a JSON object, counted by its <c>type</c>, or a SCITT
/// Signed Statement (a COSE_Sign1, first byte 0xD2), whose header is read strictly but never trusted: the monitor
/// checks the tree, not the issuers' signatures. An entry that is neither (not a JSON object with a string
/// <c>type</c>, not a well-formed COSE_Sign1) is unrecognised: reported, counted, and no reason to stop, since the
/// tree over it is still checked like any other.
/// </summary>
public sealed class EntryKinds
{
    public const string Statement = "SCITT statement", Unrecognised = "unrecognised";

    private readonly SortedDictionary<string, long> counts = new(StringComparer.Ordinal);
    private readonly List<string> problems = [];

    /// <summary>The unrecognised entries' descriptions, in log order.</summary>
    public IReadOnlyList<string> Problems => problems;

    /// <summary>Classifies entry <paramref name="index"/> and returns a one-line description of it.</summary>
    public string Add(long index, byte[] entry)
    {
        string kind, line;
        if (StatementHeader.IsStatement(entry))
        {
            if (StatementHeader.TryRead(entry, out var h, out string problem))
            {
                kind = Statement;
                line = $"entry {index}: {Statement}, {entry.Length} bytes, iss {Quote(h!.Iss)}, sub {Quote(h.Sub)}, kid {Quote(h.KidText)}, alg {h.AlgName ?? "(none)"} (as claimed, unverified)";
            }
            else
            {
                kind = Unrecognised;
                line = $"entry {index}: {Unrecognised}, {entry.Length} bytes beginning with 0xD2: {problem}";
            }
        }
        else if (JsonType(entry) is { } type)
        {
            kind = type;
            line = $"entry {index}: {Quote(type)}, {entry.Length} bytes";
        }
        else
        {
            kind = Unrecognised;
            line = $"entry {index}: {Unrecognised}, {entry.Length} bytes: neither a JSON object with a \"type\" nor a COSE_Sign1 statement";
        }
        counts[kind] = counts.GetValueOrDefault(kind) + 1;
        if (kind == Unrecognised) problems.Add(line);
        return line;
    }

    /// <summary>"3 stamp/v1, 1 SCITT statement": the counts by kind, in a stable order.</summary>
    public string Summary() => string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"));

    /// <summary>The top-level <c>type</c> of a JSON object, read with the strict reader (no duplicate-property check: the monitor only labels it), or null.</summary>
    private static string? JsonType(byte[] entry)
    {
        if (entry.Length == 0 || entry[0] != (byte)'{') return null;
        try
        {
            var reader = new Utf8JsonReader(entry, new JsonReaderOptions { MaxDepth = 64 });
            reader.Read();
            string? type = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String) type = reader.GetString();
                else reader.Skip();
            }
            // The object must end the entry: nothing may follow it.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() && reader.BytesConsumed == entry.Length ? type : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Untrusted text for a terminal: quoted, at most 80 characters, with control, format and separator characters
    /// escaped as <c>attest verify</c> escapes them: a right-to-left override in a claimed subject would otherwise
    /// reorder the rest of the line, and a line separator start a line of its own.
    /// </summary>
    private static string Quote(string? text)
    {
        if (text is null) return "(none)";
        var b = new StringBuilder("\"");
        foreach (char c in text.Length > 80 ? text[..80] : text)
            b.Append(Common.MustEscape(c) || c is '"' or '\\' ? $"\\u{(int)c:x4}" : c);
        return b.Append(text.Length > 80 ? "…\"" : "\"").ToString();
    }
}
