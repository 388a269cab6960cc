using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/Ed25519.cs: <see cref="Ed25519PublicKey.Verify"/> of a checkpoint-body signature through NSec (libsodium),
/// under a key imported once as <see cref="NoteVerifier"/> holds it. Must allocate nothing. (Signing is in
/// Baselines/Ed25519Baseline, as the raw signing bound.)
/// </summary>
[MemoryDiagnoser]
public class Ed25519Benchmarks
{
    private Ed25519PublicKey publicKey = null!;
    private byte[] message = [];
    private byte[] signature = [];

    [GlobalSetup]
    public void Setup()
    {
        using var key = Ed25519PrivateKey.Generate();
        if (!Ed25519PublicKey.TryImport(key.PublicKey, out var imported)) throw new InvalidOperationException("a generated key imports");
        publicKey = imported;
        message = System.Text.Encoding.UTF8.GetBytes(NoteBenchmarks.CheckpointText());
        signature = key.Sign(message);
    }

    [Benchmark]
    public bool Verify() => publicKey.Verify(message, signature);
}
