using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/TlogProof.cs: the text an HTTP inclusion proof answers with (c2sp.org/tlog-proof), for a proof of 20
/// hashes (a 1,000,000-entry log) and a checkpoint signed by one key. <see cref="FormatUtf8"/> is what the server
/// sends; each of its bytes is garbage the server's collector must take back, once per request.
/// </summary>
[MemoryDiagnoser]
public class TlogProofBenchmarks
{
    private TlogProof proof = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (privateKey, _) = NoteSigner.Generate("bench.attest.local/log");
        if (!NoteSigner.TryParse(privateKey, out var signer)) throw new InvalidOperationException("generated key does not parse");
        using (signer)
            proof = new TlogProof(123_456, [.. Enumerable.Range(0, 20).Select(i => Rfc6962.HashLeaf([(byte)i]))], Note.Sign(NoteBenchmarks.CheckpointText(), signer!), null);
    }

    [Benchmark]
    public byte[] FormatUtf8() => proof.FormatUtf8();

    [Benchmark]
    public string Format() => proof.Format();
}
