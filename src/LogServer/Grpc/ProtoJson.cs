using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Google.Protobuf;

namespace Attest.LogServer.Grpc;

/// <summary>
/// Moves gRPC messages through the same request parsing and response shapes as REST: a request message becomes
/// the JSON body REST would receive (proto field names are the REST names), and a service result becomes the
/// response message through the JSON REST would send. So both APIs share one validation and one set of results.
/// </summary>
public static class ProtoJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The request as a REST JSON body; <paramref name="base64UrlFields"/> are bytes REST sends as base64url.</summary>
    public static JsonElement Body(IMessage message, params string[] base64UrlFields)
    {
        CheckJsonable(message);
        string json = Formatter.Format(message);
        if (base64UrlFields.Any(name => message.Descriptor.FindFieldByName(name)?.Accessor.GetValue(message) is ByteString { Length: > 0 }))
        {
            var node = JsonNode.Parse(json)!.AsObject();
            foreach (var name in base64UrlFields)
                if (node[name] is JsonValue v && v.TryGetValue(out string? b64))
                    node[name] = b64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
            json = node.ToJsonString();
        }
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// A <c>google.protobuf.Value</c> with no kind, or a NaN or infinite number, is valid protobuf but not JSON: the
    /// formatter would throw or write a string in its place. Reject it as REST rejects such a body.
    /// </summary>
    private static void CheckJsonable(IMessage message)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            Check(field.Accessor.GetValue(message));
        }

        static void Check(object? value)
        {
            if (value is System.Collections.IDictionary map)
            {
                foreach (var item in map.Values) Check(item);
                return;
            }
            if (value is System.Collections.IEnumerable list and not string and not ByteString)
            {
                foreach (var item in list) Check(item);
                return;
            }
            if (value is Google.Protobuf.WellKnownTypes.Value v)
            {
                if (v.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.None)
                    throw ApiError.BadRequest("invalid_field", "a google.protobuf.Value has no kind set");
                if (v.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.NumberValue && !double.IsFinite(v.NumberValue))
                    throw ApiError.BadRequest("invalid_field", "a number is NaN or infinite, which JSON cannot hold");
            }
            if (value is IMessage m) CheckJsonable(m);
        }
    }

    /// <summary>A result (what REST would serialize) as a response message.</summary>
    public static T Reply<T>(object result) where T : IMessage<T>, new() => Parser.Parse<T>(JsonSerializer.Serialize(result, Json.Options));
}
