using System.Text;
using System.Text.Json;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Tests.Shared;

/// <summary>
/// The verification page (GET /) as a person sees it: Debian's headless chromium driven by npm playwright-core
/// (tests/interop/web/page.mjs), and what the page shows, checked against docs/VERIFYING.md and src/Verification.
/// </summary>
public static class VerificationPage
{
    /// <summary>docs/VERIFYING.md "Checks" of an attestation bundle, in order, under a log key (no witnesses).</summary>
    public static readonly string[] AttestationChecks =
    [
        "payload_signature", "payload_key", "log_entry", "issuer", "inclusion", "checkpoint_signature", "witness_quorum", "key_events", "key_status",
        "status_note", "revocation", "superseded", "anchor", "anchor_chain", "document", "consistency", "freshness",
    ];

    /// <summary>What an offline verifier of a bundle without an anchor cannot check.</summary>
    public static readonly string[] OfflineSkips = ["witness_quorum", "anchor", "anchor_chain", "document", "consistency", "freshness"];

    /// <summary>Runs <c>node page.mjs</c> against the server; the page must have raised no script error or CSP violation.</summary>
    public static async Task<JsonElement> RunPage(ServerProcess server, string action, string? argument, params string[] options)
    {
        string folder = ExternalTools.Interop("web");
        if (!File.Exists("/usr/bin/chromium"))
            throw new Xunit.Sdk.XunitException("chromium is missing at /usr/bin/chromium: the page tests need Debian's chromium (apt-get install chromium; scripts/test installs it)");
        await ExternalTools.NpmCi(folder, "playwright-core");
        string[] args = ["page.mjs", server.BaseAddress.ToString(), action, .. argument is null ? Array.Empty<string>() : [argument], .. options];
        var run = await ExternalTools.Run("node", args, folder, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"the page driver failed: {run}");
        JsonElement seen;
        try
        {
            seen = JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"the page driver did not print one JSON line ({e.Message}): {run}");
        }
        Assert.True(seen.GetProperty("errors").GetArrayLength() == 0, $"the page raised errors: {seen.GetProperty("errors")}");
        return seen;
    }

    public static string[] Failed(JsonElement result) => [.. result.GetProperty("failed").EnumerateArray().Select(f => f.GetString()!)];

    public static string Detail(JsonElement result, string check) =>
        result.GetProperty("checks").EnumerateArray().Single(c => c.Str("name") == check).Str("detail");

    public static void AssertChecks(JsonElement result, string[] expected, string[] failed, string[] skipped)
    {
        var checks = result.GetProperty("checks").EnumerateArray().Select(c => (Name: c.Str("name"), Result: c.Str("result"), Detail: c.Str("detail"))).ToList();
        Assert.Equal(expected, checks.Select(c => c.Name).ToArray());
        foreach (var (name, outcome, detail) in checks)
        {
            string want = failed.Contains(name) ? "fail" : skipped.Contains(name) ? "skip" : "pass";
            Assert.True(outcome == want, $"check {name} is {outcome}, expected {want}: {detail}\n{result.Str("text")}");
        }
        Assert.Equal(failed.Order(), Failed(result).Order());
    }

    /// <summary>The page and <see cref="BundleVerifier"/> (the CLI's and the server's verifier) reach the same verdict by the same checks.</summary>
    public static void AssertAgreesWithBundleVerifier(string bundleText, string trustRoot, JsonElement page)
    {
        var trust = NoteVerifier.TryParse(trustRoot.Trim(), out var key) ? TrustPolicy.OfLogKey(key!) : TrustPolicy.Parse(trustRoot);
        var report = BundleVerifier.Verify(ProofBundle.Parse(Encoding.UTF8.GetBytes(bundleText)), trust, null);
        static string Word(Outcome o) => o switch { Outcome.Pass => "pass", Outcome.Fail => "fail", _ => "skip" };
        Assert.Equal(report.Verdict, page.Str("verdict"));
        Assert.Equal(
            report.Checks.Select(c => $"{c.Name} {Word(c.Outcome)}"),
            page.GetProperty("checks").EnumerateArray().Select(c => $"{c.Str("name")} {c.Str("result")}"));
    }
}
