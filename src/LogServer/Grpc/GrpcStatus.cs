using System.Text;
using Grpc.Core;

namespace Attest.LogServer.Grpc;

/// <summary>gRPC status codes (grpc/doc/statuscodes.md) for the REST error codes.</summary>
public static class GrpcStatus
{
    /// <summary>
    /// The gRPC status for a REST error. The REST error code itself travels in <c>grpc-message</c> as
    /// <c>"&lt;code&gt;: &lt;message&gt;"</c>, so clients of both APIs match on the same codes.
    /// </summary>
    public static StatusCode FromHttp(int status, string code) => (status, code) switch
    {
        (401, _) => StatusCode.Unauthenticated,
        (403, _) => StatusCode.PermissionDenied,
        (404, _) => StatusCode.NotFound,
        (409, "kid_exists") => StatusCode.AlreadyExists,
        (409, _) => StatusCode.FailedPrecondition,
        (413, _) or (429, _) or (507, _) => StatusCode.ResourceExhausted,
        (503, _) => StatusCode.Unavailable,
        (>= 400 and < 500, _) => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    /// <summary>
    /// A trailers-only reply (grpc/doc/PROTOCOL-HTTP2.md: HTTP 200 with the status in the headers), for a call that
    /// middleware answers before the gRPC library reads it.
    /// </summary>
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
