using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli.Tests.Verify;

/// <summary>
/// <see cref="TrustPolicy.Parse"/>, <see cref="TrustPolicy.Fingerprint"/> and <see cref="StatusNote.TryParse"/> at
/// their edges (src/Verification has no test project of its own; the CLI is its first user).
/// </summary>
public sealed class TrustPolicyTests
{
    private static readonly string Log = NoteSigner.Generate("example.com/log").VerifierKey;
    private static readonly string OtherLog = NoteSigner.Generate("example.com/log").VerifierKey;
    private static readonly string W1 = CosignatureSigner.Generate("w1.example").VerifierKey;
    private static readonly string W2 = CosignatureSigner.Generate("w2.example").VerifierKey;
    private static readonly string W3 = CosignatureSigner.Generate("w3.example").VerifierKey;

    [Fact]
    public void a_policy_reads_comments_tabs_crlf_urls_and_nested_groups()
    {
        var p = TrustPolicy.Parse(
            $"# the logs\r\nlog {Log} https://log.example\r\n\tlog\t{OtherLog}   # a second key\n\n" +
            $"witness a {W1}\nwitness b {W2} https://b.example\nwitness c {W3}\n" +
            "group ab any a b\ngroup top 2 ab c\nquorum top\nanchor required");
        Assert.Equal([Log, OtherLog], p.LogKeys.Select(k => k.ToString()));
        Assert.Equal(["a", "b", "c"], p.Witnesses.Select(w => w.Name));
        Assert.True(p.AnchorRequired);
        var quorum = Assert.IsType<GroupRule>(p.Quorum);
        Assert.Equal("top", quorum.Name);
        Assert.True(quorum.IsMet(new HashSet<string> { "a", "c" }));
        Assert.True(quorum.IsMet(new HashSet<string> { "b", "c" }));
        Assert.False(quorum.IsMet(new HashSet<string> { "a", "b" }));
        Assert.False(quorum.IsMet(new HashSet<string> { "c" }));
    }

    [Fact]
    public void the_defaults_are_no_quorum_and_an_optional_anchor()
    {
        var p = TrustPolicy.Parse($"log {Log}");
        Assert.Null(p.Quorum);
        Assert.False(p.AnchorRequired);
        Assert.Null(TrustPolicy.Parse($"log {Log}\nwitness w {W1}\nquorum none\n").Quorum);
        var all = Assert.IsType<GroupRule>(TrustPolicy.Parse($"log {Log}\nwitness a {W1}\nwitness b {W2}\ngroup g all a b\nquorum g").Quorum);
        Assert.Equal(2, all.Threshold);
        Assert.IsType<WitnessRule>(TrustPolicy.Parse($"log {Log}\nwitness a {W1}\nquorum a").Quorum);
    }

    [Theory]
    [InlineData("", "names no log")]
    [InlineData("# only a comment\n", "names no log")]
    [InlineData("log", "policy line 1: \"log <vkey> [url]\"")]
    [InlineData("log {log} https://x extra", "policy line 1: \"log <vkey> [url]\"")]
    [InlineData("log {log}\nlog {log}", "policy line 2: the log key is named twice")]
    [InlineData("log {w1}", "policy line 1: ")]
    [InlineData("LOG {log}", "policy line 1: unknown statement \"LOG\"")]
    [InlineData("log {log}\nwitness a {w1}\nwitness a {w2}", "policy line 3: \"a\" is defined twice")]
    [InlineData("log {log}\nwitness a {w1}\nwitness b {w1}", "policy line 3: the witness key is named twice")]
    [InlineData("log {log}\nwitness a {w1}\ngroup a any a", "policy line 3: \"a\" is defined twice")]
    [InlineData("log {log}\nwitness a {w1}\ngroup g any a a", "policy line 3: \"a\" is named twice in the group")]
    [InlineData("log {log}\nwitness a {w1}\ngroup g 0 a", "policy line 3: the threshold \"0\"")]
    [InlineData("log {log}\nwitness a {w1}\ngroup g +1 a", "policy line 3: the threshold \"+1\"")]
    [InlineData("log {log}\nwitness a {w1}\ngroup g any", "policy line 3: \"group <name> <k|any|all> <member>...\"")]
    [InlineData("log {log}\nwitness a {w1}\ngroup g any g", "policy line 3: \"g\" is not a witness or group defined above")]
    [InlineData("log {log}\nquorum nobody", "policy line 2: \"nobody\" is not a witness or group defined above")]
    [InlineData("log {log}\nquorum", "policy line 2: \"quorum <name|none>\"")]
    [InlineData("log {log}\nanchor required\nanchor optional", "policy line 3: a second anchor statement")]
    [InlineData("log {log}\nanchor Required", "policy line 2: \"anchor <required|optional>\"")]
    public void a_malformed_policy_is_refused_naming_the_line(string template, string message)
    {
        string text = template.Replace("{log}", Log).Replace("{w1}", W1).Replace("{w2}", W2);
        var e = Assert.Throws<PolicyFormatException>(() => TrustPolicy.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void a_policy_over_64_kib_is_refused()
    {
        string text = $"log {Log}\n" + new string('#', TrustPolicy.MaxBytes);
        Assert.Contains("at most", Assert.Throws<PolicyFormatException>(() => TrustPolicy.Parse(text)).Message);
    }

    [Fact]
    public void the_fingerprint_is_the_first_16_bytes_of_sha256_in_groups_of_four_hex_digits()
    {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2, B.1).
        Assert.Equal("ba78:16bf:8f01:cfea:4141:40de:5dae:2223", TrustPolicy.Fingerprint("abc"));
        Assert.NotEqual(TrustPolicy.Fingerprint(Log), TrustPolicy.Fingerprint(OtherLog));
    }

    private static readonly StatusNote Note = new("example.com/log", 1042, new Hash(new byte[32]), "0b8e0c3e-3a52-4a0e-9d6c-6a1f2b3c4d5e", "VALID", "key-1", "active",
        new DateTimeOffset(2026, 12, 7, 9, 30, 0, TimeSpan.Zero));

    [Fact]
    public void a_status_note_reads_back_what_it_wrote()
    {
        string text = Note.Text();
        Assert.Equal("attest-status/v1\nexample.com/log\n1042\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n0b8e0c3e-3a52-4a0e-9d6c-6a1f2b3c4d5e\nVALID\nkey-1 active\n2026-12-07T09:30:00Z\n", text);
        Assert.True(StatusNote.TryParse(text, out var read));
        Assert.Equal(Note, read);
        // The time is written to the second, in UTC, whatever it was given in.
        var offset = Note with { Time = new DateTimeOffset(2026, 12, 7, 10, 30, 0, 789, TimeSpan.FromHours(1)) };
        Assert.EndsWith("\n2026-12-07T09:30:00Z\n", offset.Text());
    }

    [Theory]
    [InlineData("no final newline")]
    [InlineData("a line more")]
    [InlineData("crlf")]
    [InlineData("header v2")]
    [InlineData("size +1042")]
    [InlineData("size 01042")]
    [InlineData("size -1")]
    [InlineData("root not canonical")]
    [InlineData("root short")]
    [InlineData("id empty")]
    [InlineData("id with a space")]
    [InlineData("status lowercase")]
    [InlineData("status unknown")]
    [InlineData("key status missing")]
    [InlineData("key status unknown")]
    [InlineData("key two spaces")]
    [InlineData("time with fraction")]
    [InlineData("time with offset")]
    [InlineData("time without zone")]
    [InlineData("origin invalid")]
    public void a_status_note_that_is_not_exactly_canonical_is_refused(string edit)
    {
        string[] l = Note.Text()[..^1].Split('\n');
        string Join() => string.Join('\n', l) + "\n";
        string text = edit switch
        {
            "no final newline" => Note.Text()[..^1],
            "a line more" => Note.Text() + "extra\n",
            "crlf" => Note.Text().Replace("\n", "\r\n"),
            _ => null!,
        } ?? (edit switch
        {
            "header v2" => Set(0, "attest-status/v2"),
            "size +1042" => Set(2, "+1042"),
            "size 01042" => Set(2, "01042"),
            "size -1" => Set(2, "-1"),
            "root not canonical" => Set(3, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="),
            "root short" => Set(3, "AAAA"),
            "id empty" => Set(4, ""),
            "id with a space" => Set(4, "a b"),
            "status lowercase" => Set(5, "valid"),
            "status unknown" => Set(5, "EXPIRED"),
            "key status missing" => Set(6, "key-1"),
            "key status unknown" => Set(6, "key-1 revoked"),
            "key two spaces" => Set(6, "key-1  active"),
            "time with fraction" => Set(7, "2026-12-07T09:30:00.000Z"),
            "time with offset" => Set(7, "2026-12-07T10:30:00+01:00"),
            "time without zone" => Set(7, "2026-12-07T09:30:00"),
            "origin invalid" => Set(1, ""),
            _ => throw new ArgumentException(edit),
        });
        Assert.False(StatusNote.TryParse(text, out var note), edit);
        Assert.Null(note);

        string Set(int line, string value)
        {
            l[line] = value;
            return Join();
        }
    }
}
