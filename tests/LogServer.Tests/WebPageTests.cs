using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests;

/// <summary>
/// The verification page end to end: a real server process, Debian's headless chromium driven by npm playwright-core
/// (tests/interop/web/page.mjs), and what the page shows a person. Verification runs in the browser (WebCrypto),
/// so a tampered bundle must fail there, with the failing check named. Fails, never skips, when node, npm or
/// chromium is missing.
/// </summary>
public sealed class WebPageTests(WebPageFixture fixture) : IClassFixture<WebPageFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] AttestationChecks =
        ["bundle_format", "log_key", "signature", "payload", "inclusion", "checkpoint_signature", "issuer_key", "key_status", "revocation", "anchor"];

    [Fact]
    public async Task an_uploaded_good_bundle_passes_every_check_in_the_browser_without_asking_the_server()
    {
        var seen = await UploadBundle(fixture.BundleText);
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: [], skipped: ["anchor"]);
        Assert.Equal(fixture.AttestationId, r.GetProperty("facts").Str("id"));
        Assert.Contains(fixture.IssuerName, r.GetProperty("facts").Str("issuer"));
        Assert.Contains("Not anchored", r.GetProperty("anchor").Str("text"));
        // Verified offline: after the page loaded, the upload made no request at all.
        Assert.DoesNotContain(Requests(seen), q => q.Url.Contains("/v1/attestations") || q.Url.Contains("/v1/verify") || q.Method != "GET");
    }

    /// <summary>(tampering, the checks that must fail, the checks that cannot run for it besides the anchor).</summary>
    public static TheoryData<string, string[], string[]> Tamperings => new()
    {
        { "a changed claim", ["signature", "payload"], [] },
        { "a flipped signature character", ["signature"], [] },
        { "a changed proof hash", ["inclusion"], [] },
        { "a changed checkpoint signature", ["checkpoint_signature"], [] },
        // The key's status is known only from the logged key, which this bundle's key is not.
        { "another issuer public key", ["signature", "issuer_key"], ["key_status"] },
        { "a status claiming revocation", ["revocation"], [] },
        { "another log's verifier key", ["log_key"], [] },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task a_tampered_bundle_fails_in_the_browser_with_the_failing_check_named(string tampering, string[] failing, string[] notRun)
    {
        var bundle = JsonNode.Parse(fixture.BundleText)!;
        Tamper(bundle, tampering);
        var r = (await UploadBundle(bundle.ToJsonString(Relaxed))).GetProperty("result");
        Assert.Equal("NOT VERIFIED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: failing, skipped: ["anchor", .. notRun]);
        // Named for a person too: "Failed: Issuer's signature (signature), …".
        string failedText = r.Str("failedText");
        foreach (string id in failing) Assert.Contains($"({id})", failedText);
        Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("details").Str(failing[0])));
    }

    [Fact]
    public async Task a_file_that_is_not_json_is_refused_with_a_message()
    {
        var r = (await UploadBundle("this is not a bundle")).GetProperty("result");
        Assert.Equal("error", r.GetProperty("message").Str("kind"));
        Assert.Contains("is not JSON", r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task a_dropped_file_is_hashed_in_the_browser_and_found_with_its_earliest_stamp_verified_and_not_uploaded()
    {
        var seen = await Page("drop", fixture.StampedFile);
        var r = seen.GetProperty("result");
        Assert.Equal("STAMPED", r.Str("verdict"));
        AssertChecks(r, ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "anchor"], failed: [], skipped: ["anchor"]);
        Assert.Equal(fixture.ContentHash, r.GetProperty("facts").Str("sha256"));
        Assert.Equal(fixture.FirstStampId, r.GetProperty("facts").Str("id"));
        Assert.Equal("2", r.Str("stampCount"));

        // Only the hash left the browser: one POST /v1/verify {content_hash}, and no request carries the file.
        var requests = Requests(seen);
        var posted = Assert.Single(requests, q => q.Method == "POST");
        Assert.EndsWith("/v1/verify", posted.Url);
        Assert.Equal($"{{\"content_hash\":\"{fixture.ContentHash}\"}}", posted.Body);
        Assert.DoesNotContain(requests, q => q.Body?.Contains(WebPageFixture.FileMarker) == true);
    }

    [Fact]
    public async Task a_chosen_file_nobody_stamped_is_reported_as_not_found()
    {
        string file = Path.Combine(Path.GetTempPath(), $"attest-unstamped-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(4096));
        try
        {
            var r = (await Page("choose", file)).GetProperty("result");
            Assert.Equal("not-found", r.GetProperty("message").Str("kind"));
            Assert.Contains("No stamp of this file", r.GetProperty("message").Str("text"));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))), r.GetProperty("facts").Str("sha256"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task a_search_by_attestation_id_with_the_holder_token_fetches_the_full_proof_bundle_and_verifies_it_in_the_browser()
    {
        var r = (await Page("open", $"?attestation={fixture.AttestationId}&holder_token={fixture.AttestationToken}")).GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: [], skipped: ["anchor"]);
        Assert.Equal(fixture.AttestationId, r.GetProperty("facts").Str("id"));
        Assert.Contains(fixture.IssuerName, r.GetProperty("facts").Str("issuer"));
    }

    [Fact]
    public async Task a_search_by_the_id_of_a_revoked_attestation_shows_it_revoked_with_the_revocation_verified()
    {
        // No holder token: the public part is enough to verify the revocation; the payload's checks cannot run.
        var r = (await Page("search", fixture.RevokedId)).GetProperty("result");
        Assert.Equal("REVOKED", r.Str("verdict"));
        AssertChecks(r, AttestationChecks, failed: [], skipped: ["signature", "payload", "anchor"]);
        Assert.Contains("revoked at", r.GetProperty("details").Str("revocation"));
    }

    [Fact]
    public async Task a_search_by_stamp_id_verifies_the_stamp_proof()
    {
        var r = (await Page("search", fixture.FirstStampId)).GetProperty("result");
        Assert.Equal("STAMPED", r.Str("verdict"));
        AssertChecks(r, ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "anchor"], failed: [], skipped: ["anchor"]);
        Assert.Equal(fixture.ContentHash, r.GetProperty("facts").Str("content_hash"));
        Assert.Equal(fixture.FirstStampIndex.ToString(), r.GetProperty("facts").Str("log_index"));
    }

    [Theory]
    [InlineData("base64")]
    [InlineData("hex")]
    public async Task a_search_by_leaf_hash_finds_the_entry_and_verifies_its_inclusion(string encoding)
    {
        string leaf = encoding == "hex" ? Convert.ToHexStringLower(Convert.FromBase64String(fixture.FirstStampLeaf)) : fixture.FirstStampLeaf;
        var r = (await Page("search", leaf)).GetProperty("result");
        Assert.Equal("IN THE LOG", r.Str("verdict"));
        AssertChecks(r, ["log_key", "leaf_hash", "inclusion", "checkpoint_signature"], failed: [], skipped: []);
        Assert.Equal("stamp/v1", r.GetProperty("facts").Str("type"));
        Assert.Equal(fixture.FirstStampId, r.GetProperty("facts").Str("id"));
        Assert.Equal(fixture.FirstStampIndex.ToString(), r.GetProperty("facts").Str("log_index"));
    }

    [Theory]
    [InlineData("00000000-0000-4000-8000-000000000000", "No attestation and no stamp has the id")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "No log entry has the leaf hash")]
    public async Task a_search_for_something_the_log_does_not_hold_is_reported_as_not_found(string query, string expected)
    {
        var r = (await Page("search", query)).GetProperty("result");
        Assert.Equal("not-found", r.GetProperty("message").Str("kind"));
        Assert.Contains(expected, r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task a_search_for_text_that_is_no_id_or_hash_says_what_to_enter()
    {
        var r = (await Page("search", "<img src=x>")).GetProperty("result");
        Assert.Equal("error", r.GetProperty("message").Str("kind"));
        Assert.Contains("Enter an attestation or stamp id", r.GetProperty("message").Str("text"));
    }

    [Fact]
    public async Task the_log_view_shows_the_latest_checkpoint_with_its_signature_verified_and_the_log_key()
    {
        var (cp, _) = await fixture.Server.Client.Checkpoint();
        var log = (await Page("log", null)).GetProperty("log");
        Assert.Equal("true", log.Str("checkpointVerified"));
        Assert.True(long.Parse(log.Str("checkpointSize")) >= cp.Size, $"the page shows size {log.Str("checkpointSize")}, the log had {cp.Size}");
        Assert.Equal("test.attest.local/log", log.GetProperty("checkpoint").Str("origin"));
        Assert.Equal("test.attest.local/log", log.Str("origin"));
        Assert.Equal((await fixture.Server.Client.Get("v1/log/key", key: null)).Body.Str("verifier_key"), log.Str("verifierKey"));
        Assert.Equal("0", log.Str("anchorsTotal"));
        Assert.Contains("No checkpoint has been anchored yet", log.Str("anchorsText"));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static void Tamper(JsonNode bundle, string tampering)
    {
        switch (tampering)
        {
            case "a changed claim":
                bundle["attestation"]!["payload"]!["claims"]!["honors"] = "summa cum laude (forged)";
                break;
            case "a flipped signature character":
                bundle["attestation"]!["signature"] = Flip(bundle["attestation"]!["signature"]!.GetValue<string>(), 10);
                break;
            case "a changed proof hash":
            {
                var lines = bundle["log_entry"]!["tlog_proof"]!.GetValue<string>().Split('\n');
                int index = Array.FindIndex(lines, l => l.StartsWith("index "));
                Assert.True(lines[index + 1].Length == 44, "the proof has no hash");
                lines[index + 1] = Flip(lines[index + 1], 20);
                bundle["log_entry"]!["tlog_proof"] = string.Join('\n', lines);
                break;
            }
            case "a changed checkpoint signature":
            {
                var lines = bundle["log_entry"]!["tlog_proof"]!.GetValue<string>().Split('\n');
                int line = Array.FindLastIndex(lines, l => l.StartsWith("\u2014 "));
                lines[line] = Flip(lines[line], lines[line].Length - 30);
                bundle["log_entry"]!["tlog_proof"] = string.Join('\n', lines);
                break;
            }
            case "another issuer public key":
                bundle["issuer_key"]!["public_key"] = AttestApi.B64Url(RandomNumberGenerator.GetBytes(32));
                break;
            case "a status claiming revocation":
                bundle["status"] = "REVOKED";
                break;
            case "another log's verifier key":
                bundle["log"]!["verifier_key"] = Attest.Merkle.NoteSigner.Generate("test.attest.local/log").VerifierKey;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tampering), tampering, null);
        }
    }

    private static string Flip(string text, int at) => text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..];

    internal static void AssertChecks(JsonElement result, string[] expected, string[] failed, string[] skipped)
    {
        var checks = result.GetProperty("checks").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(expected, checks.Keys.ToArray());
        foreach (var (id, outcome) in checks)
        {
            string want = failed.Contains(id) ? "fail" : skipped.Contains(id) ? "skip" : "pass";
            Assert.True(outcome == want, $"check {id} is {outcome}, expected {want}: {result.GetProperty("details").GetProperty(id)}\n{result.Str("text")}");
        }
        Assert.Equal(failed.Order(), result.GetProperty("failed").EnumerateArray().Select(f => f.GetString()!).Order());
    }

    private sealed record Request(string Method, string Url, string? Body);

    private static List<Request> Requests(JsonElement seen) =>
        [.. seen.GetProperty("requests").EnumerateArray()
            .Select(q => new Request(q.Str("method"), q.Str("url"), q.GetProperty("body").ValueKind == JsonValueKind.String ? q.Str("body") : null))
            .Where(q => q.Method != "GET" || !IsPageLoad(q.Url))];

    // What every load of the page fetches: the page, its files, the log key, the checkpoint and the anchors.
    private static bool IsPageLoad(string url) =>
        new Uri(url).AbsolutePath is "/" or "/v1/log/key" or "/checkpoint" or "/v1/anchors" || new Uri(url).AbsolutePath.StartsWith("/web/");

    private async Task<JsonElement> UploadBundle(string bundleText)
    {
        string file = Path.Combine(Path.GetTempPath(), $"attest-page-bundle-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, bundleText, new UTF8Encoding(false));
        try
        {
            return await Page("bundle", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private Task<JsonElement> Page(string action, string? argument) => RunPage(fixture.Server, action, argument);

    /// <summary>Runs <c>node page.mjs</c> against the server; the page must have raised no script error or CSP violation.</summary>
    internal static async Task<JsonElement> RunPage(ServerProcess server, string action, string? argument)
    {
        string folder = ExternalTools.Interop("web");
        if (!File.Exists("/usr/bin/chromium"))
            throw new Xunit.Sdk.XunitException("chromium is missing at /usr/bin/chromium: the page tests need Debian's chromium (apt-get install chromium; scripts/test installs it)");
        await ExternalTools.NpmCi(folder, "playwright-core");
        string[] args = argument is null ? ["page.mjs", server.BaseAddress.ToString(), action] : ["page.mjs", server.BaseAddress.ToString(), action, argument];
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
}

/// <summary>One server with an issuer, a valid and a revoked attestation, and a file stamped twice by its hash.</summary>
public sealed class WebPageFixture : IAsyncLifetime
{
    /// <summary>Bytes of the stamped file that must never leave the browser.</summary>
    public const string FileMarker = "attest-web-file-marker-never-uploaded";

    public ServerProcess Server { get; private set; } = null!;

    public string IssuerName { get; } = "Universität Ærøskøbing " + Guid.NewGuid().ToString("N")[..8];

    public string AttestationId { get; private set; } = "";

    public string RevokedId { get; private set; } = "";

    /// <summary>The holder token of <see cref="AttestationId"/>, from its mint.</summary>
    public string AttestationToken { get; private set; } = "";

    public string BundleText { get; private set; } = "";

    public string StampedFile { get; } = Path.Combine(Path.GetTempPath(), $"attest-stamped-{Guid.NewGuid():N}.txt");

    public string ContentHash { get; private set; } = "";

    public string FirstStampId { get; private set; } = "";

    public long FirstStampIndex { get; private set; }

    public string FirstStampLeaf { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.Start();
        var c = Server.Client;
        string issuerId = await c.CreateIssuer(IssuerName);
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var minted = await c.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("Zoë Ñúñez 🎓")));
        (AttestationId, AttestationToken) = (minted.Str("id"), minted.Str("holder_token"));
        RevokedId = (await c.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("Revoked")))).Str("id");
        var (revoked, body) = await c.Post($"v1/attestations/{RevokedId}/revoke", new { reason = "issued in error" });
        Assert.True(revoked == HttpStatusCode.OK, body.GetRawText());

        byte[] content = [.. Encoding.UTF8.GetBytes(FileMarker + "\n"), .. RandomNumberGenerator.GetBytes(64 * 1024)];
        await File.WriteAllBytesAsync(StampedFile, content);
        ContentHash = Convert.ToHexStringLower(SHA256.HashData(content));
        var (status, first) = await c.Post("v1/stamps", new { content_hash = ContentHash });
        Assert.Equal(HttpStatusCode.Created, status);
        (status, _) = await c.Post("v1/stamps", new { content_hash = ContentHash });
        Assert.Equal(HttpStatusCode.Created, status);
        FirstStampId = first.Str("id");
        FirstStampIndex = first.GetProperty("log_index").GetInt64();
        FirstStampLeaf = first.Str("leaf_hash");

        await c.CheckpointCovering(await c.TreeSize());
        using var response = await c.GetAsync($"v1/attestations/{AttestationId}/proof-bundle?holder_token={AttestationToken}");
        BundleText = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, BundleText);
    }

    public async Task DisposeAsync()
    {
        File.Delete(StampedFile);
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>
/// The page with anchoring on: a real EVM node (anvil), the anchor evidence verified in the browser, the transaction
/// linked through the configured explorer template, and the log view's list of anchors.
/// </summary>
public sealed class WebPageAnchorTests
{
    private const string Explorer = "https://explorer.example/{chain_id}/tx/{tx_hash}";

    [Fact]
    public async Task an_anchored_attestation_and_stamp_show_their_verified_anchor_linked_to_the_explorer_and_the_log_view_lists_the_anchors()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Anchor__RpcUrl"] = anvil.RpcUrl,
            ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey,
            ["Attest__Anchor__Interval"] = "00:00:00.2",
            ["Attest__Anchor__Confirmations"] = "1",
            ["Attest__Web__ExplorerTxUrl"] = Explorer,
        });
        var c = server.Client;
        string issuerId = await c.CreateIssuer("Anchored University");
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var minted = await c.Mint(AttestApi.MintBody(issuerId, kid));
        string id = minted.Str("id");
        var stamp = await c.Stamp("anchored on the page " + Guid.NewGuid());

        // Waits only bound a hang: the anchorer anchors every 200 ms once the tree grew.
        for (int i = 0; ; i++)
        {
            var status = (await c.Get("v1/anchors/status", key: null)).Body;
            if (status.GetProperty("anchored_size").GetInt64() > stamp.GetProperty("log_index").GetInt64()) break;
            Assert.True(i < 600, $"no anchor covered entry {stamp.GetProperty("log_index")} in 60 s: {status}\n{server.Output}");
            await Task.Delay(100);
        }
        using var response = await c.GetAsync($"v1/attestations/{id}/proof-bundle?holder_token={minted.Str("holder_token")}");
        string bundleText = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, bundleText);
        var anchor = JsonDocument.Parse(bundleText).RootElement.GetProperty("anchor");
        Assert.Equal(JsonValueKind.Object, anchor.ValueKind);
        string link = $"https://explorer.example/{anchor.GetProperty("chain_id").GetInt64()}/tx/{anchor.Str("tx_hash")}";

        var seen = await WebPageTests.RunPage(server, "open", $"?attestation={id}&holder_token={minted.Str("holder_token")}");
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        WebPageTests.AssertChecks(r, ["bundle_format", "log_key", "signature", "payload", "inclusion", "checkpoint_signature", "issuer_key", "key_status", "revocation", "anchor"], failed: [], skipped: []);
        Assert.Equal("true", r.GetProperty("anchor").Str("verified"));
        Assert.Equal(link, r.GetProperty("anchor").Str("href"));
        Assert.Contains($"eip155:31337 tx {anchor.Str("tx_hash")}", r.GetProperty("anchor").Str("text"));

        var stampSeen = (await WebPageTests.RunPage(server, "search", stamp.Str("id"))).GetProperty("result");
        Assert.Equal("STAMPED", stampSeen.Str("verdict"));
        WebPageTests.AssertChecks(stampSeen, ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "anchor"], failed: [], skipped: []);

        var log = seen.GetProperty("log");
        var anchors = (await c.Get("v1/anchors", key: null)).Body;
        long total = anchors.GetProperty("total").GetInt64();
        Assert.True(long.Parse(log.Str("anchorsTotal")) >= total);
        var rows = log.GetProperty("anchorRows").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        Assert.Contains(rows, row => row.Str("href") == link);

        // A bundle whose anchor calldata was changed fails the anchor check, and only it.
        var tampered = JsonNode.Parse(bundleText)!;
        string calldata = tampered["anchor"]!["calldata"]!.GetValue<string>();
        tampered["anchor"]!["calldata"] = calldata[..40] + (calldata[40] == '0' ? '1' : '0') + calldata[41..];
        string file = Path.Combine(Path.GetTempPath(), $"attest-page-anchor-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, tampered.ToJsonString());
        try
        {
            var bad = (await WebPageTests.RunPage(server, "bundle", file)).GetProperty("result");
            Assert.Equal("NOT VERIFIED", bad.Str("verdict"));
            WebPageTests.AssertChecks(bad, ["bundle_format", "log_key", "signature", "payload", "inclusion", "checkpoint_signature", "issuer_key", "key_status", "revocation", "anchor"], failed: ["anchor"], skipped: []);
            Assert.Contains("calldata", bad.GetProperty("details").Str("anchor"));
            Assert.Equal("false", bad.GetProperty("anchor").Str("verified"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
