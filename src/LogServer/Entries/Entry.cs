using System.Text.Json;

namespace Attest.LogServer.Entries;

/// <summary>
/// The log's entry types (docs/ENTRIES.md), one file each in this folder: its <c>type</c> string, a typed record,
/// its canonical encoding (RFC 8785 JCS, UTF-8) and its strict parsing. Nothing outside this folder reads or writes
/// an entry's members by name.
/// </summary>
public static class Entry
{
    /// <summary>
    /// The entry's <c>type</c> as one of the constants of this folder's records (so a switch on it allocates
    /// nothing), or null for an object with no <c>type</c> this server writes.
    /// </summary>
    public static string? TypeOf(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String) return null;
        foreach (string type in Types)
            if (t.ValueEquals(type)) return type;
        return null;
    }

    // Most frequent first: the indexer asks once per entry.
    private static readonly string[] Types =
    [
        AttestationEntry.Type, StampEntry.Type, RevocationEntry.Type, KeyEntry.Type, ApiKeyEntry.Type, PackEntry.Type, IssuerEntry.Type,
        AnchorEntry.Type, StampRevealEntry.Type,
    ];

    /// <summary>
    /// Whether the entry is a SCITT Signed Statement (a COSE_Sign1, whose CBOR tag 18 is the byte 0xD2) rather than a
    /// JSON object (first byte <c>{</c>); docs/ENTRIES.md "Entry kinds".
    /// </summary>
    public static bool IsStatement(ReadOnlySpan<byte> entry) => entry.Length > 0 && entry[0] == 0xD2;

    /// <summary>Parses <paramref name="utf8"/> as JSON for one of the records' <c>Parse</c>; not JSON is an <see cref="EntryFormatException"/>.</summary>
    internal static T Parse<T>(ReadOnlySpan<byte> utf8, Func<JsonElement, T> parse)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException e)
        {
            throw new EntryFormatException($"the entry is not JSON: {e.Message}");
        }
        using (doc) return parse(doc.RootElement);
    }
}

/// <summary>The one exception the entry parsers throw: the bytes are not an entry of the expected type as docs/ENTRIES.md defines it.</summary>
public sealed class EntryFormatException(string message) : FormatException(message);
