using System.Text.Json.Nodes;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api.OpenApi;

/// <summary>
/// An example of every request and response type the document shows, as its JSON (snake_case, as on the wire), and
/// the error body of each status. A type without an example here has none in the document, which the tests refuse.
/// </summary>
public static class Examples
{
    private static readonly Dictionary<Type, string> ByType = new()
    {
        [typeof(StampRequest)] = """
            {"content": "Minutes of the board meeting, 4 December 2026", "visibility": "hash_only", "display_title": "Board minutes", "tags": ["board"]}
            """,
        [typeof(Stamp)] = """
            {
              "success": true, "id": "stp_3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60", "log_index": 1042,
              "content_hash": "9f2c1a0e6d5b4c3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a", "created_at": "2026-12-04T10:15:30Z",
              "visibility": "hash_only", "content": null, "display_title": "Board minutes", "tags": ["board"],
              "leaf_hash": "q5Hn8m0l3k9Yd2xZ6f1R7c4V0b8N2p5S9t3W6y1A4eE=", "entry": "eyJ0eXBlIjoic3RhbXAvdjEifQ"
            }
            """,
    };

    /// <summary>Request types whose body may be empty (an empty body is read as <c>{}</c>).</summary>
    private static readonly HashSet<Type> OptionalBodies = [];

    /// <summary>A message for the codes an example shows; the others get a generic one.</summary>
    private static readonly Dictionary<string, string> Messages = new()
    {
        ["invalid_json"] = "the request body is not valid JSON",
        ["missing_content"] = "send exactly one of \"content_hash\" or \"content\"",
        ["missing_api_key"] = "send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"",
        ["invalid_api_key"] = "the API key is wrong, expired or revoked",
        ["forbidden"] = "this needs the admin key",
        ["not_found"] = "no stamp with id stp_3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60",
        ["rate_limited"] = "rate limit exceeded: retry after 12 seconds",
        ["payload_too_large"] = "the request body is larger than the server accepts",
        ["unsupported_media_type"] = "send the body as application/json",
        ["idempotency_key_reused"] = "this Idempotency-Key was used with a different request",
    };

    public static JsonNode? Of(Type type) => ByType.TryGetValue(type, out var json) ? JsonNode.Parse(json) : null;

    public static bool BodyIsOptional(Type type) => OptionalBodies.Contains(type);

    public static JsonNode Error(int status, string[] codes)
    {
        string code = codes.FirstOrDefault() ?? Generic(status);
        return new JsonObject
        {
            ["success"] = false,
            ["error"] = code,
            ["message"] = Messages.TryGetValue(code, out var m) ? m : code.Replace('_', ' '),
        };
    }

    public static string ErrorDescription(int status, string[] codes)
    {
        string what = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        return codes.Length == 0 ? what : $"{what}: {string.Join(", ", codes.Select(c => $"`{c}`"))}";
    }

    private static string Generic(int status) => status switch
    {
        401 => "missing_api_key",
        403 => "forbidden",
        404 => "not_found",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        _ => "invalid_request",
    };
}
