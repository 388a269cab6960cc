using System.Text;
using System.Text.Json;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// The proof bundle's writer beside its parser (src/Verification/ProofBundle.cs): the committed bundles
/// (tests/testdata/bundles/, written by the server as it served them) come back byte for byte from the writer, and
/// what the writer writes parses back to the bundle it was written from, full or public, with every optional part
/// present or absent.
/// </summary>
public sealed class ProofBundleRoundTripTests
{
    private static readonly string Dir = BundleVectors.CommittedDir;

    /// <summary>The bundles the generator fetched from the server and wrote as served (VectorFixture.Fetch), plus a newline.</summary>
    private static readonly string[] Served =
    [
        "good.json", "revoked.json", "superseded.json", "rotated-key.json", "compromised-before-signing.json",
        "compromised-after-signing.json", "revoked-since.json", "not-anchored.json", "forged.json",
    ];

    private static string[] All => [.. BundleVectors.ReadManifest(Dir).Select(v => v.Bundle).Distinct()];

    public static TheoryData<string> ServedBundles() => new(Served);

    /// <summary>Every bundle of the committed set, the edited ones included.</summary>
    public static TheoryData<string> AllBundles() => new(All);

    private static ProofBundle Read(string file) => ProofBundle.Parse(File.ReadAllBytes(Path.Combine(Dir, file)));

    /// <summary>As the server answers: Json.Options, two-space indents and relaxed escaping.</summary>
    private static string Serve(ProofBundle b) => JsonSerializer.Serialize(b, LogServer.Api.Json.Options);

    [Fact]
    public void the_served_list_is_every_committed_bundle_but_the_edited_ones()
    {
        string[] edited = ["edited-issuer.json", "stripped-revocation.json", "wrong-key.json"];
        Assert.Equal(All.Order(), Served.Concat(edited).Order());
    }

    [Theory]
    [MemberData(nameof(ServedBundles))]
    public void writing_a_parsed_served_bundle_gives_back_its_exact_bytes(string file)
    {
        string text = File.ReadAllText(Path.Combine(Dir, file), new UTF8Encoding(false, true));
        Assert.Equal(text, Serve(ProofBundle.Parse(Encoding.UTF8.GetBytes(text))) + "\n");
    }

    [Theory]
    [MemberData(nameof(AllBundles))]
    public void a_written_bundle_parses_back_to_the_bundle_it_was_written_from(string file)
    {
        var bundle = Read(file);
        AssertSame(bundle, ProofBundle.Parse(Encoding.UTF8.GetBytes(Serve(bundle))));
        // The compact form gRPC sends as a Struct reads the same.
        AssertSame(bundle, ProofBundle.Parse(JsonSerializer.SerializeToUtf8Bytes(bundle)));
    }

    [Theory]
    [MemberData(nameof(AllBundles))]
    public void the_public_part_of_a_bundle_is_written_as_public_and_parses_back(string file)
    {
        var bundle = Read(file) with { Payload = default, Signature = "" };
        Assert.True(bundle.IsPublic);
        string text = Serve(bundle);
        using (var doc = JsonDocument.Parse(text))
        {
            Assert.Equal("public", doc.RootElement.GetProperty("access").GetString());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("attestation").ValueKind);
        }
        AssertSame(bundle, ProofBundle.ParsePublic(Encoding.UTF8.GetBytes(text)));
        var e = Assert.Throws<BundleFormatException>(() => ProofBundle.Parse(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(ProofBundle.PublicBundleMessage, e.Message);
    }

    [Fact]
    public void absent_optional_parts_are_written_as_null_and_parse_back_absent()
    {
        var good = Read("good.json");
        var bare = good with
        {
            Anchor = null, Revocation = null, SupersededBy = null, IssuerEntry = null, StatusNote = null,
            IssuerKey = good.IssuerKey with { CreatedAt = null, RotatedAt = null, CompromisedAt = null },
        };
        string text = Serve(bare);
        using (var doc = JsonDocument.Parse(text))
        {
            foreach (string name in new[] { "anchor", "revocation", "superseded_by", "status_note" })
                Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty(name).ValueKind);
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("issuer").GetProperty("log_entry").ValueKind);
        }
        AssertSame(bare, ProofBundle.Parse(Encoding.UTF8.GetBytes(text)));

        var unnumbered = good with { Anchor = good.Anchor! with { Sequence = null } };
        AssertSame(unnumbered, ProofBundle.Parse(Encoding.UTF8.GetBytes(Serve(unnumbered))));
    }

    [Fact]
    public void every_optional_part_present_parses_back_with_strings_that_need_escaping()
    {
        var good = Read("good.json");
        var revoked = Read("revoked.json");
        string odd = "Zoë \u2028 \"q\" \\ \t \u202e 😀 </script>";
        var full = good with
        {
            IssuerName = odd, Status = odd, Revocation = revoked.Revocation, SupersededBy = good.LogEntry with { Entry = odd },
            IssuerKey = good.IssuerKey with { RotatedAt = "2026-12-07T10:00:00.000Z", CompromisedAt = "2026-12-07T11:00:00Z" },
        };
        AssertSame(full, ProofBundle.Parse(Encoding.UTF8.GetBytes(Serve(full))));
        AssertSame(full, ProofBundle.Parse(JsonSerializer.SerializeToUtf8Bytes(full)));
    }

    [Fact]
    public void a_bundle_is_read_only_by_the_strict_parser()
    {
        byte[] good = File.ReadAllBytes(Path.Combine(Dir, "good.json"));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<ProofBundle>(good));
    }

    /// <summary>Field for field; the payload by JSON value, the key's entries by sequence.</summary>
    private static void AssertSame(ProofBundle expected, ProofBundle actual)
    {
        Assert.Equal(expected.Payload.ValueKind, actual.Payload.ValueKind);
        if (!expected.IsPublic) Assert.True(JsonElement.DeepEquals(expected.Payload, actual.Payload), "the payload differs");
        Assert.Equal(expected.IssuerKey.LogEntries, actual.IssuerKey.LogEntries);
        Assert.Equal(Comparable(expected), Comparable(actual));
    }

    private static readonly BundleEntry[] NoEntries = [];

    private static ProofBundle Comparable(ProofBundle b) => b with { Payload = default, IssuerKey = b.IssuerKey with { LogEntries = NoEntries } };
}
