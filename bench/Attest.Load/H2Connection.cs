using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks.Sources;

namespace Attest.Load;

/// <summary>
/// One cleartext HTTP/2 connection with prior knowledge (RFC 9113 §3.3) that carries unary gRPC calls
/// (grpc/doc/PROTOCOL-HTTP2.md), written for the load tool so that the client costs the machine little of what it
/// measures: HttpClient's HTTP/2 took about a sixth of every mint's CPU here (docs/PERFORMANCE.md, "The load
/// tool's clients and open loop").
/// </summary>
/// <remarks>
/// - One reader loop per connection parses frames and completes calls inline, so a closed-loop worker's next request
///   is written on the same thread, without a thread-pool hop; everything written while a received batch is being
///   dispatched goes out in one send after it.
/// - Requests: HEADERS (literal fields without indexing, no Huffman) and the message in DATA frames of at most the
///   peer's frame size, END_STREAM on the last. A stream is opened only while the peer's stream limit and the
///   connection's send window allow; other calls wait in order.
/// - Replies are checked as <see cref="GrpcChannel"/> checks them: <c>:status</c> 200, a message of at least 5 bytes,
///   and <c>grpc-status</c> 0 in the trailers (or in the headers of a trailers-only reply).
/// - The receive windows are opened wide once (2^31 − 1) and the connection's is topped up every GiB.
/// - Anything this client does not expect (GOAWAY, a protocol or HPACK error, the socket closing) fails every call
///   in flight and every later one with a message, which the load tool counts as errors: it never guesses.
/// </remarks>
public sealed class H2Connection : IDisposable
{
    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, PushPromise = 5, Ping = 6, GoAway = 7, WindowUpdate = 8, Continuation = 9;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, PriorityFlag = 0x20;
    private const int MaxWindow = int.MaxValue, OurMaxFrame = 16384;

    private readonly Socket socket;
    private readonly string authority, authorization;
    private readonly ConcurrentDictionary<string, byte[]> prefixes = new();
    private readonly ConcurrentQueue<H2Call> pool = new();
    private readonly HPackDecoder decoder = new();
    private readonly TaskCompletionSource settingsReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Everything below is guarded by gate.
    private readonly object gate = new();
    private readonly Dictionary<int, H2Call> streams = [];
    private readonly Queue<H2Call> waiting = new();
    private Output filling = new(), sending = new();
    private bool flushing, dispatching;
    private int nextStream = 1, maxStreams = int.MaxValue, peerMaxFrame = 16384, peerStreamWindow = 65535;
    private long sendWindow = 65535;
    private string? closed;

    // Reader-loop state.
    private long receivedSinceUpdate;
    private readonly Output headerBlock = new();
    private int headerStream;
    private byte headerFlags;
    private H2Call? decoding;
    private readonly Action<ReadOnlySpan<byte>, ReadOnlySpan<byte>> onField;

    private H2Connection(Socket socket, string authority, string authorization)
    {
        this.socket = socket;
        this.authority = authority;
        this.authorization = authorization;
        onField = OnField;
        lock (gate)
        {
            filling.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
            // SETTINGS: no server push (0x2 = 0), stream windows of 2^31 − 1 (0x4); then the connection's window too.
            var s = Frame(12, Settings, 0, 0);
            Setting(s, 0x2, 0);
            Setting(s[6..], 0x4, MaxWindow);
            BinaryPrimitives.WriteInt32BigEndian(Frame(4, WindowUpdate, 0, 0), MaxWindow - 65535);
        }
        Flush();
        _ = Task.Run(ReadLoop);
    }

    /// <summary>Connects to <paramref name="uri"/> and returns once the server's SETTINGS arrived.</summary>
    public static async Task<H2Connection> Connect(Uri uri, string bearerToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new H2Connection(socket, $"{uri.Host}:{uri.Port}", "Bearer " + bearerToken);
        try
        {
            await connection.settingsReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return connection;
    }

    /// <summary>
    /// Calls <paramref name="path"/> with a length-prefixed <paramref name="message"/>. Null when the call succeeded,
    /// else what went wrong, as an error-table key.
    /// </summary>
    public ValueTask<string?> Call(string path, byte[] message, string? idempotencyKey)
    {
        var call = pool.TryDequeue(out var c) ? c : new H2Call(this);
        call.Start(Prefix(path), message, idempotencyKey);
        lock (gate)
        {
            // Completed here, before anyone awaits it, so no continuation runs under the lock.
            if (closed is not null) call.Complete(closed);
            else if (message.Length > peerStreamWindow) call.Complete($"request of {message.Length} bytes exceeds the server's stream window of {peerStreamWindow}");
            else if (waiting.Count > 0 || !TryOpen(call)) waiting.Enqueue(call);
        }
        Flush();
        return new ValueTask<string?>(call, call.Version);
    }

    /// <summary>Opens the call's stream if the peer's limits allow it now. Under gate.</summary>
    private bool TryOpen(H2Call call)
    {
        if (streams.Count >= maxStreams || sendWindow < call.Message.Length) return false;
        int id = nextStream;
        nextStream += 2;
        streams[id] = call;
        sendWindow -= call.Message.Length;

        int start = filling.Count;
        filling.GetSpan(9);
        filling.Advance(9);
        filling.Write(call.Prefix);
        if (call.IdempotencyKey is { } key)
        {
            Span<byte> ascii = stackalloc byte[Encoding.ASCII.GetByteCount(key)];
            Encoding.ASCII.GetBytes(key, ascii);
            HPackDecoder.WriteLiteral(filling, 0, "idempotency-key"u8, ascii);
        }
        WriteFrameHeader(filling.Buffer.AsSpan(start), filling.Count - start - 9, Headers, EndHeaders, id);
        var rest = call.Message.AsSpan();
        do
        {
            int n = Math.Min(rest.Length, peerMaxFrame);
            rest[..n].CopyTo(Frame(n, Data, n == rest.Length ? EndStream : (byte)0, id));
            rest = rest[n..];
        } while (rest.Length > 0);
        return true;
    }

    /// <summary>The header fields every call to <paramref name="path"/> shares, encoded once.</summary>
    private byte[] Prefix(string path) => prefixes.GetOrAdd(path, p =>
    {
        var block = new ArrayBufferWriter<byte>();
        block.Write<byte>([0x83, 0x86]); // :method POST, :scheme http (static entries 3 and 6)
        HPackDecoder.WriteLiteral(block, 4, default, Encoding.ASCII.GetBytes(p)); // :path
        HPackDecoder.WriteLiteral(block, 1, default, Encoding.ASCII.GetBytes(authority)); // :authority
        HPackDecoder.WriteLiteral(block, 31, default, "application/grpc"u8); // content-type
        HPackDecoder.WriteLiteral(block, 0, "te"u8, "trailers"u8);
        HPackDecoder.WriteLiteral(block, 23, default, Encoding.ASCII.GetBytes(authorization)); // authorization
        return block.WrittenSpan.ToArray();
    });

    /// <summary>Sends what was written, unless a send is running (it takes it) or the reader is dispatching (it sends after).</summary>
    private void Flush()
    {
        lock (gate)
        {
            if (flushing || dispatching || filling.Count == 0) return;
            flushing = true;
        }
        _ = FlushLoop();
    }

    private async Task FlushLoop()
    {
        try
        {
            while (true)
            {
                Output batch;
                lock (gate)
                {
                    if (filling.Count == 0 || closed is not null)
                    {
                        flushing = false;
                        return;
                    }
                    (filling, sending) = (sending, filling);
                    batch = sending;
                }
                await socket.SendAsync(batch.Buffer.AsMemory(0, batch.Count), SocketFlags.None);
                batch.Count = 0;
            }
        }
        catch (Exception e)
        {
            Close($"connection lost while sending: {e.Message}");
        }
    }

    private async Task ReadLoop()
    {
        var buffer = new byte[1 << 17];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (buffer.Length - end < 9 + OurMaxFrame)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    (start, end) = (0, end - start);
                }
                int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (n == 0) throw new H2Exception("the server closed the connection");
                end += n;
                lock (gate) dispatching = true;
                while (end - start >= 9)
                {
                    var header = buffer.AsSpan(start, 9);
                    int length = header[0] << 16 | header[1] << 8 | header[2];
                    if (length > OurMaxFrame) throw new H2Exception($"frame of {length} bytes, above our SETTINGS_MAX_FRAME_SIZE");
                    if (end - start < 9 + length) break;
                    OnFrame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header[5..]) & 0x7FFFFFFF, buffer.AsSpan(start + 9, length));
                    start += 9 + length;
                }
                if (start == end) start = end = 0;
                lock (gate)
                {
                    dispatching = false;
                    if (receivedSinceUpdate >= 1 << 30)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(Frame(4, WindowUpdate, 0, 0), (int)receivedSinceUpdate);
                        receivedSinceUpdate = 0;
                    }
                }
                Flush();
            }
        }
        catch (Exception e)
        {
            Close(e is H2Exception or HPackException ? e.Message : $"connection lost: {e.Message}");
        }
    }

    private void OnFrame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        if (headerStream != 0 && type != Continuation) throw new H2Exception("a header block was interrupted by another frame");
        switch (type)
        {
            case Data:
                receivedSinceUpdate += payload.Length;
                payload = Unpad(flags, payload);
                if (Find(stream) is { } call)
                {
                    call.DataBytes += payload.Length;
                    if ((flags & EndStream) != 0) Finish(stream);
                }
                break;
            case Headers:
                payload = Unpad(flags, payload);
                if ((flags & PriorityFlag) != 0) payload = payload.Length >= 5 ? payload[5..] : throw new H2Exception("HEADERS too short for its priority");
                if ((flags & EndHeaders) != 0)
                {
                    OnHeaders(stream, flags, payload);
                }
                else
                {
                    (headerStream, headerFlags) = (stream, flags);
                    headerBlock.Write(payload);
                }
                break;
            case Continuation:
                if (stream != headerStream) throw new H2Exception("CONTINUATION of no header block");
                headerBlock.Write(payload);
                if ((flags & EndHeaders) != 0)
                {
                    headerStream = 0;
                    OnHeaders(stream, headerFlags, headerBlock.Buffer.AsSpan(0, headerBlock.Count));
                    headerBlock.Count = 0;
                }
                break;
            case RstStream:
                if (payload.Length != 4) throw new H2Exception("RST_STREAM of the wrong size");
                Finish(stream, $"stream reset by the server (error {BinaryPrimitives.ReadUInt32BigEndian(payload)})");
                break;
            case Settings:
                if ((flags & Ack) == 0) OnSettings(payload);
                break;
            case Ping:
                if ((flags & Ack) == 0)
                    lock (gate) payload.CopyTo(Frame(payload.Length, Ping, Ack, 0));
                break;
            case GoAway:
                throw new H2Exception($"GOAWAY from the server (error {(payload.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(payload[4..]) : 0)})");
            case WindowUpdate:
                if (payload.Length != 4) throw new H2Exception("WINDOW_UPDATE of the wrong size");
                if (stream == 0)
                    lock (gate)
                    {
                        sendWindow += BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7FFFFFFF;
                        OpenWaiting();
                    }
                break;
            case PushPromise:
                throw new H2Exception("PUSH_PROMISE, though push was disabled");
            default:
                break; // §5.5: unknown frame types are ignored
        }
    }

    private void OnSettings(ReadOnlySpan<byte> payload)
    {
        if (payload.Length % 6 != 0) throw new H2Exception("SETTINGS of the wrong size");
        lock (gate)
        {
            for (; payload.Length > 0; payload = payload[6..])
            {
                int value = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(payload[2..]), int.MaxValue);
                switch (BinaryPrimitives.ReadUInt16BigEndian(payload))
                {
                    case 0x3: maxStreams = value; break;
                    case 0x4: peerStreamWindow = value; break;
                    case 0x5: peerMaxFrame = value; break;
                }
            }
            Frame(0, Settings, Ack, 0);
            OpenWaiting();
        }
        settingsReceived.TrySetResult();
    }

    private void OnHeaders(int stream, byte flags, ReadOnlySpan<byte> block)
    {
        // Decoded even for a stream no longer wanted: the dynamic table must follow every block.
        decoding = Find(stream);
        decoder.Decode(block, onField);
        decoding = null;
        if ((flags & EndStream) != 0) Finish(stream);
    }

    private void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (decoding is null) return;
        if (name.SequenceEqual(":status"u8)) decoding.HttpStatus = int.TryParse(value, out int s) ? s : -1;
        else if (name.SequenceEqual("grpc-status"u8)) decoding.GrpcStatus = value.SequenceEqual("0"u8) ? "0" : Encoding.ASCII.GetString(value);
    }

    private H2Call? Find(int stream)
    {
        lock (gate) return streams.GetValueOrDefault(stream);
    }

    private void Finish(int stream, string? reset = null)
    {
        H2Call? call;
        lock (gate)
        {
            if (!streams.Remove(stream, out call)) return;
            OpenWaiting();
        }
        call.Complete(reset ?? call.Outcome());
    }

    /// <summary>Opens waiting calls, in order, while the limits allow. Under gate.</summary>
    private void OpenWaiting()
    {
        while (waiting.Count > 0 && closed is null && TryOpen(waiting.Peek())) waiting.Dequeue();
    }

    private void Close(string reason)
    {
        List<H2Call> failed;
        lock (gate)
        {
            closed ??= reason;
            failed = [.. streams.Values, .. waiting];
            streams.Clear();
            waiting.Clear();
        }
        foreach (var call in failed) call.Complete(closed);
        settingsReceived.TrySetException(new H2Exception(closed));
    }

    /// <summary>Appends a frame header to the output and returns the payload's room. Under gate.</summary>
    private Span<byte> Frame(int length, byte type, byte flags, int stream)
    {
        var span = filling.GetSpan(9 + length)[..(9 + length)];
        WriteFrameHeader(span, length, type, flags, stream);
        filling.Advance(9 + length);
        return span[9..];
    }

    private static void WriteFrameHeader(Span<byte> s, int length, byte type, byte flags, int stream)
    {
        s[0] = (byte)(length >> 16);
        s[1] = (byte)(length >> 8);
        s[2] = (byte)length;
        s[3] = type;
        s[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(s[5..], stream);
    }

    private static void Setting(Span<byte> s, ushort id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(s, id);
        BinaryPrimitives.WriteInt32BigEndian(s[2..], value);
    }

    private static ReadOnlySpan<byte> Unpad(byte flags, ReadOnlySpan<byte> payload)
    {
        if ((flags & Padded) == 0) return payload;
        if (payload.Length == 0 || payload[0] >= payload.Length) throw new H2Exception("padding longer than the frame");
        return payload[1..^payload[0]];
    }

    /// <summary>
    /// Fails what is in flight and closes the socket. It does not wait for the reader loop: the last call's
    /// continuation, and so the caller of this, may be running on it.
    /// </summary>
    public void Dispose()
    {
        Close("the connection was closed by the client");
        socket.Dispose();
    }

    private sealed class H2Exception(string message) : Exception(message);

    /// <summary>A growable output buffer.</summary>
    private sealed class Output : IBufferWriter<byte>
    {
        public byte[] Buffer = new byte[1 << 16];
        public int Count;

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return Buffer.AsMemory(Count);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return Buffer.AsSpan(Count);
        }

        private void Ensure(int sizeHint)
        {
            if (Buffer.Length - Count < Math.Max(sizeHint, 1)) Array.Resize(ref Buffer, Math.Max(2 * Buffer.Length, Count + sizeHint));
        }
    }

    /// <summary>One call: its request, what its reply said so far, and the awaitable that reports it. Pooled per connection.</summary>
    private sealed class H2Call(H2Connection owner) : IValueTaskSource<string?>
    {
        private ManualResetValueTaskSourceCore<string?> core;
        public byte[] Prefix = [], Message = [];
        public string? IdempotencyKey, GrpcStatus;
        public int HttpStatus;
        public long DataBytes;

        public short Version => core.Version;

        public void Start(byte[] prefix, byte[] message, string? idempotencyKey)
        {
            core.Reset();
            (Prefix, Message, IdempotencyKey) = (prefix, message, idempotencyKey);
            (GrpcStatus, HttpStatus, DataBytes) = (null, 0, 0);
        }

        /// <summary>The call's result once its stream ended, judged as <see cref="GrpcChannel"/> judges its own.</summary>
        public string? Outcome() => HttpStatus != 200 ? $"http {HttpStatus}" : GrpcChannel.Verdict(GrpcStatus, DataBytes);

        /// <summary>Completes the call with <paramref name="error"/> (null: success); its awaiter runs inline.</summary>
        public void Complete(string? error) => core.SetResult(error);

        public string? GetResult(short token)
        {
            var result = core.GetResult(token);
            owner.pool.Enqueue(this);
            return result;
        }

        public ValueTaskSourceStatus GetStatus(short token) => core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            core.OnCompleted(continuation, state, token, flags);
    }
}
