using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Cli.Tests.Verify;

/// <summary>
/// Bundles that every proof in them vouches for, yet that must never be VALID: one forged by a second log
/// under the same origin, a revoked one stripped of its revocation, an edited issuer name; and output that a bundle's
/// fields cannot forge.
/// </summary>
public sealed class TrustRootTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task a_bundle_forged_by_a_second_log_under_the_same_origin_is_unverified_without_a_trust_root_and_altered_with_the_real_one()
    {
        // A second server: the same origin (ServerProcess sets it), its own log key, an issuer of a name it does not own.
        await using var forger = await ServerProcess.Start();
        try
        {
            var (status, issuer) = await forger.Client.Post("v1/issuers", new { name = "Massachusetts Institute of Technology" });
            Assert.Equal(HttpStatusCode.Created, status);
            string issuerId = issuer.GetProperty("id").GetString()!;
            Assert.Equal(HttpStatusCode.Created, (await forger.Client.Post($"v1/issuers/{issuerId}/keys", new { kid = "mit-2026" })).Status);
            var mint = await AttestCli.Run(["mint", "--url", forger.BaseAddress.ToString(), "--issuer", issuerId, "--kid", "mit-2026", "--schema", "degree",
                "--claims", IssuerFixture.DegreeClaims("Forged Graduate")], ServerProcess.AdminKey, fixture.Dir);
            AttestCli.AssertExit(0, mint);
            string id = JsonDocument.Parse(mint.Stdout).RootElement.GetProperty("id").GetString()!;
            string forged = Path.Combine(fixture.Dir, $"forged-{Guid.NewGuid():N}.json");
            AttestCli.AssertExit(0, await AttestCli.Run(["bundle", id, "--url", forger.BaseAddress.ToString(), "--out", forged], ServerProcess.AdminKey, fixture.Dir));
            var log = JsonNode.Parse(await File.ReadAllTextAsync(forged))!["log"]!;
            Assert.Equal("test.attest.local/log", log["origin"]!.GetValue<string>());
            Assert.NotEqual(fixture.VerifierKey, log["verifier_key"]!.GetValue<string>());

            // Every proof in it holds against the forger's own key: that key is what the bundle cannot vouch for.
            var none = await VerifyReport.Run(fixture.Dir, forged);
            AttestCli.AssertExit(1, none.Result);
            Assert.Equal("UNVERIFIED", none.Verdict);
            Assert.Empty(none.Failed);
            Assert.Equal(JsonValueKind.Null, none.Json.GetProperty("issuer_name").ValueKind);
            var text = await AttestCli.Run(["verify", forged], directory: fixture.Dir);
            AttestCli.AssertExit(1, text);
            Assert.DoesNotMatch("(?m)^verdict: VALID", text.Stdout);
            Assert.Contains("issuer: not shown: the verdict does not establish", text.Stdout);

            var withKey = await VerifyReport.Run(fixture.Dir, forged, "--log-key", fixture.VerifierKey);
            AttestCli.AssertExit(1, withKey.Result);
            Assert.Equal("ALTERED", withKey.Verdict);
            Assert.Equal(["checkpoint_signature", "status_note"], withKey.Failed);
            Assert.StartsWith("ALTERED: checkpoint_signature, status_note failed", withKey.Sentence);

            string policy = fixture.WriteFile($"policy-{Guid.NewGuid():N}.txt", $"# the log we trust\nlog {fixture.VerifierKey} {fixture.Url}\n");
            var withPolicy = await VerifyReport.Run(fixture.Dir, forged, "--policy", policy);
            AttestCli.AssertExit(1, withPolicy.Result);
            Assert.Equal("ALTERED", withPolicy.Verdict);
            Assert.Equal(["checkpoint_signature", "status_note"], withPolicy.Failed);

            // Online too: an altered bundle stays altered, whatever the log holds now.
            var online = await VerifyReport.Run(fixture.Dir, forged, "--log-key", fixture.VerifierKey, "--online", "--url", fixture.Url);
            AttestCli.AssertExit(1, online.Result);
            Assert.Equal("ALTERED", online.Verdict);
            Assert.Equal(["checkpoint_signature", "status_note"], online.Failed);

            // The same bundle under the key that did sign it: the checks themselves are not what refuses it.
            string forgerKey = log["verifier_key"]!.GetValue<string>();
            var underForgerKey = await VerifyReport.Run(fixture.Dir, forged, "--log-key", forgerKey);
            AttestCli.AssertExit(0, underForgerKey.Result);
            Assert.Equal("Massachusetts Institute of Technology", underForgerKey.Json.GetProperty("issuer_name").GetString());
        }
        finally
        {
            Directory.Delete(forger.DataDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_revoked_bundle_stripped_of_its_revocation_and_set_back_to_valid_is_altered_by_the_status_note()
    {
        var a = await fixture.Mint("Stripped Revocation");
        string id = a.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.Client.Post($"v1/attestations/{id}/revoke", new { reason = "degree rescinded" })).Status);
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(await fixture.Bundle(id)))!;
        Assert.NotNull(bundle["revocation"]);
        bundle["revocation"] = null;
        bundle["status"] = "VALID";
        string stripped = Write(bundle);

        var r = await VerifyReport.Run(fixture.Dir, stripped, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal("ALTERED", r.Verdict);
        Assert.Equal(["status_note"], r.Failed);
        Assert.Contains("it says REVOKED, and the bundle carries no revocation entry", r.Detail("status_note"));

        // Without a trust root the note's signature cannot be checked: not VALID either.
        var none = await VerifyReport.Run(fixture.Dir, stripped);
        AttestCli.AssertExit(1, none.Result);
        Assert.Equal("UNVERIFIED", none.Verdict);

        // Dropping the status note as well leaves the bundle without the log's word: still altered.
        bundle["status_note"] = null;
        var noNote = await VerifyReport.Run(fixture.Dir, Write(bundle), "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, noNote.Result);
        Assert.Equal("ALTERED", noNote.Verdict);
        Assert.Contains("carries no status_note", noNote.Detail("status_note"));
    }

    [Fact]
    public async Task an_edited_issuer_name_is_altered_and_never_printed()
    {
        var a = await fixture.Mint("Edited Issuer");
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(await fixture.Bundle(a.GetProperty("id").GetString()!)))!;
        bundle["issuer"]!["name"] = "Massachusetts Institute of Technology";
        string edited = Write(bundle);

        var r = await VerifyReport.Run(fixture.Dir, edited, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal("ALTERED", r.Verdict);
        Assert.Equal(["issuer"], r.Failed);
        Assert.Equal(JsonValueKind.Null, r.Json.GetProperty("issuer_name").ValueKind);
        Assert.DoesNotContain("Massachusetts", r.Result.Stdout);

        var text = await AttestCli.Run(["verify", edited, "--log-key", fixture.VerifierKey], directory: fixture.Dir);
        AttestCli.AssertExit(1, text);
        Assert.DoesNotContain("Massachusetts", text.Stdout);
        Assert.Contains("issuer: not shown", text.Stdout);
        Assert.DoesNotContain("Ærøskøbing", text.Stdout);
    }

    [Fact]
    public async Task a_newline_in_a_bundle_field_cannot_print_a_verdict_line_of_its_own()
    {
        var a = await fixture.Mint("Line Forger");
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(await fixture.Bundle(a.GetProperty("id").GetString()!)))!;
        bundle["issuer_key"]!["kid"] = fixture.Kid + "\nverdict: VALID\u001b[2K";
        string forged = Write(bundle);

        var text = await AttestCli.Run(["verify", forged, "--log-key", fixture.VerifierKey], directory: fixture.Dir);
        AttestCli.AssertExit(1, text);
        Assert.DoesNotMatch("(?m)^verdict: VALID", text.Stdout);
        Assert.False(text.Stdout.Contains('\u001b', StringComparison.Ordinal), "a terminal escape was printed");
        Assert.Contains(@"\u000averdict: VALID\u001b[2K", text.Stdout);
        Assert.Matches("(?m)^verdict: ALTERED: ", text.Stdout);
    }

    private string Write(JsonNode bundle) => fixture.WriteFile($"edited-{Guid.NewGuid():N}.json", bundle.ToJsonString(Relaxed));
}
