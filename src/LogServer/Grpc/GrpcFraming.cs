using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Attest.LogServer.Grpc;

/// <summary>A gRPC failure to send as trailers: a status and a message.</summary>
public sealed class GrpcException(StatusCode status, string message) : Exception(message)
{
    public StatusCode Status { get; } = status;
}

/// <summary>
/// Length-prefixed messages of the gRPC HTTP/2 protocol (grpc/doc/PROTOCOL-HTTP2.md): each message is
/// <c>compressed-flag(1) || length(4, big-endian) || bytes</c>; a compressed message uses the call's
/// <c>grpc-encoding</c> (gzip here; identity means none).
/// </summary>
public static class GrpcFraming
{
    public const int HeaderSize = 5;

    /// <summary>
    /// Reads one message, or null at a clean end of stream. Truncated frames, a compressed flag without an encoding,
    /// and messages over <paramref name="maxSize"/> (before or after decompression) are errors with a status.
    /// </summary>
    public static async Task<byte[]?> ReadMessage(PipeReader reader, string? encoding, int maxSize, CancellationToken token)
    {
        while (true)
        {
            var result = await reader.ReadAsync(token);
            var buffer = result.Buffer;
            if (TryReadHeader(buffer, out byte flag, out uint length))
            {
                if (flag > 1) throw new GrpcException(StatusCode.Internal, $"bad compressed-flag {flag} in message frame");
                if (length > maxSize) throw new GrpcException(StatusCode.ResourceExhausted, $"message of {length} bytes is over the limit of {maxSize}");
                if (buffer.Length >= HeaderSize + length)
                {
                    var body = buffer.Slice(HeaderSize, length).ToArray();
                    reader.AdvanceTo(buffer.GetPosition(HeaderSize + length));
                    return flag == 0 ? body : Decompress(body, encoding, maxSize);
                }
            }
            if (result.IsCompleted)
            {
                if (buffer.Length == 0)
                {
                    reader.AdvanceTo(buffer.End);
                    return null;
                }
                throw new GrpcException(StatusCode.Internal, "the request stream ended inside a message frame");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryReadHeader(ReadOnlySequence<byte> buffer, out byte flag, out uint length)
    {
        flag = 0;
        length = 0;
        if (buffer.Length < HeaderSize) return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        flag = header[0];
        length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        return true;
    }

    /// <summary>Writes <paramref name="message"/> of <paramref name="size"/> bytes (its <c>CalculateSize</c>) straight into the frame when uncompressed.</summary>
    public static void WriteMessage(IBufferWriter<byte> writer, IMessage message, int size, bool gzip)
    {
        if (gzip)
        {
            WriteMessage(writer, message.ToByteArray(), gzip: true);
            return;
        }
        var span = writer.GetSpan(HeaderSize + size);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
        message.WriteTo(span.Slice(HeaderSize, size));
        writer.Advance(HeaderSize + size);
    }

    public static void WriteMessage(IBufferWriter<byte> writer, ReadOnlySpan<byte> message, bool gzip)
    {
        byte[]? compressed = gzip ? Compress(message) : null;
        var body = compressed ?? message;
        var span = writer.GetSpan(HeaderSize + body.Length);
        span[0] = compressed is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)body.Length);
        body.CopyTo(span[HeaderSize..]);
        writer.Advance(HeaderSize + body.Length);
    }

    private static byte[] Decompress(byte[] body, string? encoding, int maxSize)
    {
        if (encoding != "gzip") throw new GrpcException(StatusCode.Internal, $"compressed message with grpc-encoding \"{encoding ?? "identity"}\"");
        try
        {
            using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = input.Read(chunk)) > 0)
            {
                if (output.Length + n > maxSize) throw new GrpcException(StatusCode.ResourceExhausted, $"decompressed message is over the limit of {maxSize} bytes");
                output.Write(chunk, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            throw new GrpcException(StatusCode.Internal, "the message is not valid gzip");
        }
    }

    private static byte[] Compress(ReadOnlySpan<byte> message)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(message);
        return output.ToArray();
    }

    /// <summary>
    /// <c>grpc-timeout</c>: at most 8 digits and a unit (H, M, S, m, u, n). Null when absent; a malformed value is an
    /// error, as the protocol gives no default for it.
    /// </summary>
    public static TimeSpan? ParseTimeout(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (value.Length is < 2 or > 9 || !long.TryParse(value.AsSpan(0, value.Length - 1), System.Globalization.NumberStyles.None, null, out long n))
            throw new GrpcException(StatusCode.InvalidArgument, $"malformed grpc-timeout \"{value}\"");
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(n),
            'M' => TimeSpan.FromMinutes(n),
            'S' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMilliseconds(n),
            'u' => TimeSpan.FromTicks(n * 10),
            'n' => TimeSpan.FromTicks(n / 100),
            _ => throw new GrpcException(StatusCode.InvalidArgument, $"malformed grpc-timeout \"{value}\""),
        };
    }
}
