using System.Text;

namespace Attest.Merkle.Tests;

public class NoteTests
{
    private static string VectorText(int i) => SignedNoteVectors.Notes.ElementAt(i).GetProperty("text").GetString()!;

    private static string VectorSigned(int i) => SignedNoteVectors.Notes.ElementAt(i).GetProperty("signed").GetString()!;

    private static readonly string SingleSigned = VectorSigned(0);
    private static readonly string DoubleSigned = VectorSigned(1);
    private static readonly NoteVerifier Peter = SignedNoteVectors.Verifier("PeterNeumann");
    private static readonly NoteVerifier Enoch = SignedNoteVectors.Verifier("EnochRoot");

    private static OpenedNote Open(string note, params NoteVerifier[] verifiers) => Note.Open(Encoding.UTF8.GetBytes(note), verifiers);

    private static void Rejected(string note, params NoteVerifier[] verifiers) => Assert.Throws<NoteException>(() => Open(note, verifiers));

    [Fact]
    public void signing_the_vector_text_with_peter_neumanns_key_reproduces_the_signed_note()
    {
        using var signer = SignedNoteVectors.Signer("PeterNeumann");
        Assert.Equal(SingleSigned, Note.Sign(VectorText(0), signer));
    }

    [Fact]
    public void the_single_signature_note_opens_with_peter_neumanns_verifier()
    {
        var note = Open(SingleSigned, Peter);
        Assert.Equal(VectorText(0), note.Text);
        var signature = Assert.Single(note.Verified);
        Assert.Equal(new NoteSignature("PeterNeumann", 0xc74f20a3, "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="), signature);
        Assert.Empty(note.Unknown);
    }

    [Fact]
    public void opening_the_two_signature_note_with_only_peter_neumann_lists_enoch_root_as_unknown()
    {
        var note = Open(DoubleSigned, Peter);
        Assert.Equal(VectorText(1), note.Text);
        Assert.Equal("PeterNeumann", Assert.Single(note.Verified).Name);
        var unknown = Assert.Single(note.Unknown);
        Assert.Equal("EnochRoot", unknown.Name);
        Assert.Equal(0xaf0cfe78u, unknown.KeyId);
    }

    [Fact]
    public void opening_the_two_signature_note_with_both_verifiers_verifies_both()
    {
        var note = Open(DoubleSigned, Enoch, Peter);
        Assert.Equal(["PeterNeumann", "EnochRoot"], note.Verified.Select(s => s.Name));
        Assert.Empty(note.Unknown);
    }

    [Fact]
    public void a_note_with_only_unknown_signatures_is_rejected()
    {
        var e = Assert.Throws<NoteException>(() => Open(DoubleSigned, SignedNoteVectors.Verifier("example.com/foo")));
        Assert.Contains("EnochRoot+af0cfe78", e.Message);
        Rejected(DoubleSigned);
    }

    [Fact]
    public void a_note_signed_by_a_key_that_shares_only_the_name_of_a_known_key_is_rejected()
    {
        var (privateKey, _) = NoteSigner.Generate("PeterNeumann");
        Assert.True(NoteSigner.TryParse(privateKey, out var impostor));
        using (impostor)
        {
            var note = Note.Sign(VectorText(0), impostor!);
            Rejected(note, Peter); // unknown: same name, other key ID
        }
    }

    [Fact]
    public void tampered_text_is_rejected()
    {
        Rejected(SingleSigned.Replace("cryptography", "cryptographY"), Peter);
        Rejected("X" + SingleSigned, Peter);
        Rejected("\n" + SingleSigned, Peter);
    }

    [Fact]
    public void a_tampered_signature_from_a_known_key_is_rejected_even_beside_a_good_one()
    {
        var tampered = SingleSigned.Replace("x08go/ZJ", "x08go/ZK");
        var e = Assert.Throws<NoteException>(() => Open(tampered, Peter));
        Assert.Contains("does not verify", e.Message);

        var doubleTampered = DoubleSigned.Replace("rwz+eBzm", "rwz+eBzn");
        Assert.Single(Open(doubleTampered, Peter).Verified); // Enoch unknown, so unchecked
        Rejected(doubleTampered, Peter, Enoch);
    }

    [Fact]
    public void a_non_canonical_signature_base64_is_rejected()
    {
        // The last character carries two padding bits; "N" sets one, which .NET's decoder would ignore.
        Assert.EndsWith("nAM=\n", SingleSigned);
        Rejected(SingleSigned.Replace("nAM=\n", "nAN=\n"), Peter);
        Rejected(SingleSigned.Replace("nAM=\n", "nAM\n"), Peter);
        Rejected(SingleSigned.Replace("x08go/", "x08go /"), Peter);
    }

    [Fact]
    public void a_missing_final_newline_is_rejected()
    {
        Rejected(SingleSigned[..^1], Peter);
        Rejected(SingleSigned + "\n", Peter);
    }

    [Fact]
    public void a_note_without_a_blank_line_before_its_signatures_is_rejected()
    {
        Rejected(SingleSigned.Replace("is.\n\n", "is.\n"), Peter);
    }

    [Theory]
    [InlineData("— PeterNeumann", "- PeterNeumann")] // hyphen for em dash
    [InlineData("— PeterNeumann", "—PeterNeumann")]
    [InlineData("— PeterNeumann ", "— PeterNeumann  ")]
    [InlineData("— PeterNeumann ", "— PeterNeumann\u00a0")]
    public void malformed_signature_lines_are_rejected(string from, string to)
    {
        Rejected(SingleSigned.Replace(from, to), Peter);
    }

    [Theory]
    [InlineData("\t")]
    [InlineData("\r")]
    [InlineData("\0")]
    public void control_characters_other_than_newline_are_rejected(string control)
    {
        Rejected(SingleSigned.Replace("answer to", "answer" + control + "to"), Peter);
    }

    [Fact]
    public void invalid_utf8_is_rejected()
    {
        var bytes = Encoding.UTF8.GetBytes(SingleSigned);
        bytes[0] = 0xff;
        Assert.Throws<NoteException>(() => Note.Open(bytes, [Peter]));
    }

    [Fact]
    public void a_key_signing_twice_is_read_once_as_go_reads_it()
    {
        var line = SingleSigned[(SingleSigned.LastIndexOf("\n\n", StringComparison.Ordinal) + 2)..];
        Assert.Single(Open(SingleSigned + line, Peter).Verified);
        // A known key's first line decides: a bad copy after a good one is not read, a bad one before a good one fails.
        int at = line.Length - 20; // inside the signature, away from base64's padding bits
        var bad = line[..at] + (line[at] == 'A' ? "B" : "A") + line[(at + 1)..];
        Assert.Single(Open(SingleSigned + bad, Peter).Verified);
        Rejected(SingleSigned[..(SingleSigned.Length - line.Length)] + bad + line, Peter);
        // An unknown key's identical lines count once.
        var enoch = DoubleSigned[DoubleSigned.IndexOf("— EnochRoot", StringComparison.Ordinal)..];
        Assert.Single(Open(DoubleSigned + enoch, Peter).Unknown);
    }

    [Fact]
    public void up_to_100_signatures_are_read_and_more_are_rejected()
    {
        var unknown = new StringBuilder();
        for (int i = 0; i < 99; i++) unknown.Append($"— unknown{i} {Convert.ToBase64String(new byte[68])}\n");
        var hundred = SingleSigned + unknown;
        Assert.Equal(99, Open(hundred, Peter).Unknown.Count);
        Rejected(hundred + $"— unknown99 {Convert.ToBase64String(new byte[68])}\n", Peter);
    }

    [Fact]
    public void a_signature_longer_than_1_kb_of_base64_is_rejected()
    {
        Assert.Single(Open(SingleSigned + $"— big {Convert.ToBase64String(new byte[768])}\n", Peter).Unknown);
        Rejected(SingleSigned + $"— big {Convert.ToBase64String(new byte[771])}\n", Peter);
    }

    [Fact]
    public void a_signature_too_short_for_a_key_id_and_a_signature_is_rejected()
    {
        Rejected(SingleSigned + $"— short {Convert.ToBase64String(new byte[4])}\n", Peter);
    }

    [Fact]
    public void a_note_larger_than_1_mb_is_rejected()
    {
        using var signer = SignedNoteVectors.Signer("PeterNeumann");
        var text = new string('a', Note.MaxSize - 200) + "\n";
        Assert.Equal(text, Open(Note.Sign(text, signer), Peter).Text);
        Rejected(new string('a', Note.MaxSize) + SingleSigned, Peter);
        Assert.Throws<ArgumentException>(() => Note.Sign(new string('a', Note.MaxSize) + "\n", signer));
    }

    [Fact]
    public void text_with_blank_lines_round_trips()
    {
        using var signer = SignedNoteVectors.Signer("PeterNeumann");
        foreach (var text in new[] { "\n", "a\n\nb\n", "a\n\n", "a\n\n— x y\n", "Ognuno sta solo sul cuor della terra\ned è subito sera.\n" })
        {
            Assert.Equal(text, Open(Note.Sign(text, signer), Peter).Text);
        }
    }

    [Fact]
    public void signing_with_two_keys_gives_a_note_both_verify()
    {
        using var peter = SignedNoteVectors.Signer("PeterNeumann");
        var (privateKey, verifierKey) = NoteSigner.Generate("example.com/second");
        Assert.True(NoteSigner.TryParse(privateKey, out var second));
        Assert.True(NoteVerifier.TryParse(verifierKey, out var secondVerifier));
        using (second)
        {
            var note = Note.Sign("hello\n", peter, second!);
            Assert.StartsWith("hello\n\n— PeterNeumann ", note);
            Assert.Equal(2, Open(note, Peter, secondVerifier!).Verified.Count);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("no final newline")]
    [InlineData("tab\there\n")]
    [InlineData("carriage return\r\n")]
    public void signing_rejects_text_that_is_not_note_text(string text)
    {
        using var signer = SignedNoteVectors.Signer("PeterNeumann");
        Assert.Throws<ArgumentException>(() => Note.Sign(text, signer));
    }

    [Fact]
    public void signing_rejects_invalid_unicode_no_signers_and_repeated_signers()
    {
        using var signer = SignedNoteVectors.Signer("PeterNeumann");
        Assert.Throws<ArgumentException>(() => Note.Sign("lone \ud800 surrogate\n", signer));
        Assert.Throws<ArgumentException>(() => Note.Sign("text\n"));
        Assert.Throws<ArgumentException>(() => Note.Sign("text\n", signer, signer));
    }

    [Fact]
    public void two_verifiers_with_one_name_and_key_id_are_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => Open(SingleSigned, Peter, SignedNoteVectors.Verifier("PeterNeumann")));
    }
}
