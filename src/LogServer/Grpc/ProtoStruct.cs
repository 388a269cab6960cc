using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Attest.LogServer.Service;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Grpc;

/// <summary>
/// The protobuf encoding of a JSON object as a <c>google.protobuf.Struct</c> (google/protobuf/struct.proto), written
/// from the JSON text instead of through Google.Protobuf's <c>Struct</c>, whose map of <c>Value</c> objects cost a
/// mint's reply about 5 KB of garbage (docs/PERFORMANCE.md, "Typed commands and protobuf replies"). The bytes are
/// what <c>Struct.ToByteArray()</c> gives for
/// the same object: members in JSON order, numbers as doubles, as the proto3 JSON mapping reads them. The other way,
/// <see cref="ToJson"/> writes a request's Struct (claims, a payload to verify, a bundle) as the JSON object REST takes.
/// </summary>
public static class ProtoStruct
{
    // Field tags (field number << 3 | wire type) of struct.proto.
    private const byte StructFields = 0x0A, EntryKey = 0x0A, EntryValue = 0x12, ListValues = 0x0A;
    private const byte NullValue = 0x08, NumberValue = 0x11, StringValue = 0x1A, BoolValue = 0x20, StructValue = 0x2A, ListValue = 0x32;

    /// <summary>
    /// A Struct as the JSON object it stands for (the proto3 JSON mapping), written once, with REST's nesting cap: a
    /// deeper Struct is the same 400 <c>invalid_json</c> as a deeper REST body.
    /// </summary>
    public static JsonElement ToJson(Struct s)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer)) WriteStruct(writer, s);
        return JsonElement.Parse(buffer.WrittenSpan, new JsonDocumentOptions { MaxDepth = Api.Json.MaxDepth });
    }

    private static void WriteStruct(Utf8JsonWriter w, Struct s)
    {
        w.WriteStartObject();
        foreach (var (name, value) in s.Fields)
        {
            w.WritePropertyName(name);
            WriteValue(w, value);
        }
        w.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter w, ListValue list)
    {
        w.WriteStartArray();
        foreach (var item in list.Values) WriteValue(w, item);
        w.WriteEndArray();
    }

    /// <summary>
    /// A <c>google.protobuf.Value</c> with no kind, or a NaN or infinite number, is valid protobuf but not JSON:
    /// rejected as REST rejects such a body.
    /// </summary>
    private static void WriteValue(Utf8JsonWriter w, Value v)
    {
        switch (v.KindCase)
        {
            case Value.KindOneofCase.NullValue: w.WriteNullValue(); break;
            case Value.KindOneofCase.NumberValue: WriteNumber(w, v.NumberValue); break;
            case Value.KindOneofCase.StringValue: w.WriteStringValue(v.StringValue); break;
            case Value.KindOneofCase.BoolValue: w.WriteBooleanValue(v.BoolValue); break;
            case Value.KindOneofCase.StructValue: WriteStruct(w, v.StructValue); break;
            case Value.KindOneofCase.ListValue: WriteList(w, v.ListValue); break;
            default: throw DomainError.Invalid("invalid_field", "a google.protobuf.Value has no kind set");
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, double number) =>
        w.WriteNumberValue(double.IsFinite(number) ? number : throw DomainError.Invalid("invalid_field", "a number is NaN or infinite, which JSON cannot hold"));

    /// <summary>The Struct's bytes for <paramref name="json"/>, which MUST be one valid JSON object (a parsed one's raw text).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> json)
    {
        // Pass 1 sizes every container (length prefixes come first on the wire); pass 2 writes.
        if (json.IsEmpty || json[0] != (byte)'{') throw new ArgumentException("a Struct is a JSON object", nameof(json));
        var sizes = new List<long>();
        var open = new List<Container>();
        var reader = new Utf8JsonReader(json);
        int key = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    key = StringSize(ref reader);
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    open.Add(new Container(sizes.Count, reader.TokenType == JsonTokenType.StartObject, key));
                    sizes.Add(0);
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    var done = open[^1];
                    open.RemoveAt(open.Count - 1);
                    if (open.Count > 0) Add(open[^1], sizes, done.Key, Field(sizes[done.Index]));
                    break;
                default:
                    Add(open[^1], sizes, key, ScalarSize(ref reader));
                    break;
            }
        }
        var output = new byte[checked((int)sizes[0])];
        var span = output.AsSpan();
        int at = 0, container = 0;
        var kinds = new Stack<bool>();
        reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            var type = reader.TokenType;
            if (type == JsonTokenType.PropertyName)
            {
                // An entry's length is its key and value parts, so it needs the value's size too: peek by sizing.
                int keySize = StringSize(ref reader);
                var valueReader = reader;
                valueReader.Read();
                long valueSize = valueReader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray
                    ? Field(sizes[container]) : ScalarSize(ref valueReader);
                span[at++] = StructFields;
                at += WriteVarint(span[at..], EntrySize(keySize, valueSize));
                if (keySize > 0)
                {
                    span[at++] = EntryKey;
                    at += WriteString(span[at..], ref reader, keySize);
                }
                span[at++] = EntryValue;
                at += WriteVarint(span[at..], (ulong)valueSize);
                continue;
            }
            if (type is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                kinds.Pop();
                continue;
            }
            bool inList = kinds.Count > 0 && !kinds.Peek();
            if (type is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                long size = sizes[container++];
                if (kinds.Count > 0)
                {
                    if (inList) at += WriteListItem(span[at..], Field(size));
                    span[at++] = type == JsonTokenType.StartObject ? StructValue : ListValue;
                    at += WriteVarint(span[at..], (ulong)size);
                }
                kinds.Push(type == JsonTokenType.StartObject);
                continue;
            }
            if (inList) at += WriteListItem(span[at..], ScalarSize(ref reader));
            at += WriteScalar(span[at..], ref reader);
        }
        if (at != output.Length) throw new InvalidOperationException($"Struct encoding wrote {at} of {output.Length} bytes");
        return output;
    }

    /// <summary>An open object or array: where its size goes, and the key it has in its parent.</summary>
    private readonly record struct Container(int Index, bool IsObject, int Key);

    /// <summary>Adds a member (an entry of an object, an item of a list) whose value takes <paramref name="valueSize"/> bytes.</summary>
    private static void Add(Container parent, List<long> sizes, int key, long valueSize)
    {
        long item = parent.IsObject ? (long)EntrySize(key, valueSize) : valueSize;
        sizes[parent.Index] += 1 + VarintSize((ulong)item) + item;
    }

    /// <summary>A map entry {key = 1, value = 2}; an empty key is proto3's default and is left out, as Google.Protobuf does.</summary>
    private static ulong EntrySize(int keySize, long valueSize) =>
        (ulong)((keySize > 0 ? 1 + VarintSize((ulong)keySize) + keySize : 0) + 1 + VarintSize((ulong)valueSize) + valueSize);

    /// <summary>A Value holding a Struct or a ListValue of <paramref name="size"/> bytes: tag, length, body.</summary>
    private static long Field(long size) => 1 + VarintSize((ulong)size) + size;

    private static int ScalarSize(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null or JsonTokenType.True or JsonTokenType.False => 2,
        JsonTokenType.Number => 9,
        JsonTokenType.String => StringField(StringSize(ref reader)),
        var t => throw new InvalidOperationException($"unexpected JSON token {t}"),
    };

    private static int StringField(int size) => 1 + VarintSize((ulong)size) + size;

    private static int WriteScalar(Span<byte> span, ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                span[0] = NullValue;
                span[1] = 0;
                return 2;
            case JsonTokenType.True or JsonTokenType.False:
                span[0] = BoolValue;
                span[1] = reader.TokenType == JsonTokenType.True ? (byte)1 : (byte)0;
                return 2;
            case JsonTokenType.Number:
                span[0] = NumberValue;
                BinaryPrimitives.WriteDoubleLittleEndian(span[1..], reader.GetDouble());
                return 9;
            default:
                span[0] = StringValue;
                return 1 + WriteString(span[1..], ref reader, StringSize(ref reader));
        }
    }

    private static int WriteListItem(Span<byte> span, long valueSize)
    {
        span[0] = ListValues;
        return 1 + WriteVarint(span[1..], (ulong)valueSize);
    }

    /// <summary>UTF-8 length of the string or property name under the reader, unescaped.</summary>
    private static int StringSize(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan.Length;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        int n = reader.CopyString(scratch);
        ArrayPool<byte>.Shared.Return(scratch);
        return n;
    }

    /// <summary>Length prefix and the <paramref name="n"/> UTF-8 bytes (its <see cref="StringSize"/>) of the string under the reader.</summary>
    private static int WriteString(Span<byte> span, ref Utf8JsonReader reader, int n)
    {
        int prefix = WriteVarint(span, (ulong)n);
        if (reader.ValueIsEscaped)
        {
            // CopyString wants room for the escaped text, more than the n bytes left for a string that ends the output.
            byte[] scratch = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
            scratch.AsSpan(0, reader.CopyString(scratch)).CopyTo(span[prefix..]);
            ArrayPool<byte>.Shared.Return(scratch);
        }
        else reader.ValueSpan.CopyTo(span[prefix..]);
        return prefix + n;
    }

    private static int VarintSize(ulong v)
    {
        int n = 1;
        while (v >= 0x80) { v >>= 7; n++; }
        return n;
    }

    private static int WriteVarint(Span<byte> span, ulong v)
    {
        int n = 0;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[n++] = (byte)v;
        return n;
    }
}
