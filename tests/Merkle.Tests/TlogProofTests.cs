using System.Security.Cryptography;
using System.Text;

namespace Attest.Merkle.Tests;

public class TlogProofTests
{
    private static readonly string SignedCheckpoint = File.ReadAllText(TestData.PathOf("tessera-log", "checkpoint.15"));

    private static Hash H(string s) => new(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static string B64(string s) => H(s).ToBase64();

    // The example of c2sp.org/tlog-proof, verbatim (signatures abbreviated there, so it is only parsed, not opened).
    private const string SpecExample = """
        c2sp.org/tlog-proof@v1
        extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
        index 73894
        gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
        B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
        EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
        RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
        AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

        example.com/fancylog
        109482
        sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

        — example.com/fancylog hI2DJw[...]1roloI=
        — witness1.example mJirIklj[...]qY9v2B/5bg==
        — witness2.example TnKKVHLX[...]xwYwrSjgow==
        — witness3.example S4X82uH5[...]3oEcROGLFQ==

        """;

    [Fact]
    public void format_writes_header_extra_index_hashes_blank_line_and_checkpoint()
    {
        var proof = new TlogProof(10, [H("a"), H("b")], SignedCheckpoint, "extra information"u8.ToArray());
        Assert.Equal(
            $"c2sp.org/tlog-proof@v1\nextra ZXh0cmEgaW5mb3JtYXRpb24=\nindex 10\n{B64("a")}\n{B64("b")}\n\n{SignedCheckpoint}",
            proof.Format());
    }

    [Fact]
    public void format_leaves_out_the_extra_line_without_extra_data()
    {
        Assert.Equal($"c2sp.org/tlog-proof@v1\nindex 0\n\n{SignedCheckpoint}", new TlogProof(0, [], SignedCheckpoint, null).Format());
    }

    [Fact]
    public void format_utf8_counts_a_checkpoint_with_non_ascii_text_in_bytes_not_characters()
    {
        // The spec example's signature lines begin with an em dash: three bytes of UTF-8 for one character.
        string checkpoint = SpecExample[SpecExample.IndexOf("example.com/fancylog")..];
        var proof = new TlogProof(73894, [H("a")], checkpoint, [1, 2, 3]);
        Assert.Equal(Encoding.UTF8.GetBytes($"c2sp.org/tlog-proof@v1\nextra AQID\nindex 73894\n{B64("a")}\n\n{checkpoint}"), proof.FormatUtf8());
    }

    [Theory]
    [InlineData(0, 0, null)]
    [InlineData(5, 2, "")]
    [InlineData(73894, 17, "some extra data")]
    [InlineData(long.MaxValue, 63, "x")]
    public void proofs_round_trip(long index, int hashes, string? extra)
    {
        var proof = new TlogProof(index, [.. Enumerable.Range(0, hashes).Select(i => H(i.ToString()))], SignedCheckpoint,
            extra is null ? null : Encoding.UTF8.GetBytes(extra));
        var text = proof.Format();
        Assert.True(TlogProof.TryParse(text, out var parsed));
        Assert.Equal(index, parsed!.Index);
        Assert.Equal(proof.Proof, parsed.Proof);
        Assert.Equal(SignedCheckpoint, parsed.SignedCheckpoint);
        Assert.Equal(proof.Extra, parsed.Extra);
        Assert.Equal(text, parsed.Format());
    }

    [Fact]
    public void the_spec_example_parses()
    {
        Assert.True(TlogProof.TryParse(SpecExample, out var proof));
        Assert.Equal(73894, proof!.Index);
        Assert.Equal(5, proof.Proof.Count);
        Assert.Equal("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=", proof.Proof[0].ToBase64());
        Assert.StartsWith("age-v1.2.1-darwin-arm64.tar.gz", Encoding.Latin1.GetString(proof.Extra!));
        Assert.StartsWith("example.com/fancylog\n109482\n", proof.SignedCheckpoint);
        Assert.Equal(SpecExample, proof.Format());
    }

    [Fact]
    public void the_checkpoint_inside_a_parsed_proof_opens_and_parses()
    {
        Assert.True(NoteVerifier.TryParse("example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx", out var verifier));
        Assert.True(TlogProof.TryParse(new TlogProof(3, [H("x")], SignedCheckpoint, null).Format(), out var proof));
        var note = Note.Open(Encoding.UTF8.GetBytes(proof!.SignedCheckpoint), [verifier!]);
        Assert.True(Checkpoint.TryParse(note.Text, out var checkpoint));
        Assert.Equal(15, checkpoint!.Size);
    }

    public static TheoryData<string> Malformed
    {
        get
        {
            string a = B64("a"), cp = SignedCheckpoint;
            var data = new TheoryData<string>
            {
                "",
                $"c2sp.org/tlog-proof@v2\nindex 0\n\n{cp}",
                $"C2SP.org/tlog-proof@v1\nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1 \nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\r\nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\n\n\n{cp}", // no index line
                $"c2sp.org/tlog-proof@v1\n{a}\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex \n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 01\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex -1\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex +1\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex  1\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 1 \n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nIndex 1\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 1\r\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nextra YQ\nindex 0\n\n{cp}", // unpadded
                $"c2sp.org/tlog-proof@v1\nextra YR==\nindex 0\n\n{cp}", // non-zero padding bits
                $"c2sp.org/tlog-proof@v1\nextra YQ==\nextra YQ==\nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\nextra YQ==\n\n{cp}", // extra after index
                $"c2sp.org/tlog-proof@v1\nextra\nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n{Convert.ToBase64String(new byte[64])}\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n{a[..^1]}\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n{a} \n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n{a}\r\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n{a}\n", // no blank line, no checkpoint
                $"c2sp.org/tlog-proof@v1\nindex 0\n{a}\n\n", // no checkpoint
                $"c2sp.org/tlog-proof@v1\nindex 0\n{a}\n\n{cp[..^1]}", // checkpoint without final newline
                $"c2sp.org/tlog-proof@v1\nindex 0\n{string.Concat(Enumerable.Repeat(a + "\n", 64))}\n{cp}", // 64 hashes
                $"c2sp.org/tlog-proof@v1\nextra {Convert.ToBase64String(new byte[TlogProof.MaxExtraSize + 3])}\nindex 0\n\n{cp}",
                $"c2sp.org/tlog-proof@v1\nindex 0\n\n{new string('a', Note.MaxSize)}\n",
            };
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void malformed_proofs_are_rejected(string text)
    {
        Assert.False(TlogProof.TryParse(text, out var proof));
        Assert.Null(proof);
    }

    [Fact]
    public void the_largest_extra_data_is_accepted()
    {
        var proof = new TlogProof(0, [], SignedCheckpoint, new byte[TlogProof.MaxExtraSize]);
        Assert.True(TlogProof.TryParse(proof.Format(), out var parsed));
        Assert.Equal(TlogProof.MaxExtraSize, parsed!.Extra!.Length);
    }

    [Fact]
    public void format_refuses_fields_it_could_not_read_back()
    {
        Assert.Throws<InvalidOperationException>(() => new TlogProof(-1, [], SignedCheckpoint, null).Format());
        Assert.Throws<InvalidOperationException>(() => new TlogProof(0, [.. Enumerable.Repeat(H("a"), 64)], SignedCheckpoint, null).Format());
        Assert.Throws<InvalidOperationException>(() => new TlogProof(0, [], "", null).Format());
        Assert.Throws<InvalidOperationException>(() => new TlogProof(0, [], SignedCheckpoint[..^1], null).Format());
        Assert.Throws<InvalidOperationException>(() => new TlogProof(0, [], SignedCheckpoint, new byte[TlogProof.MaxExtraSize + 1]).Format());
    }
}
