using System.Text.Json;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Response JSON: snake_case names, pretty-printed with two spaces; and strict reading of request bodies.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        IndentSize = 2,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    /// <summary>The deepest nesting a request body may have; deeper is a 400, whatever the route.</summary>
    public const int MaxDepth = 32;

    /// <summary>The largest integer every JSON parser holds exactly, 2^53 − 1 (RFC 7493 §2.2).</summary>
    private const double MaxExactInteger = 9007199254740991;

    public static IResult Result<T>(T value, int status = 200) => Results.Json(value, Options, statusCode: status);

    public static Task Write<T>(HttpContext context, T value, int status = 200)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, Options);
    }

    /// <summary>
    /// Reads the whole body (bounded by Kestrel's limit) as one JSON object. Duplicate property names are rejected,
    /// as is anything but an object; an empty body counts as <c>{}</c> where every field is optional. The body must
    /// be I-JSON (RFC 7493), so nothing downstream (string reads, JCS, signing) meets what it cannot handle.
    /// </summary>
    public static async Task<JsonElement> ReadObject(HttpRequest request, CancellationToken token, bool allowEmpty = false)
    {
        if (request.ContentType is { } ct && !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new DomainError(ErrorKind.UnsupportedMediaType, "unsupported_media_type", "send the body as application/json");
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, token);
        if (allowEmpty && body.Length == 0) return EmptyObject;
        JsonDocument doc;
        try
        {
            var bytes = body.ToArray();
            // The reader checks UTF-8 only in what it decodes (escaped strings, names); the rest would reach a string
            // read later, as a 500 (RFC 8259 §8.1: JSON text exchanged between systems is UTF-8).
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw DomainError.Invalid("invalid_json", "the request body is not UTF-8 text");
            // First: the duplicate-name check of Parse decodes names, and throws on a lone surrogate in one.
            CheckIJson(bytes);
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            throw DomainError.Invalid("invalid_json", "the request body is not valid JSON");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw DomainError.Invalid("invalid_json", "the request body must be a JSON object");
            return doc.RootElement.Clone();
        }
    }

    /// <summary>
    /// RFC 7493 on an already well-formed text: strings are Unicode (§2.1: no lone surrogate such as <c>"\ud800"</c>,
    /// which no UTF-8 text can carry), numbers fit an IEEE 754 double (§2.2: not <c>1e400</c>), and integers are
    /// exact in one (beyond 2^53 JCS and signing would silently round them). Only escaped strings are decoded.
    /// </summary>
    private static void CheckIJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped:
                    if (!IsUnicode(ref reader))
                        throw DomainError.Invalid("invalid_json", "a string holds a lone surrogate escape (such as \\ud800), which is not Unicode text (RFC 7493 §2.1)");
                    break;
                case JsonTokenType.Number:
                    if (!reader.TryGetDouble(out double d) || !double.IsFinite(d))
                        throw DomainError.Invalid("invalid_json", "a number is outside the range of an IEEE 754 double (RFC 7493 §2.2)");
                    if (Math.Abs(d) > MaxExactInteger && reader.ValueSpan.IndexOfAny(".eE"u8) < 0)
                        throw DomainError.Invalid("invalid_json", "an integer is beyond ±(2^53 − 1), which JSON numbers do not hold exactly (RFC 7493 §2.2)");
                    break;
            }
        }
    }

    private static bool IsUnicode(ref Utf8JsonReader reader)
    {
        string s;
        try
        {
            s = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }
}
