using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/Ed25519.cs: <see cref="Ed25519.Verify"/> of a checkpoint-body signature through libsodium. Must
/// allocate nothing. (Signing is in Baselines/Ed25519Baseline, as the raw signing bound.)
/// </summary>
[MemoryDiagnoser]
public class Ed25519Benchmarks
{
    private byte[] publicKey = [];
    private byte[] message = [];
    private byte[] signature = [];

    [GlobalSetup]
    public void Setup()
    {
        using var key = Ed25519PrivateKey.Generate();
        publicKey = key.PublicKey.ToArray();
        message = System.Text.Encoding.UTF8.GetBytes(NoteBenchmarks.CheckpointText());
        signature = key.Sign(message);
    }

    [Benchmark]
    public bool Verify() => Ed25519.Verify(publicKey, message, signature);
}
