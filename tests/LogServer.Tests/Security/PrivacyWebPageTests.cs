using System.Text.Json;
using Attest.LogServer.Tests.EndToEnd;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// The verification page under the same rule as the API: a search by id shows a stranger the status and log proofs
/// and says the payload is withheld; the holder's link (<c>?attestation=&amp;holder_token=</c>) shows the claims,
/// verified in the browser, and the token leaves the address bar.
/// </summary>
public sealed class PrivacyWebPageTests(WebPageFixture fixture) : IClassFixture<WebPageFixture>
{
    private static readonly string[] AttestationChecks = VerificationPage.AttestationChecks;

    // A stranger's public part has no payload: its signature and the key it names cannot be checked.
    private static readonly string[] Withheld = ["payload_signature", "payload_key", .. VerificationPage.OfflineSkips];

    [Fact]
    public async Task a_search_by_attestation_id_without_the_holder_token_shows_the_status_and_log_proofs_and_withholds_the_claims()
    {
        var seen = await VerificationPage.RunPage(fixture.Server, "search", fixture.AttestationId);
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        VerificationPage.AssertChecks(r, AttestationChecks, failed: [], skipped: Withheld);
        Assert.Equal("withheld", r.GetProperty("message").Str("kind"));
        Assert.Contains("open the holder's link", r.GetProperty("message").Str("text"));
        Assert.Equal(fixture.AttestationId, r.GetProperty("facts").Str("id"));
        Assert.DoesNotContain("Zoë", r.Str("text"));
        Assert.DoesNotContain("Claims", r.Str("text"));
    }

    [Fact]
    public async Task the_holders_link_shows_the_claims_verified_in_the_browser_and_drops_the_token_from_the_address()
    {
        var seen = await VerificationPage.RunPage(fixture.Server, "open", $"?attestation={fixture.AttestationId}&holder_token={fixture.AttestationToken}");
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        VerificationPage.AssertChecks(r, AttestationChecks, failed: [], skipped: VerificationPage.OfflineSkips);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("message").ValueKind);
        Assert.Contains("Zoë Ñúñez", r.Str("text"));
        Assert.DoesNotContain(fixture.AttestationToken, seen.Str("location"));
        Assert.EndsWith($"?attestation={fixture.AttestationId}", seen.Str("location"));
        // The page sent the token as a header, never in a URL of its own requests.
        Assert.All(seen.GetProperty("requests").EnumerateArray().Skip(1), q => Assert.DoesNotContain(fixture.AttestationToken, q.Str("url")));
    }

    [Fact]
    public async Task a_wrong_holder_token_in_the_link_gets_only_the_public_part_with_a_message_saying_so()
    {
        var r = (await VerificationPage.RunPage(fixture.Server, "open", $"?attestation={fixture.AttestationId}&holder_token=attest_holder_wrong")).GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        VerificationPage.AssertChecks(r, AttestationChecks, failed: [], skipped: Withheld);
        Assert.Contains("does not open this attestation", r.GetProperty("message").Str("text"));
        Assert.DoesNotContain("Zoë", r.Str("text"));
    }
}
