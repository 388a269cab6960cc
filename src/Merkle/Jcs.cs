using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Attest.Merkle;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence a JSON value is signed and hashed as.
/// </summary>
/// <remarks>
/// <para>The <c>Canonicalize</c> overloads throw <see cref="ArgumentException"/> when the value is outside the I-JSON
/// data model that RFC 8785 §3.1 requires: a duplicate property name, a lone surrogate or invalid UTF-8 in a string, or a
/// number that is not a finite IEEE 754 double. After such an exception an <see cref="IBufferWriter{T}"/> may hold a
/// partial result. Untrusted bytes go through <see cref="TryCanonicalize"/>, which also enforces the JSON grammar.</para>
/// <para>Output is written straight into the buffer writer: strings are copied from the document's UTF-8 bytes, and
/// only property names (which must be sorted as UTF-16) are materialized as strings.</para>
/// </remarks>
public static class Jcs
{
    /// <summary>Canonical UTF-8 bytes of a JSON value (RFC 8785 §3.2).</summary>
    /// <exception cref="ArgumentException">when the value is not I-JSON (RFC 8785 §3.1).</exception>
    public static byte[] Canonicalize(JsonElement value)
    {
        var output = new ArrayBufferWriter<byte>();
        Canonicalize(value, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes the canonical UTF-8 bytes of a JSON value (RFC 8785 §3.2) to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">when the value is not I-JSON (RFC 8785 §3.1).</exception>
    public static void Canonicalize(JsonElement value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteElement(value, output);
    }

    /// <summary>Canonical UTF-8 bytes of a JSON node (RFC 8785 §3.2); a null node is the JSON literal <c>null</c>.</summary>
    /// <remarks>Values other than JSON elements, strings, booleans and doubles (integers, decimals, dates…) are
    /// canonicalized from the JSON text System.Text.Json writes for them, converted to the nearest double as §3.2.2.3
    /// requires.</remarks>
    /// <exception cref="ArgumentException">when the value is not I-JSON (RFC 8785 §3.1), NaN and Infinity included.</exception>
    public static byte[] Canonicalize(JsonNode? value)
    {
        var output = new ArrayBufferWriter<byte>();
        WriteNode(value, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Parses untrusted UTF-8 JSON strictly (RFC 8785 §3.1: I-JSON, RFC 7493) and canonicalizes it. Rejects: anything
    /// that is not exactly one RFC 8259 JSON value (comments, trailing commas, a byte order mark, trailing data);
    /// duplicate property names at any depth, also when spelled with different escapes; lone surrogates and invalid
    /// UTF-8 in strings; numbers that are not finite IEEE 754 doubles; nesting deeper than <paramref name="maxDepth"/>.
    /// </summary>
    /// <param name="maxDepth">the deepest nesting accepted: 1 allows <c>[1]</c> but not <c>[[1]]</c>.</param>
    /// <returns>true with <paramref name="canonical"/> set, or false with a human-readable <paramref name="error"/>.</returns>
    public static bool TryCanonicalize(ReadOnlySpan<byte> utf8Json, out byte[]? canonical, out string? error, int maxDepth = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        canonical = null;
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = maxDepth,
        });
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            // The reader throws on anything but whitespace after the value (RFC 8259 §2: a JSON text is one value).
            if (reader.Read()) throw new JsonException("more than one JSON value");
            canonical = Canonicalize(document.RootElement);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or NotIJsonException or InsufficientExecutionStackException)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Writes one canonical object member by member, for callers who know their members' names: each name MUST come
    /// after the previous one in §3.2.3 order. That is checked, so a misordered member throws instead of producing
    /// bytes that are not canonical. Each value is written canonically. Cheaper than building a <see cref="JsonObject"/>
    /// to canonicalize, which is what the write path of a log entry needs.
    /// </summary>
    public sealed class ObjectWriter
    {
        private readonly IBufferWriter<byte> output;
        private string? last;

        public ObjectWriter(IBufferWriter<byte> output)
        {
            ArgumentNullException.ThrowIfNull(output);
            this.output = output;
            WriteByte(output, (byte)'{');
        }

        public ObjectWriter String(string name, string value)
        {
            Name(name);
            WriteUtf16String(value, output);
            return this;
        }

        /// <exception cref="ArgumentException">when the value is not I-JSON (RFC 8785 §3.1).</exception>
        public ObjectWriter Value(string name, JsonElement value)
        {
            Name(name);
            WriteElement(value, output);
            return this;
        }

        /// <summary>A member whose value is already canonical: <paramref name="jcs"/> MUST be the RFC 8785 bytes of one JSON value.</summary>
        public ObjectWriter Canonical(string name, ReadOnlySpan<byte> jcs)
        {
            Name(name);
            output.Write(jcs);
            return this;
        }

        public void End() => WriteByte(output, (byte)'}');

        private void Name(string name)
        {
            if (last is not null)
            {
                if (string.CompareOrdinal(last, name) >= 0)
                    throw new ArgumentException($"member \"{Shorten(name)}\" cannot follow \"{Shorten(last)}\" (RFC 8785 §3.2.3 order)", nameof(name));
                WriteByte(output, (byte)',');
            }
            WriteUtf16String(name, output);
            WriteByte(output, (byte)':');
            last = name;
        }
    }

    /// <summary>Thrown for data outside I-JSON; public callers see (and catch) an <see cref="ArgumentException"/>.</summary>
    private sealed class NotIJsonException(string message) : ArgumentException(message);

    // Bytes and chars a JSON string cannot hold literally (RFC 8785 §3.2.2.2): '"', '\' and U+0000..U+001F.
    private static readonly SearchValues<byte> SpecialBytes =
        SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(i => (byte)i), (byte)'"', (byte)'\\']);
    private static readonly SearchValues<char> SpecialChars =
        SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(i => (char)i), '"', '\\']);

    private static void WriteElement(JsonElement value, IBufferWriter<byte> output)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(value, output);
                break;
            case JsonValueKind.Array:
                RuntimeHelpers.EnsureSufficientExecutionStack();
                WriteByte(output, (byte)'[');
                var first = true;
                // §3.2.3: array element order is kept; objects inside are sorted by the recursion.
                foreach (var item in value.EnumerateArray())
                {
                    if (!first) WriteByte(output, (byte)',');
                    first = false;
                    WriteElement(item, output);
                }
                WriteByte(output, (byte)']');
                break;
            case JsonValueKind.String:
                WriteUtf8String(JsonMarshal.GetRawUtf8Value(value), output);
                break;
            case JsonValueKind.Number:
                // TryGetDouble rounds to nearest (so 1e400 becomes Infinity, rejected by WriteNumber): §3.1 wants I-JSON
                // numbers, which are IEEE 754 doubles (RFC 7493 §2.2).
                if (!value.TryGetDouble(out var number)) throw NotIJson("the number " + Shorten(value.GetRawText()) + " is not an IEEE 754 double");
                if (!double.IsFinite(number)) throw NotIJson("the number " + Shorten(value.GetRawText()) + " is outside the IEEE 754 double range");
                WriteNumber(number, output);
                break;
            case JsonValueKind.True:
                WriteBytes(output, "true"u8);
                break;
            case JsonValueKind.False:
                WriteBytes(output, "false"u8);
                break;
            case JsonValueKind.Null:
                WriteBytes(output, "null"u8);
                break;
            default:
                throw NotIJson("an undefined JsonElement is not a JSON value");
        }
    }

    private static void WriteObject(JsonElement value, IBufferWriter<byte> output)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var count = value.GetPropertyCount();
        var members = ArrayPool<KeyValuePair<string, JsonElement>>.Shared.Rent(count);
        try
        {
            var i = 0;
            foreach (var property in value.EnumerateObject()) members[i++] = new(NameOf(property), property.Value);
            var sorted = members.AsSpan(0, count);
            SortAndCheck(sorted);
            WriteByte(output, (byte)'{');
            for (i = 0; i < sorted.Length; i++)
            {
                if (i > 0) WriteByte(output, (byte)',');
                WriteUtf16String(sorted[i].Key, output);
                WriteByte(output, (byte)':');
                WriteElement(sorted[i].Value, output);
            }
            WriteByte(output, (byte)'}');
        }
        finally
        {
            ArrayPool<KeyValuePair<string, JsonElement>>.Shared.Return(members, clearArray: true);
        }
    }

    private static string NameOf(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to unescape a lone surrogate or transcode invalid UTF-8 (§3.2.2.2 Note).
            throw NotIJson("a property name is not valid Unicode (lone surrogate or invalid UTF-8)");
        }
    }

    private static void WriteNode(JsonNode? node, IBufferWriter<byte> output)
    {
        switch (node)
        {
            case null:
                WriteBytes(output, "null"u8);
                break;
            case JsonObject obj:
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var members = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(obj.Count);
                try
                {
                    ((ICollection<KeyValuePair<string, JsonNode?>>)obj).CopyTo(members, 0);
                    var sorted = members.AsSpan(0, obj.Count);
                    SortAndCheck(sorted);
                    WriteByte(output, (byte)'{');
                    for (var i = 0; i < sorted.Length; i++)
                    {
                        if (i > 0) WriteByte(output, (byte)',');
                        WriteUtf16String(sorted[i].Key, output);
                        WriteByte(output, (byte)':');
                        WriteNode(sorted[i].Value, output);
                    }
                    WriteByte(output, (byte)'}');
                }
                finally
                {
                    ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(members, clearArray: true);
                }
                break;
            case JsonArray array:
                RuntimeHelpers.EnsureSufficientExecutionStack();
                WriteByte(output, (byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) WriteByte(output, (byte)',');
                    WriteNode(array[i], output);
                }
                WriteByte(output, (byte)']');
                break;
            case JsonValue value when value.TryGetValue(out JsonElement element):
                WriteElement(element, output);
                break;
            case JsonValue value when value.TryGetValue(out string? text):
                WriteUtf16String(text, output);
                break;
            case JsonValue value when value.TryGetValue(out bool flag):
                WriteBytes(output, flag ? "true"u8 : "false"u8);
                break;
            case JsonValue value when value.TryGetValue(out double number):
                WriteNumber(number, output);
                break;
            default:
                // Any other CLR value: canonicalize the JSON System.Text.Json writes for it (for numbers, §3.2.2.3 then
                // takes the double nearest to that text). It throws ArgumentException itself for NaN and Infinity.
                var json = new ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(json)) node.WriteTo(writer);
                using (var document = JsonDocument.Parse(json.WrittenMemory)) WriteElement(document.RootElement, output);
                break;
        }
    }

    /// <summary>§3.2.3: sort by property name as UTF-16 code units, compared as unsigned integers, locale-free
    /// (String.CompareOrdinal compares exactly that); equal neighbours after sorting are duplicates, which §3.1 (I-JSON,
    /// RFC 7493 §2.3) forbids.</summary>
    private static void SortAndCheck<T>(Span<KeyValuePair<string, T>> members)
    {
        members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        for (var i = 1; i < members.Length; i++)
        {
            if (string.Equals(members[i - 1].Key, members[i].Key, StringComparison.Ordinal))
                throw NotIJson("duplicate property name \"" + Shorten(members[i].Key) + "\"");
        }
    }

    /// <summary>Writes a string from the raw, still-escaped UTF-8 of a JSON string token (quotes included), unescaping
    /// and re-escaping per §3.2.2.2. Literal runs are copied after a UTF-8 validity check, which also rejects
    /// overlong forms and encoded surrogates (System.Text.Json's reader does not check either).</summary>
    private static void WriteUtf8String(ReadOnlySpan<byte> token, IBufferWriter<byte> output)
    {
        var rest = token[1..^1];
        WriteByte(output, (byte)'"');
        while (!rest.IsEmpty)
        {
            var special = rest.IndexOfAny(SpecialBytes);
            var run = special < 0 ? rest : rest[..special];
            if (!Utf8.IsValid(run)) throw NotIJson("a string is not valid UTF-8");
            WriteBytes(output, run);
            if (special < 0) break;
            rest = rest[special..];
            if (rest[0] != (byte)'\\')
            {
                // A raw '"' or control character cannot come from a parsed token, but canonical output escapes it anyway.
                WriteCodePoint(rest[0], output);
                rest = rest[1..];
                continue;
            }
            var escape = rest[1];
            if (escape != (byte)'u')
            {
                WriteCodePoint(escape switch
                {
                    (byte)'b' => '\b',
                    (byte)'f' => '\f',
                    (byte)'n' => '\n',
                    (byte)'r' => '\r',
                    (byte)'t' => '\t',
                    _ => escape, // '"', '\\' and '/' stand for themselves
                }, output);
                rest = rest[2..];
                continue;
            }
            var unit = Hex4(rest[2..6]);
            rest = rest[6..];
            if (char.IsLowSurrogate((char)unit)) throw NotIJson("a string holds a lone surrogate");
            if (char.IsHighSurrogate((char)unit))
            {
                // §3.2.2.2 Note: lone surrogates MUST be an error; a high surrogate needs a \uDC00..\uDFFF right after it.
                if (rest.Length < 6 || rest[0] != (byte)'\\' || rest[1] != (byte)'u' || !char.IsLowSurrogate((char)Hex4(rest[2..6])))
                    throw NotIJson("a string holds a lone surrogate");
                unit = char.ConvertToUtf32((char)unit, (char)Hex4(rest[2..6]));
                rest = rest[6..];
            }
            WriteCodePoint(unit, output);
        }
        WriteByte(output, (byte)'"');
    }

    /// <summary>Writes a .NET string per §3.2.2.2: escapes for '"', '\' and U+0000..U+001F, everything else as UTF-8.</summary>
    private static void WriteUtf16String(ReadOnlySpan<char> text, IBufferWriter<byte> output)
    {
        WriteByte(output, (byte)'"');
        while (!text.IsEmpty)
        {
            var special = text.IndexOfAny(SpecialChars);
            var run = special < 0 ? text : text[..special];
            while (!run.IsEmpty)
            {
                // Room for the run if it is ASCII, as most are; a run that needs more is transcoded in pieces, rather
                // than asking for the worst case (3 bytes per UTF-16 unit) and growing the buffer for it. Any scalar
                // value fits the room asked for (a surrogate pair is 2 units, 4 bytes). Without replacement, a lone
                // surrogate stops the transcoder: §3.2.2.2 Note makes it an error.
                var destination = output.GetSpan(run.Length + 3);
                var status = Utf8.FromUtf16(run, destination, out var read, out var written, replaceInvalidSequences: false);
                if (status == OperationStatus.InvalidData) throw NotIJson("a string holds a lone surrogate");
                output.Advance(written);
                run = run[read..];
            }
            if (special < 0) break;
            WriteCodePoint(text[special], output);
            text = text[(special + 1)..];
        }
        WriteByte(output, (byte)'"');
    }

    /// <summary>One Unicode scalar value per §3.2.2.2 (ECMA-262 QuoteJSONString): \b \t \n \f \r for those five
    /// controls, \u00hh in lowercase hex for the other controls, \" and \\, and literal UTF-8 for the rest (U+007F,
    /// U+2028, U+2029 and '/' included).</summary>
    private static void WriteCodePoint(int value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(6);
        int length;
        if (value >= 0x20 && value != '"' && value != '\\')
        {
            length = new Rune(value).EncodeToUtf8(span);
        }
        else
        {
            span[0] = (byte)'\\';
            span[1] = value switch
            {
                '"' => (byte)'"',
                '\\' => (byte)'\\',
                '\b' => (byte)'b',
                '\t' => (byte)'t',
                '\n' => (byte)'n',
                '\f' => (byte)'f',
                '\r' => (byte)'r',
                _ => (byte)'u',
            };
            length = 2;
            if (span[1] == (byte)'u')
            {
                "00"u8.CopyTo(span[2..]);
                span[4] = (byte)"0123456789abcdef"[value >> 4];
                span[5] = (byte)"0123456789abcdef"[value & 0xF];
                length = 6;
            }
        }
        output.Advance(length);
    }

    /// <summary>
    /// §3.2.2.3: a number is written as ECMAScript Number::toString writes it (ECMA-262 §7.1.12.1 of ES6, with "Note 2":
    /// the shortest digits that round-trip, the closest of those to the exact value). .NET's "R" format produces those
    /// same digits; only their layout differs, so it is redone here: with the value as 0.d1…dk × 10^n, integers up to
    /// n = 21 are written out in full, 1e-6 ≤ |x| &lt; 1e21 use a decimal point, and everything else uses d1.d2…dk
    /// followed by e+/e- and the exponent n − 1.
    /// </summary>
    private static void WriteNumber(double value, IBufferWriter<byte> output)
    {
        if (!double.IsFinite(value)) throw NotIJson("NaN and Infinity are not JSON numbers");
        if (value == 0)
        {
            WriteByte(output, (byte)'0'); // both +0 and -0 (ECMAScript prints -0 as "0")
            return;
        }

        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out var textLength, "R", CultureInfo.InvariantCulture)) throw new UnreachableException();
        text = text[..textLength];

        Span<byte> digits = stackalloc byte[24];
        int k = 0, n = 0, i = 0;
        var negative = text[0] == '-';
        if (negative) i++;
        var afterPoint = false;
        for (; i < text.Length && text[i] != 'E'; i++)
        {
            var c = text[i];
            if (c == '.') afterPoint = true;
            else if (k == 0 && c == '0') n -= afterPoint ? 1 : 0; // leading zeros: "0.0001" is 0.1 × 10^-3
            else
            {
                digits[k++] = (byte)c;
                if (!afterPoint) n++;
            }
        }
        if (i < text.Length) n += int.Parse(text[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        while (digits[k - 1] == (byte)'0') k--; // "1000" is d = "1", n = 4
        var d = digits[..k];

        var span = output.GetSpan(32);
        var length = 0;
        if (negative) span[length++] = (byte)'-';
        if (k <= n && n <= 21)
        {
            d.CopyTo(span[length..]);
            length += k;
            span.Slice(length, n - k).Fill((byte)'0');
            length += n - k;
        }
        else if (0 < n && n <= 21)
        {
            d[..n].CopyTo(span[length..]);
            length += n;
            span[length++] = (byte)'.';
            d[n..].CopyTo(span[length..]);
            length += k - n;
        }
        else if (-6 < n && n <= 0)
        {
            span[length++] = (byte)'0';
            span[length++] = (byte)'.';
            span.Slice(length, -n).Fill((byte)'0');
            length += -n;
            d.CopyTo(span[length..]);
            length += k;
        }
        else
        {
            span[length++] = d[0];
            if (k > 1)
            {
                span[length++] = (byte)'.';
                d[1..].CopyTo(span[length..]);
                length += k - 1;
            }
            span[length++] = (byte)'e';
            span[length++] = n - 1 < 0 ? (byte)'-' : (byte)'+';
            if (!Math.Abs(n - 1).TryFormat(span[length..], out var exponentLength, provider: CultureInfo.InvariantCulture))
                throw new UnreachableException();
            length += exponentLength;
        }
        output.Advance(length);
    }

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        var value = 0;
        foreach (var b in hex[..4]) value = value << 4 | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        return value;
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return;
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static NotIJsonException NotIJson(string message) => new(message + " (RFC 8785 §3.1: I-JSON only)");
}
