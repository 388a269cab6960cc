namespace Attest.LogServer.Api.OpenApi;

/// <summary>
/// The OpenAPI metadata a route declares beside its handler: its summary (<c>.WithSummary</c>), the JSON body it
/// reads by hand (<see cref="Takes{T}"/>), its success response (<c>.Produces&lt;T&gt;(status)</c>), the parameters
/// and headers it reads (<see cref="Query"/>, <see cref="Header"/>) and the error bodies it may answer, with their
/// codes (<see cref="Fails"/>). <see cref="OperationDocs"/> adds the examples, the security and the errors that follow from
/// the route's authorization policy.
/// </summary>
public static class ApiDocs
{
    /// <summary>
    /// The error body <c>{success:false, error, message}</c> with HTTP <paramref name="status"/>, for each of the
    /// snake_case <paramref name="codes"/> the route can answer with it (the first is the example).
    /// </summary>
    /// <summary>
    /// The JSON body the handler reads and its command validates, shown as the request type <typeparamref name="T"/>
    /// (Requests.cs). Not <c>.Accepts&lt;T&gt;</c>: that is routing metadata too, and would turn a body of another
    /// media type, or one without a Content-Type, into a bare 404 or 415 before the handler's own
    /// <c>unsupported_media_type</c> and its strict reading.
    /// </summary>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder builder) => builder.WithMetadata(new RequestBody(typeof(T)));

    /// <summary>A text response (a checkpoint, a tlog-proof), with its example as it is served.</summary>
    public static RouteHandlerBuilder ProducesText(this RouteHandlerBuilder builder, int status, string contentType, string example) =>
        builder.Produces<string>(status, contentType).WithMetadata(new ResponseExample(status, contentType, example));

    /// <summary>A JSON response whose example is not its type's (Examples.cs): another state of the same body.</summary>
    public static RouteHandlerBuilder ProducesExample<T>(this RouteHandlerBuilder builder, int status, string exampleJson) =>
        builder.Produces<T>(status).WithMetadata(new ResponseExample(status, "application/json", System.Text.Json.Nodes.JsonNode.Parse(exampleJson)!));

    /// <summary>A query parameter the handler reads by hand (its command parses it), with an example value.</summary>
    public static RouteHandlerBuilder Query(this RouteHandlerBuilder builder, string name, string description, string example, bool required = false) =>
        builder.WithMetadata(new DocParameter(Microsoft.OpenApi.ParameterLocation.Query, name, description, example, required));

    /// <summary>A request header the handler reads, with an example value.</summary>
    public static RouteHandlerBuilder Header(this RouteHandlerBuilder builder, string name, string description, string example, bool required = false) =>
        builder.WithMetadata(new DocParameter(Microsoft.OpenApi.ParameterLocation.Header, name, description, example, required));

    /// <summary>The <c>?limit=</c> and <c>?cursor=</c> of a list (README "Lists").</summary>
    public static RouteHandlerBuilder Paged(this RouteHandlerBuilder builder) => builder
        .Query("limit", "At most this many items (the server caps it).", "100")
        .Query("cursor", "The next_cursor of the previous page.", "AAAAAAAAAAM")
        .Fails(400, "invalid_parameter", "invalid_cursor");

    /// <summary>The <c>Idempotency-Key</c> header: a retry with the same key and body returns the first answer.</summary>
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder builder, bool required) =>
        builder.Header("Idempotency-Key", "1 to 255 printable ASCII characters; a retry with the same key and body returns the first answer.",
            "7c9e6679-7425-40de-944b-e07fc1f90ae7", required);

    public static RouteHandlerBuilder Fails(this RouteHandlerBuilder builder, int status, params string[] codes) =>
        builder.Produces<ApiError>(status).WithMetadata(new ErrorCodes(status, codes));
}

/// <summary>The error body of every REST failure (<see cref="ErrorHandling"/>), as the OpenAPI document shows it.</summary>
public sealed record ApiError(bool Success, string Error, string Message);

/// <summary>The error codes a route answers with one HTTP status: the response's description and example.</summary>
public sealed record ErrorCodes(int Status, string[] Codes);

/// <summary>The example of a response of one status and media type, where it is not its type's: a text, or a JSON node.</summary>
public sealed record ResponseExample(int Status, string ContentType, object Example);

/// <summary>A parameter a handler reads by hand, as the document shows it.</summary>
public sealed record DocParameter(Microsoft.OpenApi.ParameterLocation In, string Name, string Description, string Example, bool Required);

/// <summary>The type that documents a route's JSON request body (<see cref="ApiDocs.Takes{T}"/>).</summary>
public sealed record RequestBody(Type Type);
