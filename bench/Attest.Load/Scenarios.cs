using System.Net;
using System.Text;
using System.Text.Json;
using Attest.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Attest.Load;

/// <summary>One request of a scenario, sent by client <c>worker</c>: null when it succeeded, else an error-table key.</summary>
public delegate ValueTask<string?> Request(int worker);

/// <summary>The scenarios: what is set up once, and what each request is.</summary>
public static class Scenarios
{
    // A degree has exactly these claims in the schema catalogue; every mint signs the same claims under a new id.
    private static readonly Dictionary<string, string> Claims = new()
    {
        ["student_name"] = "Ada Lovelace", ["institution"] = "Example University", ["degree_type"] = "BSc",
        ["field_of_study"] = "Mathematics", ["graduation_date"] = "2025-06-30", ["honors"] = "cum laude",
    };

    public static async Task<Request> Prepare(string scenario, RestChannel rest, IGrpcChannel grpc, long prefill, int clients, int statements = 100_000)
    {
        switch (scenario)
        {
            case "mint-grpc":
            {
                var (issuer, kid) = await IssuerWithKey(rest);
                var mint = new MintRequest { IssuerId = issuer, Kid = kid, Alg = "Ed25519", Schema = "degree", Claims = new Struct() };
                foreach (var (k, v) in Claims) mint.Claims.Fields[k] = Value.ForString(v);
                var frame = GrpcChannel.Frame(mint.ToByteArray());
                // A fresh idempotency key makes each call a new durable mint, not a replay of the first.
                return w => grpc.Call(w, "/attest.v1.Attestations/Mint", frame, Guid.NewGuid().ToString());
            }
            case "mint-rest":
            {
                var (issuer, kid) = await IssuerWithKey(rest);
                var body = JsonSerializer.SerializeToUtf8Bytes(new { issuer_id = issuer, kid, alg = "Ed25519", schema = "degree", claims = Claims });
                return w => rest.Send(HttpMethod.Post, "v1/attestations/mint", body, Guid.NewGuid().ToString(), HttpStatusCode.Created);
            }
            case "stamp-grpc":
                return w => grpc.Call(w, "/attest.v1.Stamps/Create", GrpcChannel.Frame(new CreateStampRequest { ContentHash = RandomHash() }.ToByteArray()), null);
            case "stamp-rest":
                return w => rest.Send(HttpMethod.Post, "v1/stamps", Encoding.UTF8.GetBytes($$"""{"content_hash":"{{RandomHash()}}"}"""), null, HttpStatusCode.Created);
            case "checkpoint-grpc":
            {
                // The transport's floor: a unary call answered from memory, so what a mint or stamp adds can be told apart.
                var frame = GrpcChannel.Frame(new GetCheckpointRequest().ToByteArray());
                return w => grpc.Call(w, "/attest.v1.Log/GetCheckpoint", frame, null);
            }
            case "proof-rest":
            {
                long size = await Prefill(rest, grpc, prefill, clients);
                return w => rest.Send(HttpMethod.Get, $"v1/log/proofs/inclusion?index={Random.Shared.NextInt64(size)}", null, null, HttpStatusCode.OK);
            }
            case "scitt-register-rest":
            {
                // SCRAPI registration: each request is a new ES256 statement, signed before the run so that the tool's
                // own signing is not in the measured time. The service answers 201 with a receipt or 303 to the entry.
                var pool = await ScittStatements.Prepare(rest, statements);
                long next = -1;
                return w => Interlocked.Increment(ref next) is var i && i < pool.Length
                    ? rest.SendBody(HttpMethod.Post, "entries", pool[i], ScittStatements.Cose, HttpStatusCode.Created, HttpStatusCode.SeeOther)
                    : ValueTask.FromResult<string?>("statements exhausted (--statements)");
            }
            case "scitt-receipt-rest":
            {
                // An RFC 9942 receipt of a random entry below the signed checkpoint, any kind of entry.
                long size = await Prefill(rest, grpc, prefill, clients);
                return w => rest.Send(HttpMethod.Get, $"v1/log/entries/{Random.Shared.NextInt64(size)}/receipt", null, null, HttpStatusCode.OK);
            }
            default:
                throw new ArgumentException($"unknown scenario {scenario}", nameof(scenario));
        }
    }

    /// <summary>The tree size proofs are asked against: the checkpoint size once the log holds the prefill.</summary>
    public static async Task<long> CheckpointSize(RestChannel rest) => (await rest.Json(HttpMethod.Get, "readyz")).GetProperty("checkpoint_size").GetInt64();

    private static async Task<(string Issuer, string Kid)> IssuerWithKey(RestChannel rest)
    {
        string issuer = (await rest.Json(HttpMethod.Post, "v1/issuers", new { name = "Load Test University" })).GetProperty("id").GetString()!;
        string kid = "load-" + Guid.NewGuid().ToString("N")[..12];
        await rest.Json(HttpMethod.Post, $"v1/issuers/{issuer}/keys", new { kid });
        return (issuer, kid);
    }

    /// <summary>Stamps (over gRPC, the faster way in) until the log has <paramref name="target"/> entries and a checkpoint covers them.</summary>
    private static async Task<long> Prefill(RestChannel rest, IGrpcChannel grpc, long target, int clients)
    {
        long size = (await rest.Json(HttpMethod.Get, "readyz")).GetProperty("tree_size").GetInt64();
        if (size < target)
        {
            Console.Error.WriteLine($"prefill: stamping {target - size:N0} entries");
            await Parallel.ForAsync(size, target, new ParallelOptions { MaxDegreeOfParallelism = clients }, async (i, _) =>
            {
                var frame = GrpcChannel.Frame(new CreateStampRequest { ContentHash = RandomHash() }.ToByteArray());
                if (await grpc.Call((int)(i % clients), "/attest.v1.Stamps/Create", frame, null) is { } error) throw new InvalidOperationException($"prefill stamp failed: {error}");
            });
        }
        // The checkpoint is signed about once a second; proofs are asked below its size.
        while (await CheckpointSize(rest) < target) await Task.Delay(200);
        return await CheckpointSize(rest);
    }

    // Distinct content hashes, as real stamps have; they need not be unpredictable, so no getrandom call per request.
    private static string RandomHash()
    {
        Span<byte> bytes = stackalloc byte[32];
        Random.Shared.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
