using System.Security.Cryptography;
using Attest.LogServer.Scitt;
using Attest.LogServer.Storage;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.LogServer;

/// <summary>
/// What <c>GET /v1/log/entries/{index}/receipt</c> computes (src/LogServer/Scitt/Receipts.cs): a COSE receipt of a
/// random entry of a log of <see cref="LogSize"/> entries, beside its parts: the inclusion proof alone and the ES256
/// signature alone (which a receipt no longer pays: its tree's signature is made once per checkpoint).
/// </summary>
[MemoryDiagnoser]
public class ReceiptBenchmarks
{
    public const int LogSize = 1 << 20;
    private LogFixture fixture = null!;
    private ServiceKey key = null!;
    private Receipts receipts = null!;
    private long[] indexes = [];
    private int next;
    private readonly byte[] sigStructure = new byte[160]; // about a receipt's Sig_structure

    [GlobalSetup]
    public void Setup()
    {
        fixture = new LogFixture(8192);
        var records = Data.Entries(8192).Select(e => LogRecord.Encode(e, default)).ToArray();
        fixture.FillAsync(LogSize, records, 8192).GetAwaiter().GetResult();
        fixture.Log.PublishAsync().GetAwaiter().GetResult();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        key = ServiceKey.FromPem(ec.ExportPkcs8PrivateKeyPem(), "bench key");
        receipts = new Receipts(fixture.Log, key, TimeProvider.System);
        indexes = [.. Data.Indexes(1024, LogSize)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        key.Dispose();
        fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public byte[]? Receipt() => receipts.For(indexes[next++ & 1023]);

    [Benchmark]
    public Hash[] InclusionProofOnly() => InclusionProof.Prove(indexes[next++ & 1023], LogSize, fixture.Log.Hashes);

    [Benchmark]
    public byte[] Es256SignatureOnly() => key.Sign(sigStructure);
}
