using Attest.Bench.Merkle;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Baselines;

/// <summary>
/// The signing bound: one libsodium crypto_sign_detached (inside NSec) through <see cref="Ed25519PrivateKey.Sign(ReadOnlySpan{byte}, Span{byte})"/>,
/// of the checkpoint body <see cref="NoteBenchmarks"/> signs and of a 300-byte entry.
/// </summary>
[MemoryDiagnoser]
public class Ed25519Baseline
{
    private Ed25519PrivateKey key = null!;
    private byte[] checkpointBody = [];
    private byte[] entry = [];
    private readonly byte[] signature = new byte[Ed25519.SignatureSize];

    [GlobalSetup]
    public void Setup()
    {
        key = Ed25519PrivateKey.Generate();
        checkpointBody = System.Text.Encoding.UTF8.GetBytes(NoteBenchmarks.CheckpointText());
        entry = Data.Entries(1)[0];
    }

    [GlobalCleanup]
    public void Cleanup() => key.Dispose();

    [Benchmark]
    public byte Sign_CheckpointBody()
    {
        key.Sign(checkpointBody, signature);
        return signature[0];
    }

    [Benchmark]
    public byte Sign_300B()
    {
        key.Sign(entry, signature);
        return signature[0];
    }
}
