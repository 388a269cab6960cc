namespace Attest.LogServer.Api;

/// <summary>
/// A client-visible failure: the HTTP status and the snake_case code of the JSON error body
/// <c>{"success": false, "error": code, "message": …}</c>. Thrown by validation and services, written by
/// <see cref="ErrorHandling"/>; the same codes map to gRPC statuses.
/// </summary>
public sealed class ApiError(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>Headers the error response carries (such as <c>Retry-After</c>).</summary>
    public Dictionary<string, string> Headers { get; } = [];

    public static ApiError BadRequest(string code, string message) => new(400, code, message);

    public static ApiError NotFound(string message) => new(404, "not_found", message);

    public static ApiError Conflict(string code, string message) => new(409, code, message);
}
