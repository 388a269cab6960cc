using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Attest.Bench.LogServer;

/// <summary>
/// src/LogServer/Grpc/ProtoJson.cs and Api/AttestationApi.cs: a gRPC mint (the load tool's) on its way in, as the REST
/// body both APIs validate, and its reply on the way out. <see cref="BodyThroughFormatter"/> is the route the body
/// took before 1 December (Google.Protobuf's JSON formatter, then a re-parse), kept for the ratio.
/// </summary>
[MemoryDiagnoser]
public class MintRequestBenchmarks
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));
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
        body = ProtoJson.Body(request, "payload");
        var payload = new JsonObject
        {
            ["alg"] = "Ed25519", ["claims"] = JsonNode.Parse(body.GetProperty("claims").GetRawText()), ["content_type"] = "application/json",
            ["created_at"] = "2026-12-01T12:00:00.000Z", ["id"] = Guid.NewGuid().ToString(), ["issuer_id"] = request.IssuerId, ["kid"] = request.Kid,
            ["schema"] = "degree", ["type"] = "attestation/v1",
        };
        view = new AttestationView(Guid.NewGuid(), Guid.Parse(request.IssuerId), request.Kid, "degree", "VALID", 12345, "2026-12-01T12:00:00.000Z",
            JsonElement.Parse(payload.ToJsonString()), new string('s', 86), null, "application/json", null, null, null, null, null, null);
    }

    [Benchmark(Baseline = true)]
    public JsonElement BodyThroughFormatter()
    {
        using var doc = JsonDocument.Parse(Formatter.Format(request));
        return doc.RootElement.Clone();
    }

    [Benchmark]
    public JsonElement Body() => ProtoJson.Body(request, "payload");

    /// <summary>Validation against the schema and the request digest an idempotency key is bound to.</summary>
    [Benchmark]
    public MintRequest ParseMint() => AttestationApi.ParseMint(body, "mint", new LimitOptions()).Request;

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
