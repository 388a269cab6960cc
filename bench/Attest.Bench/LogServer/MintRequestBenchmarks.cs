using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Attest.Bench.LogServer;

/// <summary>
/// src/LogServer/Commands/MintCommand.cs and Grpc/ProtoReply.cs: a mint (the load tool's) on its way in, as the command
/// each transport binds (gRPC from the message, REST from its parsed JSON body), the idempotency digest of the
/// command, and the gRPC reply on the way out.
/// </summary>
[MemoryDiagnoser]
public class MintRequestBenchmarks
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));
    private static readonly LimitOptions Limits = new();
    private MintCommand command = null!;
    private Attest.V1.MintRequest request = null!;
    private JsonElement body;
    private AttestationView view = null!;
    private readonly byte[] replyBuffer = new byte[64 * 1024];

    [GlobalSetup]
    public void Setup()
    {
        request = new Attest.V1.MintRequest { IssuerId = Guid.NewGuid().ToString(), Kid = "load-0123456789ab", Alg = "Ed25519", Schema = "degree", Claims = new Struct() };
        foreach (var (k, v) in new Dictionary<string, string>
        {
            ["student_name"] = "Ada Lovelace", ["institution"] = "Example University", ["degree_type"] = "BSc",
            ["field_of_study"] = "Mathematics", ["graduation_date"] = "2025-06-30", ["honors"] = "cum laude",
        })
            request.Claims.Fields[k] = Value.ForString(v);
        body = JsonElement.Parse(Formatter.Format(request));
        command = MintCommand.FromProto(request, Limits);
        var payload = new JsonObject
        {
            ["alg"] = "Ed25519", ["claims"] = JsonNode.Parse(body.GetProperty("claims").GetRawText()), ["content_type"] = "application/json",
            ["created_at"] = "2026-12-01T12:00:00.000Z", ["id"] = Guid.NewGuid().ToString(), ["issuer_id"] = request.IssuerId, ["kid"] = request.Kid,
            ["schema"] = "degree", ["type"] = "attestation/v1",
        };
        view = new AttestationView(Guid.NewGuid(), Guid.Parse(request.IssuerId), request.Kid, "degree", "VALID", 12345, "2026-12-01T12:00:00.000Z",
            JsonElement.Parse(payload.ToJsonString()), new string('s', 86), null, "application/json", null, null, null, null, null, null);
    }

    /// <summary>REST: the parsed body bound strictly and validated against the schema.</summary>
    [Benchmark(Baseline = true)]
    public MintCommand FromJson() => MintCommand.FromJson(body, Limits);

    /// <summary>gRPC: the message mapped field by field (its claims Struct written to JSON once) and validated.</summary>
    [Benchmark]
    public MintCommand FromProto() => MintCommand.FromProto(request, Limits);

    /// <summary>The idempotency digest of the validated command.</summary>
    [Benchmark]
    public byte[] Digest() => command.Digest("mint");

    /// <summary>The reply built and written, as the server frames it.</summary>
    [Benchmark]
    public int Reply()
    {
        var reply = ProtoReply.Attestation(view);
        int size = reply.CalculateSize();
        reply.WriteTo(replyBuffer.AsSpan(0, size));
        return size;
    }
}
