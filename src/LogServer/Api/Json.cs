using System.Text.Json;

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

    public static IResult Result<T>(T value, int status = 200) => Results.Json(value, Options, statusCode: status);

    public static Task Write<T>(HttpContext context, T value, int status = 200)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, Options);
    }

    /// <summary>
    /// Reads the whole body (bounded by Kestrel's limit) as one JSON object. Duplicate property names are rejected,
    /// as is anything but an object; an empty body counts as <c>{}</c> where every field is optional.
    /// </summary>
    public static async Task<JsonElement> ReadObject(HttpRequest request, CancellationToken token, bool allowEmpty = false)
    {
        if (request.ContentType is { } ct && !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new ApiError(415, "unsupported_media_type", "send the body as application/json");
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, token);
        if (allowEmpty && body.Length == 0) return EmptyObject;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            throw ApiError.BadRequest("invalid_json", "the request body is not valid JSON");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw ApiError.BadRequest("invalid_json", "the request body must be a JSON object");
            return doc.RootElement.Clone();
        }
    }
}
