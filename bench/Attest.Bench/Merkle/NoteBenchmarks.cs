using System.Text;
using Attest.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench.Merkle;

/// <summary>
/// src/Merkle/Note.cs and Checkpoint.cs: signing a checkpoint as a C2SP signed note with one Ed25519 key, and
/// opening (parsing and verifying) it. Compare with the raw libsodium figures in Baselines/Ed25519Baseline.
/// </summary>
[MemoryDiagnoser]
public class NoteBenchmarks
{
    private NoteSigner signer = null!;
    private NoteVerifier[] verifiers = [];
    private string text = "";
    private byte[] signed = [];

    [GlobalSetup]
    public void Setup()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate("bench.attest.local/log");
        if (!NoteSigner.TryParse(privateKey, out var s) || !NoteVerifier.TryParse(verifierKey, out var v))
            throw new InvalidOperationException("generated keys do not parse");
        signer = s!;
        verifiers = [v!];
        text = CheckpointText();
        signed = Encoding.UTF8.GetBytes(Note.Sign(text, signer));
    }

    /// <summary>The checkpoint body a 1,000,000-entry log signs (the same bytes Baselines/Ed25519Baseline signs raw).</summary>
    public static string CheckpointText() =>
        new Checkpoint("bench.attest.local/log", 1_000_000, Rfc6962.HashLeaf("root"u8), []).Format();

    [GlobalCleanup]
    public void Cleanup() => signer.Dispose();

    [Benchmark]
    public string Sign() => Note.Sign(text, signer);

    [Benchmark]
    public OpenedNote Open() => Note.Open(signed, verifiers);
}
