using System.Buffers;
using System.IO.Pipelines;
using Attest.LogServer.Grpc;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.LogServer;

/// <summary>src/LogServer/Grpc/GrpcFraming.cs: the length-prefixed messages of every gRPC call, both ways.</summary>
[MemoryDiagnoser]
public class GrpcFramingBenchmarks
{
    private byte[] message = [];
    private byte[] frame = [];
    private readonly ArrayBufferWriter<byte> output = new(1 << 16);

    [Params(300, 16 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        message = new byte[Size];
        new Random(1).NextBytes(message);
        var w = new ArrayBufferWriter<byte>();
        GrpcFraming.WriteMessage(w, message, gzip: false);
        frame = w.WrittenSpan.ToArray();
    }

    /// <summary>Writes one uncompressed message frame (5-byte prefix and the bytes).</summary>
    [Benchmark]
    public int Write()
    {
        output.ResetWrittenCount();
        GrpcFraming.WriteMessage(output, message, gzip: false);
        return output.WrittenCount;
    }

    /// <summary>Reads one message frame from a pipe, as a request body is read.</summary>
    [Benchmark]
    public async Task<int> Read()
    {
        var reader = PipeReader.Create(new ReadOnlySequence<byte>(frame));
        var bytes = await GrpcFraming.ReadMessage(reader, null, 1 << 20, CancellationToken.None);
        return bytes!.Length;
    }
}
