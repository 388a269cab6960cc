using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Entries;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Entries;

/// <summary>
/// Every entry type of docs/ENTRIES.md, table-driven: an example in its canonical (RFC 8785) bytes parses and encodes
/// back to the same bytes, and the parser refuses the example with any required member missing, any member of the
/// wrong JSON kind, or a member the type does not define.
/// </summary>
public sealed class EntryParsingTests
{
    private const string Uuid = "019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10", Issuer = "0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60";
    private const string Time = "2026-11-23T12:00:00.123Z", PublicKey = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    private const string Sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    // The URL stamp of docs/ENTRIES.md: https://example.com/article, whose page was <html><body>the article</body></html>.
    private const string UrlHash = "632538290468e7a39c06323c9e3ae98f31072d641cbb37ea37917f56bbeb5539";
    private const string SnapshotHash = "a514c3da834ee20dd7c74d44aa24a2ea21d25adc968fb29ad3236a5d4b128558";

    /// <summary>(name, canonical example, the parse-then-encode of its type, members that may be absent).</summary>
    private static readonly Dictionary<string, (string Json, Func<byte[], byte[]> RoundTrip, string[] Optional)> Examples = new()
    {
        ["stamp"] = ($$"""{"content_hash":"{{Sha256}}","created_at":"{{Time}}","id":"{{Uuid}}","type":"stamp/v1"}""",
            b => StampEntry.Parse(b).Encode(), []),
        ["sealed stamp"] = ($$"""{"content_hash":"{{Sha256}}","created_at":"{{Time}}","id":"{{Uuid}}","sealed_until":1781708587,"type":"stamp/v1"}""",
            b => StampEntry.Parse(b).Encode(), ["sealed_until"]),
        ["stamp reveal"] = ($$"""{"content":"test","content_hash":"{{Sha256}}","revealed_at":"{{Time}}","stamp_id":"{{Uuid}}","type":"stamp-reveal/v1"}""",
            b => StampRevealEntry.Parse(b).Encode(), []),
        ["url stamp"] = ($$"""{"content_hash":"{{UrlHash}}","content_type":"url","created_at":"{{Time}}","id":"019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a11","snapshot_sha256":"{{SnapshotHash}}","snapshot_size":37,"type":"stamp/v1"}""",
            b => StampEntry.Parse(b).Encode(), []),
        ["url stamp without snapshot"] = ($$"""{"content_hash":"{{UrlHash}}","content_type":"url","created_at":"{{Time}}","id":"{{Uuid}}","type":"stamp/v1"}""",
            b => StampEntry.Parse(b).Encode(), ["content_type"]),
        ["issuer"] = ($$"""{"created_at":"{{Time}}","id":"{{Issuer}}","name":"Example University","type":"issuer/v1"}""",
            b => IssuerEntry.Parse(b).Encode(), []),
        ["key created"] = ($$"""{"alg":"Ed25519","at":"{{Time}}","event":"created","issuer_id":"{{Issuer}}","kid":"k1","public_key":"{{PublicKey}}","type":"key/v1"}""",
            b => KeyEntry.Parse(b).Encode(), []),
        ["key rotated"] = ($$"""{"alg":"Ed25519","at":"{{Time}}","event":"rotated","issuer_id":"{{Issuer}}","kid":"k2","public_key":"{{PublicKey}}","rotated_from":"k1","type":"key/v1"}""",
            b => KeyEntry.Parse(b).Encode(), []),
        ["key compromised"] = ($$"""{"alg":"Ed25519","at":"{{Time}}","compromised_at":"2026-11-20T00:00:00.000Z","event":"compromised","issuer_id":"{{Issuer}}","kid":"k1","public_key":"{{PublicKey}}","type":"key/v1"}""",
            b => KeyEntry.Parse(b).Encode(), []),
        ["api key created"] = ($$"""{"at":"{{Time}}","event":"created","expires_at":"2027-01-01T00:00:00.000Z","id":"{{Uuid}}","issuer_id":"{{Issuer}}","type":"api-key/v1"}""",
            b => ApiKeyEntry.Parse(b).Encode(), ["expires_at"]),
        ["api key revoked"] = ($$"""{"at":"{{Time}}","event":"revoked","id":"{{Uuid}}","issuer_id":"{{Issuer}}","type":"api-key/v1"}""",
            b => ApiKeyEntry.Parse(b).Encode(), []),
        ["api key credited"] = ($$"""{"at":"{{Time}}","event":"credited","id":"{{Uuid}}","issuer_id":"{{Issuer}}","type":"api-key/v1"}""",
            b => ApiKeyEntry.Parse(b).Encode(), []),
        ["pack activated"] = ($$"""{"at":"{{Time}}","event":"activated","id":"{{Uuid}}","issuer_id":"{{Issuer}}","type":"pack/v1"}""",
            b => PackEntry.Parse(b).Encode(), []),
        ["attestation"] = ($$"""{"created_at":"{{Time}}","id":"{{Uuid}}","issuer_id":"{{Issuer}}","kid":"k1","payload_sha256":"{{Sha256}}","schema":"diploma/v1","signature":"c2lnbmF0dXJl","supersedes":"{{Issuer}}","type":"attestation/v1"}""",
            b => AttestationEntry.Parse(b).Encode(), ["supersedes"]),
        ["revocation"] = ($$"""{"attestation_id":"{{Uuid}}","issuer_id":"{{Issuer}}","revoked_at":"{{Time}}","type":"revocation/v1"}""",
            b => RevocationEntry.Parse(b).Encode(), []),
        ["anchor"] = ($$"""{"block_hash":"0x{{Sha256}}","block_number":12,"block_timestamp":1795435200,"chain_id":31337,"checkpoint":"example.com/log\n5\nAAAA\n\n— example.com/log AAAA\n","from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","root_hash":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","tree_size":5,"tx_hash":"0x{{Sha256}}","type":"anchor/v1"}""",
            b => AnchorEntry.Parse(b).Encode(), []),
    };

    public static TheoryData<string> Types() => [.. Examples.Keys];

    public static TheoryData<string, string> Members()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, example) in Examples)
            foreach (var member in JsonNode.Parse(example.Json)!.AsObject())
                data.Add(name, member.Key);
        return data;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void an_entry_parses_and_encodes_back_to_its_canonical_bytes(string type)
    {
        var bytes = Encoding.UTF8.GetBytes(Examples[type].Json);
        Assert.Equal(bytes, Jcs.Canonicalize(JsonNode.Parse(bytes))); // the example itself is canonical
        Assert.Equal(bytes, Examples[type].RoundTrip(bytes));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void an_entry_is_refused_with_a_member_its_type_does_not_define(string type)
    {
        var entry = JsonNode.Parse(Examples[type].Json)!.AsObject();
        entry["note"] = "x";
        Assert.Throws<EntryFormatException>(() => Examples[type].RoundTrip(JsonSerializer.SerializeToUtf8Bytes(entry)));
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void an_entry_is_refused_without_a_required_member(string type, string member)
    {
        var (json, roundTrip, optional) = Examples[type];
        var entry = JsonNode.Parse(json)!.AsObject();
        entry.Remove(member);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entry);
        if (optional.Contains(member))
            Assert.Equal(Jcs.Canonicalize(entry), roundTrip(bytes));
        else
            Assert.Throws<EntryFormatException>(() => roundTrip(bytes));
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void an_entry_is_refused_with_a_member_of_the_wrong_json_kind(string type, string member)
    {
        var entry = JsonNode.Parse(Examples[type].Json)!.AsObject();
        entry[member] = entry[member]!.GetValueKind() == JsonValueKind.String ? JsonValue.Create(7) : JsonValue.Create("7");
        Assert.Throws<EntryFormatException>(() => Examples[type].RoundTrip(JsonSerializer.SerializeToUtf8Bytes(entry)));
    }

    [Theory]
    [InlineData("issuer", "id")]
    [InlineData("attestation", "issuer_id")]
    [InlineData("attestation", "supersedes")]
    [InlineData("revocation", "attestation_id")]
    public void an_id_is_refused_unless_it_is_a_lowercase_uuid(string type, string member)
    {
        var (json, roundTrip, _) = Examples[type];
        var entry = JsonNode.Parse(json)!.AsObject();
        string id = entry[member]!.GetValue<string>();
        entry[member] = id.ToUpperInvariant();
        var upper = JsonSerializer.SerializeToUtf8Bytes(entry);
        entry[member] = id.Replace("-", "");
        var undashed = JsonSerializer.SerializeToUtf8Bytes(entry);
        Assert.Throws<EntryFormatException>(() => roundTrip(upper));
        Assert.Throws<EntryFormatException>(() => roundTrip(undashed));
    }

    [Theory]
    [InlineData("stamp", "content_hash")]
    [InlineData("attestation", "payload_sha256")]
    public void a_hash_is_refused_unless_it_is_64_lowercase_hex_digits(string type, string member)
    {
        var (json, roundTrip, _) = Examples[type];
        foreach (string wrong in new[] { Sha256.ToUpperInvariant(), Sha256[..62], Sha256 + "00", Sha256[..63] + "g" })
        {
            var entry = JsonNode.Parse(json)!.AsObject();
            entry[member] = wrong;
            Assert.Throws<EntryFormatException>(() => roundTrip(JsonSerializer.SerializeToUtf8Bytes(entry)));
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void an_entry_is_refused_as_any_other_type(string type)
    {
        var bytes = Encoding.UTF8.GetBytes(Examples[type].Json);
        foreach (var (other, example) in Examples)
            if (JsonNode.Parse(example.Json)!["type"]!.GetValue<string>() != JsonNode.Parse(bytes)!["type"]!.GetValue<string>())
                Assert.Throws<EntryFormatException>(() => example.RoundTrip(bytes));
    }

    [Fact]
    public void the_type_of_an_entry_is_one_of_the_known_types_or_null()
    {
        foreach (var (_, example) in Examples)
        {
            using var doc = JsonDocument.Parse(example.Json);
            Assert.Equal(doc.RootElement.GetProperty("type").GetString(), Entry.TypeOf(doc.RootElement));
        }
        foreach (string other in new[] { """{"type":"stamp/v2"}""", """{"type":7}""", """{}""", """["stamp/v1"]""" })
        {
            using var doc = JsonDocument.Parse(other);
            Assert.Null(Entry.TypeOf(doc.RootElement));
        }
    }

    [Theory]
    [InlineData("""{"alg":"Ed25519","at":"t","event":"created","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","kid":"k","public_key":"p","rotated_from":"k0","type":"key/v1"}""")]
    [InlineData("""{"alg":"Ed25519","at":"t","event":"rotated","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","kid":"k","public_key":"p","type":"key/v1"}""")]
    [InlineData("""{"alg":"Ed25519","at":"t","compromised_at":"t","event":"created","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","kid":"k","public_key":"p","type":"key/v1"}""")]
    [InlineData("""{"alg":"Ed25519","at":"t","event":"expired","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","kid":"k","public_key":"p","type":"key/v1"}""")]
    [InlineData("""{"alg":"RS256","at":"t","event":"created","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","kid":"k","public_key":"p","type":"key/v1"}""")]
    public void a_key_event_is_refused_without_exactly_the_members_of_its_event(string json) =>
        Assert.Throws<EntryFormatException>(() => KeyEntry.Parse(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"at":"t","event":"revoked","expires_at":"t","id":"019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","type":"api-key/v1"}""")]
    [InlineData("""{"at":"t","event":"credited","expires_at":"t","id":"019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","type":"api-key/v1"}""")]
    [InlineData("""{"at":"t","credits":5,"event":"credited","id":"019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","type":"api-key/v1"}""")]
    [InlineData("""{"at":"t","event":"activated","id":"019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10","issuer_id":"0d9f3a52-6c1e-4b8f-9a3d-2e5c7f1b4a60","type":"api-key/v1"}""")]
    public void an_api_key_event_is_created_with_an_optional_expiry_or_revoked_or_credited_without_one(string json) =>
        Assert.Throws<EntryFormatException>(() => ApiKeyEntry.Parse(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("\"stamp/v1\"")]
    public void bytes_that_are_not_a_json_object_are_refused(string text) =>
        Assert.Throws<EntryFormatException>(() => StampEntry.Parse(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void the_stamp_example_of_docs_entries_md_is_what_the_stamp_encoder_writes()
    {
        Hash.TryParseHex(Sha256, out var content);
        Assert.Equal(Examples["stamp"].Json, Encoding.UTF8.GetString(new StampEntry(Uuid, content, Time).Encode()));
        Assert.Contains(Examples["stamp"].Json, File.ReadAllText(Path.Combine(ExternalTools.RepoRoot, "docs", "ENTRIES.md")));
    }

    [Fact]
    public void the_url_stamp_example_of_docs_entries_md_is_what_the_stamp_encoder_writes()
    {
        Hash.TryParseHex(UrlHash, out var content);
        Hash.TryParseHex(SnapshotHash, out var snapshot);
        Assert.Equal(UrlHash, Sha256Hex("https://example.com/article"));
        Assert.Equal(SnapshotHash, Sha256Hex("<html><body>the article</body></html>"));
        string encoded = Encoding.UTF8.GetString(new StampEntry("019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a11", content, Time, Url: true, Snapshot: new UrlSnapshot(snapshot, 37)).Encode());
        Assert.Equal(Examples["url stamp"].Json, encoded);
        Assert.Contains(encoded, File.ReadAllText(Path.Combine(ExternalTools.RepoRoot, "docs", "ENTRIES.md")));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("URL")]
    [InlineData("")]
    public void a_stamps_content_type_is_url_or_absent_and_its_snapshot_size_not_negative(string contentType)
    {
        var entry = JsonNode.Parse(Examples["url stamp"].Json)!.AsObject();
        entry["content_type"] = contentType;
        Assert.Throws<EntryFormatException>(() => StampEntry.Parse(JsonSerializer.SerializeToUtf8Bytes(entry)));
        entry["content_type"] = "url";
        entry["snapshot_size"] = -1;
        Assert.Throws<EntryFormatException>(() => StampEntry.Parse(JsonSerializer.SerializeToUtf8Bytes(entry)));
    }

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    /// <summary>docs/ENTRIES.md "Entry kinds": every JSON entry begins with "{", so none can be taken for a statement (0xD2).</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void every_entry_type_encodes_to_bytes_that_begin_with_a_brace_and_are_never_a_statement(string type)
    {
        var encoded = Examples[type].RoundTrip(Encoding.UTF8.GetBytes(Examples[type].Json));
        Assert.Equal((byte)'{', encoded[0]);
        Assert.False(Entry.IsStatement(encoded));
    }

    [Fact]
    public void a_signed_statement_is_a_statement_and_every_entry_parser_refuses_it_with_the_one_format_exception()
    {
        var statement = MixedLog.Statement("https://issuer.example", "artifact");
        Assert.True(Entry.IsStatement(statement));
        Assert.False(Entry.IsStatement([]));
        Assert.False(Entry.IsStatement("{}"u8));
        Assert.All(Examples.Values, e => Assert.Throws<EntryFormatException>(() => e.RoundTrip(statement)));
        // No JSON text begins with 0xD2 (RFC 8259 §2), so a JSON parser refuses a statement outright.
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(statement));
    }
}
