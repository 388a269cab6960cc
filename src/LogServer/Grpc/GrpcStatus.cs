using System.Text;

namespace Attest.LogServer.Grpc;

/// <summary>gRPC status codes (grpc/doc/statuscodes.md) and the mapping from the REST error codes.</summary>
public enum StatusCode
{
    OK = 0, Cancelled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4, NotFound = 5, AlreadyExists = 6,
    PermissionDenied = 7, ResourceExhausted = 8, FailedPrecondition = 9, Aborted = 10, OutOfRange = 11,
    Unimplemented = 12, Internal = 13, Unavailable = 14, DataLoss = 15, Unauthenticated = 16,
}

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
    /// Percent-encodes a status message as the gRPC HTTP/2 protocol requires: UTF-8, with every byte outside
    /// printable ASCII (0x20–0x7E) and '%' itself written as %XX.
    /// </summary>
    public static string EncodeMessage(string message)
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
