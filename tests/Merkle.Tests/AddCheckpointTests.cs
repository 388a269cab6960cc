using System.Text;

namespace Attest.Merkle.Tests;

/// <summary>The request and 409 bodies of c2sp.org/tlog-witness add-checkpoint.</summary>
public class AddCheckpointTests
{
    // The spec's example request body, verbatim.
    private const string SpecExample =
        "old 20852014\n" +
        "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" +
        "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n" +
        "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n" +
        "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n" +
        "\n" +
        "example.com/behind-the-sofa\n" +
        "20852163\n" +
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n" +
        "\n" +
        "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n" +
        "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";

    private static string Checkpoint => SpecExample[SpecExample.IndexOf("example.com", StringComparison.Ordinal)..];

    private static bool Parses(string body) => AddCheckpoint.TryParse(Encoding.UTF8.GetBytes(body), out _);

    [Fact]
    public void the_spec_example_body_parses_into_its_old_size_four_proof_hashes_and_the_signed_checkpoint()
    {
        Assert.True(AddCheckpoint.TryParse(Encoding.UTF8.GetBytes(SpecExample), out var request));
        Assert.Equal(20852014, request!.OldSize);
        Assert.Equal(4, request.Proof.Length);
        Assert.Equal("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=", request.Proof[0].ToBase64());
        Assert.Equal("/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=", request.Proof[3].ToBase64());
        Assert.Equal(Checkpoint, Encoding.UTF8.GetString(request.SignedCheckpoint));
    }

    [Fact]
    public void formatting_the_parsed_example_gives_back_the_same_bytes()
    {
        Assert.True(AddCheckpoint.TryParse(Encoding.UTF8.GetBytes(SpecExample), out var r));
        Assert.Equal(SpecExample, AddCheckpoint.Format(r!.OldSize, r.Proof, Encoding.UTF8.GetString(r.SignedCheckpoint)));
    }

    [Fact]
    public void an_old_size_of_zero_with_no_proof_lines_parses()
    {
        Assert.True(AddCheckpoint.TryParse(Encoding.UTF8.GetBytes("old 0\n\n" + Checkpoint), out var r));
        Assert.Equal(0, r!.OldSize);
        Assert.Empty(r.Proof);
    }

    [Theory]
    [InlineData("old 020852014\n")] // leading zero
    [InlineData("old -1\n")]
    [InlineData("old +5\n")]
    [InlineData("old  5\n")]
    [InlineData("Old 5\n")]
    [InlineData("old 5 \n")]
    [InlineData("old 99999999999999999999\n")] // beyond a long
    [InlineData("old\n")]
    [InlineData("old 5\r\n")]
    [InlineData("")]
    public void a_malformed_old_size_line_is_refused(string oldLine) => Assert.False(Parses(oldLine + "\n" + Checkpoint));

    [Theory]
    [InlineData("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n")] // unpadded
    [InlineData("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkax=\n")] // non-zero padding bits
    [InlineData("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\r\n")]
    [InlineData(" PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n")]
    [InlineData("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpk==\n")] // 31 bytes
    [InlineData("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n")]
    public void a_malformed_proof_line_is_refused(string proofLine) => Assert.False(Parses("old 5\n" + proofLine + "\n" + Checkpoint));

    [Fact]
    public void sixty_three_proof_lines_parse_and_sixty_four_do_not()
    {
        string Lines(int n) => string.Concat(Enumerable.Repeat("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n", n));
        Assert.True(Parses("old 5\n" + Lines(63) + "\n" + Checkpoint));
        Assert.False(Parses("old 5\n" + Lines(64) + "\n" + Checkpoint));
        Assert.Throws<ArgumentException>(() => AddCheckpoint.Format(5, new Hash[64], Checkpoint));
    }

    [Theory]
    [InlineData("old 5\n")] // no blank line, no checkpoint
    [InlineData("old 5\n\n")] // blank line, no checkpoint
    [InlineData("old 5\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n")]
    public void a_body_without_a_checkpoint_after_the_blank_line_is_refused(string body) => Assert.False(Parses(body));

    [Fact]
    public void the_409_body_is_the_size_and_one_newline()
    {
        Assert.Equal("20852014\n", AddCheckpoint.FormatSize(20852014));
        Assert.True(AddCheckpoint.TryParseSize("0\n"u8, out long size));
        Assert.Equal(0, size);
        Assert.True(AddCheckpoint.TryParseSize("20852014\n"u8, out size));
        Assert.Equal(20852014, size);
        foreach (var bad in new[] { "", "\n", "5", "05\n", "5\n\n", " 5\n", "-1\n", "5\r\n" })
            Assert.False(AddCheckpoint.TryParseSize(Encoding.UTF8.GetBytes(bad), out _), bad);
    }
}
