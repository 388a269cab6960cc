using System.Text;

namespace Attest.Merkle.Tests;

/// <summary>
/// The checkpoints of tests/testdata/tessera-log (transparency-dev/tessera testdata/log), signed by Go's sumdb/note
/// with the key in tests/testdata/README.md: ours must read them and sign their bodies to the same bytes.
/// </summary>
public class TesseraCheckpointSignatureTests
{
    private const string PrivateKey = "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg";
    private const string VerifierKey = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

    public static TheoryData<string> Files => ["checkpoint", .. Enumerable.Range(0, 16).Select(n => $"checkpoint.{n}")];

    [Theory]
    [MemberData(nameof(Files))]
    public void each_checkpoint_opens_parses_and_re_signs_to_the_same_bytes(string file)
    {
        var bytes = File.ReadAllBytes(TestData.PathOf("tessera-log", file));
        Assert.True(NoteVerifier.TryParse(VerifierKey, out var verifier));
        Assert.True(NoteSigner.TryParse(PrivateKey, out var signer));
        using (signer)
        {
            var note = Note.Open(bytes, [verifier!]);
            Assert.Equal("example.com/log/testdata", Assert.Single(note.Verified).Name);
            Assert.Empty(note.Unknown);

            Assert.True(Checkpoint.TryParse(note.Text, out var checkpoint));
            Assert.Equal("example.com/log/testdata", checkpoint!.Origin);
            Assert.Equal(file == "checkpoint" ? 15 : long.Parse(file["checkpoint.".Length..]), checkpoint.Size);
            Assert.Empty(checkpoint.Extensions);
            Assert.Equal(note.Text, checkpoint.Format());

            Assert.Equal(bytes, Encoding.UTF8.GetBytes(Note.Sign(checkpoint.Format(), signer!)));
        }
    }

    [Fact]
    public void the_empty_tree_checkpoint_has_the_sha256_of_nothing_as_its_root()
    {
        var note = Note.Open(File.ReadAllBytes(TestData.PathOf("tessera-log", "checkpoint.0")), [Verifier()]);
        Assert.True(Checkpoint.TryParse(note.Text, out var checkpoint));
        Assert.Equal(new Hash(System.Security.Cryptography.SHA256.HashData([])), checkpoint!.Root);
    }

    [Fact]
    public void a_checkpoint_signed_by_another_log_key_is_rejected()
    {
        var bytes = File.ReadAllBytes(TestData.PathOf("tessera-log", "checkpoint.7"));
        Assert.True(NoteVerifier.TryParse(SignedNoteVectors.VerifierKey("example.com/foo"), out var other));
        Assert.Throws<NoteException>(() => Note.Open(bytes, [other!]));
    }

    [Fact]
    public void a_checkpoint_with_a_changed_size_no_longer_verifies()
    {
        var text = File.ReadAllText(TestData.PathOf("tessera-log", "checkpoint.7")).Replace("\n7\n", "\n8\n");
        Assert.Throws<NoteException>(() => Note.Open(Encoding.UTF8.GetBytes(text), [Verifier()]));
    }

    private static NoteVerifier Verifier()
    {
        Assert.True(NoteVerifier.TryParse(VerifierKey, out var verifier));
        return verifier!;
    }
}
