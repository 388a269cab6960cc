using System.Security.Cryptography;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Baselines;

/// <summary>
/// The hashing bound: raw SHA-256 on one core, for the two input sizes a Merkle append hashes (a 301-byte leaf input
/// is within a block of the 300-byte figure; an interior node is 65 bytes). A Merkle append costs one leaf hash plus
/// on average one node hash. Two ways: .NET's <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> (an EVP
/// context per call), and libcrypto's low-level functions as <see cref="Sha256"/> calls them, the bound since the
/// Merkle code hashes that way.
/// </summary>
[MemoryDiagnoser]
public class Sha256Baseline
{
    private readonly byte[] input300 = Data.Entries(1, 300)[0];
    private readonly byte[] input65 = Data.Entries(1, 65)[0];
    private readonly byte[] digest = new byte[32];

    [Benchmark]
    public byte Sha256_300B()
    {
        SHA256.HashData(input300, digest);
        return digest[0];
    }

    [Benchmark]
    public byte Sha256_65B()
    {
        SHA256.HashData(input65, digest);
        return digest[0];
    }

    [Benchmark]
    public byte Sha256Direct_300B()
    {
        Sha256.Hash(input300, digest);
        return digest[0];
    }

    [Benchmark]
    public byte Sha256Direct_65B()
    {
        Sha256.Hash(input65, digest);
        return digest[0];
    }
}
