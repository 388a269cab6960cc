using System.Text.Json;
using Attest.LogServer.Log;

namespace Attest.LogServer.Api;

/// <summary>Turns every failure into the JSON error body, so no client ever sees a stack trace or an HTML page.</summary>
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
                    await Write(context, new ApiError(404, "not_found", $"no such resource: {context.Request.Path}"));
                else if (context.Response.StatusCode == 405 && !context.Response.HasStarted)
                    await Write(context, new ApiError(405, "method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}"));
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await Write(context, Map(e, app.Logger));
            }
        });
    }

    public static ApiError Map(Exception e, ILogger logger) => e switch
    {
        ApiError api => api,
        BadHttpRequestException { StatusCode: 413 } => new ApiError(413, "payload_too_large", "the request body is larger than the server accepts"),
        BadHttpRequestException bad => new ApiError(bad.StatusCode, "bad_request", bad.Message),
        JsonException => ApiError.BadRequest("invalid_json", "the request body is not valid JSON"),
        SequencerUnavailableException => new ApiError(503, "unavailable", e.Message),
        RecordTooLargeException => new ApiError(413, "record_too_large", e.Message),
        RecordRefusedException => new ApiError(413, "record_too_large", e.Message),
        _ => Unexpected(e, logger),
    };

    private static ApiError Unexpected(Exception e, ILogger logger)
    {
        logger.LogError(e, "Unhandled error");
        return new ApiError(500, "internal_error", "the server failed to handle the request");
    }

    public static Task Write(HttpContext context, ApiError error)
    {
        context.Response.Clear();
        context.Response.StatusCode = error.Status;
        foreach (var (name, value) in error.Headers) context.Response.Headers[name] = value;
        return Json.Write(context, new ErrorBody(false, error.Code, error.Message), error.Status);
    }

    private sealed record ErrorBody(bool Success, string Error, string Message);
}
