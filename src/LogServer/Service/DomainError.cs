namespace Attest.LogServer.Service;

/// <summary>
/// What kind of failure a <see cref="DomainError"/> is. Each transport maps a kind once: REST to an HTTP status
/// (<see cref="Api.ErrorHandling"/>), gRPC to a status code (<see cref="Grpc.GrpcStatus"/>). The set is closed: a new
/// kind needs a row in both maps.
/// </summary>
public enum ErrorKind
{
    /// <summary>The request is malformed or breaks a rule of its fields (HTTP 400, INVALID_ARGUMENT).</summary>
    InvalidArgument,

    /// <summary>No credentials, or ones the server does not accept (HTTP 401, UNAUTHENTICATED).</summary>
    Unauthenticated,

    /// <summary>The caller is known but may not do this (HTTP 403, PERMISSION_DENIED).</summary>
    PermissionDenied,

    /// <summary>The named resource does not exist (HTTP 404, NOT_FOUND).</summary>
    NotFound,

    /// <summary>What the request would create exists already (HTTP 409, ALREADY_EXISTS).</summary>
    AlreadyExists,

    /// <summary>The resource is not in a state that allows this, or a key was reused for another request (HTTP 409, FAILED_PRECONDITION).</summary>
    FailedPrecondition,

    /// <summary>A body, field or record over its size limit (HTTP 413, RESOURCE_EXHAUSTED).</summary>
    TooLarge,

    /// <summary>A body in a media type the operation does not take (HTTP 415, INVALID_ARGUMENT).</summary>
    UnsupportedMediaType,

    /// <summary>A rate limit or quota is used up; <see cref="DomainError.RetryAfterSeconds"/> says when to retry (HTTP 429, RESOURCE_EXHAUSTED).</summary>
    RateLimited,

    /// <summary>The API key's credit balance does not cover the request (HTTP 402, RESOURCE_EXHAUSTED).</summary>
    InsufficientCredits,

    /// <summary>The server's disk is nearly full and it takes no writes (HTTP 507, RESOURCE_EXHAUSTED).</summary>
    InsufficientStorage,

    /// <summary>The log cannot serve this now: stopped, faulted, or not yet caught up (HTTP 503, UNAVAILABLE).</summary>
    Unavailable,

    /// <summary>A failure of the server's own (HTTP 500, INTERNAL); its message reveals nothing.</summary>
    Internal,

    /// <summary>A well-formed request that could not be carried out, e.g. a URL whose page could not be fetched (HTTP 422, FAILED_PRECONDITION).</summary>
    Unprocessable,
}

/// <summary>
/// A failure a client sees: its <see cref="ErrorKind"/>, a snake_case <see cref="Code"/> clients match on (the same on
/// both transports) and a human message. Raised by validation and services, which know nothing of HTTP or gRPC.
/// </summary>
public sealed class DomainError(ErrorKind kind, string code, string message) : Exception(message)
{
    public ErrorKind Kind { get; } = kind;

    public string Code { get; } = code;

    /// <summary>Seconds after which a retry may succeed (a <see cref="ErrorKind.RateLimited"/> error); sent as <c>Retry-After</c>.</summary>
    public long? RetryAfterSeconds { get; init; }

    /// <summary>The per-key request window that refused the request, sent as the <c>X-RateLimit-*</c> headers.</summary>
    public RateLimitWindow? RateLimit { get; init; }

    public static DomainError Invalid(string code, string message) => new(ErrorKind.InvalidArgument, code, message);

    public static DomainError NotFound(string message) => new(ErrorKind.NotFound, "not_found", message);

    public static DomainError FailedPrecondition(string code, string message) => new(ErrorKind.FailedPrecondition, code, message);

    public static DomainError TooLarge(string code, string message) => new(ErrorKind.TooLarge, code, message);
}

/// <summary>A fixed rate-limit window: <paramref name="Limit"/> requests until <paramref name="Reset"/> (Unix seconds), none left.</summary>
public sealed record RateLimitWindow(int Limit, long Reset);
