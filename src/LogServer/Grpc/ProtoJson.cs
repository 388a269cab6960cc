using System.Buffers;
using System.Text.Json;
using Attest.LogServer.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Grpc;

/// <summary>
/// Moves gRPC messages through the same request parsing and response shapes as REST: a request message becomes
/// the JSON body REST would receive (proto field names are the REST names), and a service result becomes the
/// response message through the JSON REST would send. So both APIs share one validation and one set of results.
/// </summary>
public static class ProtoJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>
    /// The request as the REST JSON body: the fields the proto3 JSON mapping would write (proto names, set oneof members,
    /// non-default scalars, 64-bit integers as strings, bytes as base64), written in one pass instead of through
    /// <see cref="JsonFormatter"/>, a reflection walk to check it and a re-parse (docs/PERFORMANCE.md).
    /// <paramref name="base64UrlFields"/> are top-level bytes that REST sends as unpadded base64url.
    /// </summary>
    public static JsonElement Body(IMessage message, params string[] base64UrlFields)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer)) WriteMessage(writer, message, base64UrlFields);
        // REST's nesting cap: a deeper Struct is the same 400 (INVALID_ARGUMENT) as a deeper REST body.
        return JsonElement.Parse(buffer.WrittenSpan, new JsonDocumentOptions { MaxDepth = Json.MaxDepth });
    }

    private static void WriteMessage(Utf8JsonWriter w, IMessage message, string[] base64UrlFields)
    {
        switch (message)
        {
            case Struct s:
                WriteStruct(w, s);
                return;
            case Value v:
                WriteValue(w, v);
                return;
            case ListValue l:
                WriteList(w, l);
                return;
        }
        if (message.Descriptor.File.Package == "google.protobuf")
            throw new NotSupportedException($"{message.Descriptor.FullName} in a request body"); // no other well-known type is in proto/
        w.WriteStartObject();
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            bool present = field.RealContainingOneof is { } oneof ? oneof.Accessor.GetCaseFieldDescriptor(message) == field
                : field.IsRepeated ? ((System.Collections.ICollection)value).Count > 0
                : field.HasPresence ? field.Accessor.HasValue(message)
                : !IsDefault(value);
            if (!present) continue;
            w.WritePropertyName(field.Name);
            if (field.IsRepeated)
            {
                w.WriteStartArray();
                foreach (var item in (System.Collections.IEnumerable)value) WriteField(w, field, item, base64Url: false);
                w.WriteEndArray();
            }
            else WriteField(w, field, value, Array.IndexOf(base64UrlFields, field.Name) >= 0);
        }
        w.WriteEndObject();
    }

    private static bool IsDefault(object value) => value switch
    {
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        int or long or uint or ulong or float or double => Convert.ToDouble(value) == 0,
        _ => false,
    };

    private static void WriteField(Utf8JsonWriter w, FieldDescriptor field, object value, bool base64Url)
    {
        switch (value)
        {
            case string s: w.WriteStringValue(s); break;
            case ByteString b when base64Url: w.WriteStringValue(System.Buffers.Text.Base64Url.EncodeToUtf8(b.Span)); break;
            case ByteString b: w.WriteBase64StringValue(b.Span); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int or uint: w.WriteNumberValue(Convert.ToInt64(value)); break;
            case long l: w.WriteStringValue(l.ToString(System.Globalization.CultureInfo.InvariantCulture)); break; // the JSON mapping quotes 64-bit integers
            case ulong u: w.WriteStringValue(u.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
            case float or double: WriteNumber(w, Convert.ToDouble(value)); break;
            case IMessage m: WriteMessage(w, m, []); break;
            default: throw new NotSupportedException($"field {field.FullName} of type {value.GetType()}"); // enums and maps: none in proto/
        }
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
            default: throw ApiError.BadRequest("invalid_field", "a google.protobuf.Value has no kind set");
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, double number) =>
        w.WriteNumberValue(double.IsFinite(number) ? number : throw ApiError.BadRequest("invalid_field", "a number is NaN or infinite, which JSON cannot hold"));

    /// <summary>A result (what REST would serialize) as a response message.</summary>
    public static T Reply<T>(object result) where T : IMessage<T>, new() => Parser.Parse<T>(JsonSerializer.Serialize(result, Json.Options));
}
