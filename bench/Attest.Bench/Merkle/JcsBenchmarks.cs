using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/Jcs.cs: RFC 8785 canonicalization of a signed attestation payload as mint builds it (a degree
/// attestation, 10 fields, about 500 bytes), from the parsed JSON and from the node tree; and the whole signing
/// step of a mint: canonicalize, then Ed25519-sign the bytes (compare with Baselines/Ed25519Baseline).
/// </summary>
[MemoryDiagnoser]
public class JcsBenchmarks
{
    private JsonObject payload = null!;
    private JsonElement element;
    private Ed25519PrivateKey key = null!;

    [GlobalSetup]
    public void Setup()
    {
        payload = new JsonObject
        {
            ["type"] = "attestation/v1", ["id"] = "019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10", ["issuer_id"] = "019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a11",
            ["kid"] = "registrar-2026", ["alg"] = "Ed25519", ["schema"] = "degree",
            ["claims"] = new JsonObject
            {
                ["student_name"] = "Zoë Ñúñez", ["institution"] = "Universität Ærøskøbing", ["degree_type"] = "Master of Science",
                ["field_of_study"] = "Informatik", ["graduation_date"] = "2026-06-30", ["honors"] = "summa cum laude",
            },
            ["content_type"] = "application/json", ["created_at"] = "2026-11-23T12:00:00.123Z",
            ["document_hash"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        };
        element = JsonDocument.Parse(payload.ToJsonString()).RootElement;
        key = Ed25519PrivateKey.FromSeed(Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef"));
    }

    [GlobalCleanup]
    public void Cleanup() => key.Dispose();

    [Benchmark]
    public byte[] CanonicalizeElement() => Jcs.Canonicalize(element);

    [Benchmark]
    public byte[] CanonicalizeNode() => Jcs.Canonicalize(payload);

    [Benchmark]
    public byte[] CanonicalizeAndSign() => key.Sign(Jcs.Canonicalize(payload));
}
