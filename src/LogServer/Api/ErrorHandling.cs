using System.Globalization;
using System.Text.Json;
using Attest.LogServer.Log;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// Turns every failure into the JSON error body <c>{"success": false, "error": code, "message": …}</c> with the HTTP
/// status of its <see cref="ErrorKind"/>, so no client ever sees a stack trace or an HTML page.
/// </summary>
public static class ErrorHandling
{
    public static void UseJsonErrors(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
                if (context.Response.StatusCode == 404 && !context.Response.HasStarted && context.GetEndpoint() is null)
                    await Write(context, DomainError.NotFound($"no such resource: {context.Request.Path}"));
                else if (context.Response.StatusCode == 405 && !context.Response.HasStarted)
                    await Write(context, 405, "method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}", null);
            }
            catch (BadHttpRequestException bad) when (bad.StatusCode != 413 && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                // Kestrel's own refusals (a malformed request, a timeout) keep the status Kestrel chose.
                await Write(context, bad.StatusCode, "bad_request", bad.Message, null);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await Write(context, Map(e, app.Logger));
            }
        });
    }

    /// <summary>Any failure as a <see cref="DomainError"/>: what both transports answer for it. An unexpected one is logged.</summary>
    public static DomainError Map(Exception e, ILogger logger) => e switch
    {
        DomainError domain => domain,
        BadHttpRequestException { StatusCode: 413 } => DomainError.TooLarge("payload_too_large", "the request body is larger than the server accepts"),
        BadHttpRequestException bad => DomainError.Invalid("bad_request", bad.Message),
        JsonException => DomainError.Invalid("invalid_json", "the request body is not valid JSON"),
        SequencerUnavailableException => new DomainError(ErrorKind.Unavailable, "unavailable", e.Message),
        RecordTooLargeException or RecordRefusedException => DomainError.TooLarge("record_too_large", e.Message),
        _ => Unexpected(e, logger),
    };

    private static DomainError Unexpected(Exception e, ILogger logger)
    {
        logger.LogError(e, "Unhandled error");
        return new DomainError(ErrorKind.Internal, "internal_error", "the server failed to handle the request");
    }

    /// <summary>The HTTP status of each kind (RFC 9110 §15; 429 from RFC 6585 §4, 507 from RFC 4918 §11.5).</summary>
    public static int Status(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => 400,
        ErrorKind.Unauthenticated => 401,
        ErrorKind.PermissionDenied => 403,
        ErrorKind.NotFound => 404,
        ErrorKind.AlreadyExists or ErrorKind.FailedPrecondition => 409,
        ErrorKind.TooLarge => 413,
        ErrorKind.UnsupportedMediaType => 415,
        ErrorKind.RateLimited => 429,
        ErrorKind.InsufficientCredits => 402,
        ErrorKind.Unavailable => 503,
        ErrorKind.InsufficientStorage => 507,
        ErrorKind.Internal => 500,
        ErrorKind.Unprocessable => 422,
        _ => throw new System.Diagnostics.UnreachableException($"no HTTP status for {kind}"),
    };

    /// <summary>
    /// The headers an error carries: <c>Retry-After</c> (RFC 9110 §10.2.3) and the <c>X-RateLimit-*</c> window of a
    /// rate limit. gRPC sends the same as response metadata.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> Headers(DomainError error)
    {
        if (error.RetryAfterSeconds is { } seconds) yield return new("Retry-After", seconds.ToString(CultureInfo.InvariantCulture));
        if (error.RateLimit is { } window)
        {
            yield return new("X-RateLimit-Limit", window.Limit.ToString(CultureInfo.InvariantCulture));
            yield return new("X-RateLimit-Remaining", "0");
            yield return new("X-RateLimit-Reset", window.Reset.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// A refusal by middleware before the endpoint runs, in the caller's protocol: the JSON error body (REST), or a
    /// trailers-only reply with the error's status, "code: message" and headers (gRPC).
    /// </summary>
    public static Task Refuse(HttpContext context, DomainError error)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            Grpc.GrpcStatus.WriteTrailersOnly(context, error);
            return Task.CompletedTask;
        }
        return Write(context, error);
    }

    public static Task Write(HttpContext context, DomainError error) => Write(context, Status(error.Kind), error.Code, error.Message, error);

    private static Task Write(HttpContext context, int status, string code, string message, DomainError? error)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        // RFC 9110 §15.5.2: a 401 names the scheme that would be accepted (RFC 6750 §3).
        if (status == 401) context.Response.Headers.WWWAuthenticate = "Bearer";
        if (error is not null)
            foreach (var (name, value) in Headers(error)) context.Response.Headers[name] = value;
        if (Scitt.ConciseProblemDetails.Wanted(context)) return Scitt.ConciseProblemDetails.Write(context, status, code, message);
        return Json.Write(context, new ErrorBody(false, code, message), status);
    }

    private sealed record ErrorBody(bool Success, string Error, string Message);
}
