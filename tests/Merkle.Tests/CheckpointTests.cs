namespace Attest.Merkle.Tests;

public class CheckpointTests
{
    private const string Root = "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=";

    private static Hash RootHash()
    {
        Assert.True(Hash.TryParseBase64(Root, out var hash));
        return hash;
    }

    [Fact]
    public void format_writes_origin_size_root_and_extension_lines()
    {
        var checkpoint = new Checkpoint("example.com/log", 15, RootHash(), ["ext one", "ext two"]);
        Assert.Equal($"example.com/log\n15\n{Root}\next one\next two\n", checkpoint.Format());
    }

    [Theory]
    [InlineData("example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")]
    [InlineData("example.com/log\n15\n" + Root + "\n")]
    [InlineData("example.com/log\n15\n" + Root + "\nextension\nanother one\n")]
    [InlineData("origin with spaces + plus\n9223372036854775807\n" + Root + "\n")]
    public void parsing_then_formatting_gives_back_the_same_text(string text)
    {
        Assert.True(Checkpoint.TryParse(text, out var checkpoint));
        Assert.Equal(text, checkpoint!.Format());
    }

    [Fact]
    public void parsing_reads_each_field()
    {
        Assert.True(Checkpoint.TryParse($"example.com/log\n15\n{Root}\next\n", out var checkpoint));
        Assert.Equal("example.com/log", checkpoint!.Origin);
        Assert.Equal(15, checkpoint.Size);
        Assert.Equal(RootHash(), checkpoint.Root);
        Assert.Equal(["ext"], checkpoint.Extensions);
    }

    [Theory]
    [InlineData("")]
    [InlineData("example.com/log\n15\n" + Root)] // no final newline
    [InlineData("example.com/log\n15\n" + Root + "\n\n")] // empty extension line
    [InlineData("example.com/log\n15\n")] // two lines
    [InlineData("\n15\n" + Root + "\n")] // empty origin
    [InlineData("example.com/log\r\n15\n" + Root + "\n")]
    [InlineData("example.com\tlog\n15\n" + Root + "\n")]
    [InlineData("example.com/log\n01\n" + Root + "\n")] // leading zero
    [InlineData("example.com/log\n00\n" + Root + "\n")]
    [InlineData("example.com/log\n+15\n" + Root + "\n")]
    [InlineData("example.com/log\n-1\n" + Root + "\n")]
    [InlineData("example.com/log\n 15\n" + Root + "\n")]
    [InlineData("example.com/log\n15 \n" + Root + "\n")]
    [InlineData("example.com/log\n1_5\n" + Root + "\n")]
    [InlineData("example.com/log\n\n" + Root + "\n")]
    [InlineData("example.com/log\n٣\n" + Root + "\n")] // a non-ASCII digit
    [InlineData("example.com/log\n9223372036854775808\n" + Root + "\n")] // long.MaxValue + 1
    [InlineData("example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs\n")] // unpadded
    [InlineData("example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383ct=\n")] // non-zero padding bits
    [InlineData("example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383c=\n")] // 31 bytes
    [InlineData("example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja_1nk427v383cs=\n")] // URL-safe alphabet
    [InlineData("example.com/log\n15\n" + Root + "\next\r\n")]
    public void malformed_checkpoints_are_rejected(string text)
    {
        Assert.False(Checkpoint.TryParse(text, out var checkpoint));
        Assert.Null(checkpoint);
    }

    [Fact]
    public void format_refuses_fields_it_could_not_read_back()
    {
        Assert.Throws<InvalidOperationException>(() => new Checkpoint("", 1, RootHash(), []).Format());
        Assert.Throws<InvalidOperationException>(() => new Checkpoint("a\nb", 1, RootHash(), []).Format());
        Assert.Throws<InvalidOperationException>(() => new Checkpoint("a", -1, RootHash(), []).Format());
        Assert.Throws<InvalidOperationException>(() => new Checkpoint("a", 1, RootHash(), [""]).Format());
        Assert.Throws<InvalidOperationException>(() => new Checkpoint("a", 1, RootHash(), ["x\ny"]).Format());
    }
}
