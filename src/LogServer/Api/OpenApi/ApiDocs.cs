namespace Attest.LogServer.Api.OpenApi;

/// <summary>
/// The OpenAPI metadata a route declares beside its handler: its summary, the request body it reads by hand
/// (<c>.Accepts&lt;T&gt;("application/json")</c> with a type of <see cref="Requests"/>: no handler binds its body), its
/// success response (<c>.Produces&lt;T&gt;(status)</c>) and the error bodies it may answer, with their codes
/// (<see cref="Fails"/>). <see cref="OperationDocs"/> adds the examples, the security and the errors that follow from
/// the route's authorization policy.
/// </summary>
public static class ApiDocs
{
    /// <summary>
    /// The error body <c>{success:false, error, message}</c> with HTTP <paramref name="status"/>, for each of the
    /// snake_case <paramref name="codes"/> the route can answer with it (the first is the example).
    /// </summary>
    public static RouteHandlerBuilder Fails(this RouteHandlerBuilder builder, int status, params string[] codes) =>
        builder.Produces<ApiError>(status).WithMetadata(new ErrorCodes(status, codes));
}

/// <summary>The error body of every REST failure (<see cref="ErrorHandling"/>), as the OpenAPI document shows it.</summary>
public sealed record ApiError(bool Success, string Error, string Message);

/// <summary>The error codes a route answers with one HTTP status: the response's description and example.</summary>
public sealed record ErrorCodes(int Status, string[] Codes);
