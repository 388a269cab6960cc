using Attest.LogServer.Tests.Log;
using Attest.Merkle;
using static Attest.Tests.Shared.VerificationPage;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>
/// A SCITT Signed Statement on the verification page (Debian's headless chromium, tests/interop/web/page.mjs), in the
/// mixed log of <see cref="MixedLogFixture"/>: found by its entry id, its leaf hash and inclusion verified in the
/// browser, and its header shown as it claims (docs/ENTRIES.md "Entry kinds").
/// </summary>
public sealed class WebPageStatementTests(MixedLogFixture fixture) : IClassFixture<MixedLogFixture>
{
    private static readonly string[] LeafChecks = ["log_key", "leaf_hash", "inclusion", "checkpoint_signature"];

    [Fact]
    public async Task a_statement_found_by_its_entry_id_is_in_the_log_and_shows_its_claimed_issuer_subject_and_kid()
    {
        string id = MixedLog.EntryId(fixture.First);
        var r = (await RunPage(fixture.Server, "search", id)).GetProperty("result");
        Assert.Equal("IN THE LOG", r.Str("verdict"));
        AssertChecks(r, LeafChecks, failed: [], skipped: []);
        var facts = r.GetProperty("facts");
        Assert.Equal("SCITT Signed Statement (COSE_Sign1)", facts.Str("type"));
        Assert.Equal(id, facts.Str("id"));
        Assert.Equal(fixture.FirstIndex.ToString(), facts.Str("log_index"));
        Assert.Equal("https://issuer.example", facts.Str("statement_iss"));
        Assert.Equal("pkg:npm/left-pad@1.3.0", facts.Str("statement_sub"));
        Assert.Equal("issuer-key-1", facts.Str("statement_kid"));
        Assert.Equal("ES256", facts.Str("statement_alg"));
        Assert.Equal($"{fixture.First.Length} bytes", facts.Str("statement_size"));
        Assert.False(facts.TryGetProperty("statement_problem", out _));
        // The bytes themselves, in hex, broken into lines.
        Assert.Contains(Convert.ToHexStringLower(fixture.First)[..64], r.Str("text"));
    }

    [Fact]
    public async Task the_json_entry_after_the_statements_is_still_shown_as_its_type_by_its_leaf_hash()
    {
        var r = (await RunPage(fixture.Server, "search", fixture.StampAfter.Str("leaf_hash"))).GetProperty("result");
        Assert.Equal("IN THE LOG", r.Str("verdict"));
        AssertChecks(r, LeafChecks, failed: [], skipped: []);
        Assert.Equal("stamp/v1", r.GetProperty("facts").Str("type"));
        Assert.Equal(fixture.StampAfter.Str("id"), r.GetProperty("facts").Str("id"));
    }

    [Fact]
    public async Task the_second_statement_is_found_by_its_base64_leaf_hash_too()
    {
        var r = (await RunPage(fixture.Server, "search", Rfc6962.HashLeaf(fixture.Second).ToBase64())).GetProperty("result");
        Assert.Equal("IN THE LOG", r.Str("verdict"));
        Assert.Equal("other-key", r.GetProperty("facts").Str("statement_kid"));
        Assert.Equal((fixture.FirstIndex + 1).ToString(), r.GetProperty("facts").Str("log_index"));
    }
}
