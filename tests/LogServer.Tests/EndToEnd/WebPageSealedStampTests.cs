using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Tests.Api;
using static Attest.Tests.Shared.VerificationPage;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>
/// Sealed stamps on the verification page (Debian's headless chromium, tests/interop/web/page.mjs): a revealed stamp's
/// content is hashed in the browser and compared with the hash logged when it was sealed; a mismatch fails.
/// </summary>
public sealed class WebPageSealedStampTests(SealedStampFixture fixture) : IClassFixture<SealedStampFixture>
{
    private static readonly string[] SealedChecks = ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "reveal", "anchor"];

    private async Task<(string Id, string Content, long Until)> Revealed()
    {
        string content = "The winner will be\n\"Ærøskøbing\" 🎓 " + Guid.NewGuid();
        var (stamp, until) = await fixture.Seal(content, "page title");
        await SealedStampFixture.WaitPast(until);
        var (status, body) = await fixture.Client.Post($"v1/stamps/{stamp.Str("id")}/reveal", null, key: fixture.ApiKey);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return (stamp.Str("id"), content, until);
    }

    [Fact]
    public async Task a_revealed_sealed_stamp_shows_its_content_verified_in_the_browser_against_its_sealed_hash()
    {
        var (id, content, until) = await Revealed();
        var r = (await RunPage(fixture.Server, "search", id)).GetProperty("result");
        Assert.Equal("STAMPED", r.Str("verdict"));
        AssertChecks(r, SealedChecks, failed: [], skipped: ["anchor"]);
        Assert.Contains("computed here, is the sealed", Detail(r, "reveal"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(until).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), r.GetProperty("facts").Str("sealed_until"));
        Assert.False(string.IsNullOrEmpty(r.GetProperty("facts").Str("revealed_at")));
        Assert.Contains(content, r.Str("text"));
        Assert.DoesNotContain("page title", r.Str("text"));
    }

    [Fact]
    public async Task a_sealed_stamp_not_yet_revealed_shows_until_when_and_no_content()
    {
        string content = "still sealed " + Guid.NewGuid();
        long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        var (status, stamp) = await fixture.Client.Post("v1/stamps", new { content, visibility = "sealed", sealed_until = until }, key: fixture.ApiKey);
        Assert.Equal(HttpStatusCode.Created, status);
        var r = (await RunPage(fixture.Server, "search", stamp.Str("id"))).GetProperty("result");
        Assert.Equal("STAMPED", r.Str("verdict"));
        AssertChecks(r, SealedChecks, failed: [], skipped: ["reveal", "anchor"]);
        Assert.Contains("not revealed yet", Detail(r, "reveal"));
        Assert.DoesNotContain(content, r.Str("text"));
    }

    [Fact]
    public async Task an_uploaded_proof_whose_revealed_content_was_edited_or_whose_reveal_is_another_stamps_fails_the_reveal_check()
    {
        var (id, content, _) = await Revealed();
        var (otherId, _, _) = await Revealed();
        var proof = JsonNode.Parse((await fixture.Client.Get($"v1/stamps/{id}/proof", key: null)).Body.GetRawText())!;
        var other = JsonNode.Parse((await fixture.Client.Get($"v1/stamps/{otherId}/proof", key: null)).Body.GetRawText())!;

        // The content edited in the reveal entry (its hash then matches nothing logged).
        var edited = proof.DeepClone();
        edited["reveal"]!["entry"] = edited["reveal"]!["entry"]!.GetValue<string>().Replace("winner", "loser");
        // A genuine, logged reveal, but of another stamp.
        var swapped = proof.DeepClone();
        swapped["reveal"] = other["reveal"]!.DeepClone();

        foreach (var (bundle, reason) in new[] { (edited, "not the checkpoint's root"), (swapped, $"the reveal is of stamp {otherId}") })
        {
            string file = Path.Combine(Path.GetTempPath(), $"attest-sealed-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(file, bundle.ToJsonString());
            try
            {
                var r = (await RunPage(fixture.Server, "bundle", file)).GetProperty("result");
                Assert.Equal("NOT VERIFIED", r.Str("verdict"));
                Assert.Equal(["reveal"], Failed(r));
                Assert.Contains(reason, Detail(r, "reveal"));
                Assert.DoesNotContain("loser", r.Str("text"));
            }
            finally
            {
                File.Delete(file);
            }
        }
    }
}
