using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>src/Merkle/Rfc6962.cs: the two hashes of RFC 6962 §2.1. Both must allocate nothing.</summary>
[MemoryDiagnoser]
public class Rfc6962Benchmarks
{
    private byte[] entry = [];
    private Hash left, right;

    [GlobalSetup]
    public void Setup()
    {
        entry = Data.Entries(1)[0];
        left = Rfc6962.HashLeaf("left"u8);
        right = Rfc6962.HashLeaf("right"u8);
    }

    /// <summary>SHA-256(0x00 || 300-byte entry): 301 bytes hashed.</summary>
    [Benchmark]
    public Hash HashLeaf() => Rfc6962.HashLeaf(entry);

    /// <summary>SHA-256(0x01 || left || right): 65 bytes hashed.</summary>
    [Benchmark]
    public Hash HashChildren() => Rfc6962.HashChildren(left, right);
}
