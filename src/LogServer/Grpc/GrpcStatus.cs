using System.Text;
using Attest.LogServer.Api;
using Attest.LogServer.Service;
using Grpc.Core;

namespace Attest.LogServer.Grpc;

/// <summary>
/// A <see cref="DomainError"/> as a gRPC status (grpc/doc/statuscodes.md): the code of its kind, and the error code
/// at the start of the message, <c>"&lt;code&gt;: &lt;message&gt;"</c>, so clients of both APIs match on the same codes.
/// Both the <see cref="GrpcErrors"/> interceptor and the middleware's early refusals answer through here.
/// </summary>
public static class GrpcStatus
{
    public static StatusCode Code(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument or ErrorKind.UnsupportedMediaType => StatusCode.InvalidArgument,
        ErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorKind.TooLarge or ErrorKind.RateLimited or ErrorKind.InsufficientCredits or ErrorKind.InsufficientStorage => StatusCode.ResourceExhausted,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        ErrorKind.Internal => StatusCode.Internal,
        ErrorKind.Unprocessable => StatusCode.FailedPrecondition,
        _ => throw new System.Diagnostics.UnreachableException($"no gRPC status for {kind}"),
    };

    public static Status Of(DomainError error) => new(Code(error.Kind), $"{error.Code}: {error.Message}");

    /// <summary>The error as the exception Grpc.AspNetCore ends a call with, its headers (Retry-After) as trailers.</summary>
    public static RpcException Exception(DomainError error)
    {
        var trailers = new Metadata();
        foreach (var (name, value) in ErrorHandling.Headers(error)) trailers.Add(name.ToLowerInvariant(), value);
        return new RpcException(Of(error), trailers);
    }

    /// <summary>
    /// The error as a trailers-only reply (grpc/doc/PROTOCOL-HTTP2.md: HTTP 200 with the status in the headers), for a
    /// call that middleware answers before the gRPC library reads it.
    /// </summary>
    public static void WriteTrailersOnly(HttpContext context, DomainError error)
    {
        foreach (var (name, value) in ErrorHandling.Headers(error)) context.Response.Headers[name] = value;
        WriteTrailersOnly(context, Code(error.Kind), $"{error.Code}: {error.Message}");
    }

    /// <summary>A trailers-only reply with a status of the library's own kind (a message over its size limit).</summary>
    public static void WriteTrailersOnly(HttpContext context, StatusCode status, string message)
    {
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = EncodeMessage(message);
    }

    /// <summary>
    /// Percent-encodes a status message as the gRPC HTTP/2 protocol requires: UTF-8, with every byte outside
    /// printable ASCII (0x20–0x7E) and '%' itself written as %XX.
    /// </summary>
    private static string EncodeMessage(string message)
    {
        var sb = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%') sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }
}
