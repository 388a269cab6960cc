using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Api;

/// <summary>
/// The public lookups the verification page needs (a log entry by its leaf hash, a stamp's proof by its id) and the
/// page itself as HTTP serves it: real server process, real HTTP.
/// </summary>
public sealed class LookupApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task an_entry_is_found_by_its_leaf_hash_in_hex_or_base64_with_a_tlog_proof_that_verifies()
    {
        var stamp = await Client.Stamp("leaf lookup " + Guid.NewGuid());
        string leafBase64 = stamp.Str("leaf_hash");
        Assert.True(Hash.TryParseBase64(leafBase64, out var leaf));
        await Client.CheckpointCovering(stamp.GetProperty("log_index").GetInt64() + 1);

        foreach (string query in new[] { Uri.EscapeDataString(leafBase64), leaf.ToHex(), leaf.ToHex().ToUpperInvariant() })
        {
            var (status, found) = await Client.Get($"v1/log/entries?leaf_hash={query}", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(stamp.GetProperty("log_index").GetInt64(), found.GetProperty("index").GetInt64());
            Assert.Equal(stamp.Str("entry"), found.Str("entry"));
            Assert.Equal(leafBase64, found.Str("leaf_hash"));
            Assert.Equal((await Client.Get("v1/log/key", key: null)).Body.Str("verifier_key"), found.GetProperty("log").Str("verifier_key"));
            await AssertProves(found.Str("tlog_proof"), found.Str("entry"), stamp.GetProperty("log_index").GetInt64());
        }
    }

    [Fact]
    public async Task every_entry_type_is_indexed_by_its_leaf_hash_not_only_stamps()
    {
        string issuerId = await Client.CreateIssuer("Leaf Index University");
        long size = (await Client.CheckpointCovering(await Client.TreeSize())).Checkpoint.Size;
        // The issuer/v1 entry, read from the log's own entry bundles (c2sp.org/tlog-tiles).
        string? entryText = null;
        long at = -1;
        for (long i = size - 1; i >= 0 && entryText is null; i--)
        {
            string e = await EntryAt(i, size);
            if (e.Contains(issuerId, StringComparison.Ordinal)) (entryText, at) = (e, i);
        }
        Assert.NotNull(entryText);
        var leaf = Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(entryText));
        var (status, found) = await Client.Get($"v1/log/entries?leaf_hash={leaf.ToHex()}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(at, found.GetProperty("index").GetInt64());
        Assert.Contains("\"type\":\"issuer/v1\"", found.Str("entry"));
    }

    [Theory]
    [InlineData("", HttpStatusCode.BadRequest, "missing_parameter")]
    [InlineData("?leaf_hash=abc", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("?leaf_hash=zz00000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("?leaf_hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("?leaf_hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("?leaf_hash=0000000000000000000000000000000000000000000000000000000000000000&leaf_hash=00", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("?leaf_hash=0000000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.NotFound, "not_found")]
    [InlineData("?leaf_hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D", HttpStatusCode.NotFound, "not_found")]
    public async Task a_missing_malformed_or_unknown_leaf_hash_gets_the_json_error(string query, HttpStatusCode status, string code) =>
        Http.AssertError(await Client.Get("v1/log/entries" + query, key: null), status, code);

    [Fact]
    public async Task a_stamp_proof_is_public_and_holds_only_what_the_log_holds()
    {
        string secret = "private " + Guid.NewGuid().ToString("N"); // tags are at most 50 characters
        var (status, stamp) = await Client.Post("v1/stamps", new { content = secret, visibility = "public", display_title = "title " + secret, tags = new[] { "tag" + secret } });
        Assert.Equal(HttpStatusCode.Created, status);
        string id = stamp.Str("id");

        using var response = await Client.GetAsync($"v1/stamps/{id}/proof"); // no API key
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(secret, text);
        Assert.Equal("*", response.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) ? v.Single() : "*");

        var proof = JsonDocument.Parse(text).RootElement;
        Assert.Equal("attest-stamp-proof/v1", proof.Str("format"));
        Assert.Equal(id, proof.GetProperty("stamp").Str("id"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), proof.GetProperty("stamp").Str("content_hash"));
        Assert.Equal(stamp.Str("created_at"), proof.GetProperty("stamp").Str("created_at"));
        Assert.Equal(stamp.Str("entry"), proof.GetProperty("log_entry").Str("entry"));
        Assert.Equal(JsonValueKind.Null, proof.GetProperty("anchor").ValueKind); // no anchoring here: WebPageAnchorTests has it
        await AssertProves(proof.GetProperty("log_entry").Str("tlog_proof"), stamp.Str("entry"), stamp.GetProperty("log_index").GetInt64());
    }

    [Fact]
    public async Task a_stamp_proof_of_an_unknown_or_malformed_id_gets_the_json_error()
    {
        Http.AssertError(await Client.Get($"v1/stamps/{Guid.NewGuid()}/proof", key: null), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Get("v1/stamps/not-a-uuid/proof", key: null), HttpStatusCode.BadRequest, "invalid_id");
    }

    [Fact]
    public async Task the_page_is_served_at_the_root_with_a_strict_content_security_policy_and_nothing_from_elsewhere()
    {
        using var page = await Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        string html = await page.Content.ReadAsStringAsync();

        // Every file the page loads is ours, under /web/, and each is served with its type; none names another host.
        var refs = System.Text.RegularExpressions.Regex.Matches(html, "(?:src|href)=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("/web/app.js", refs);
        Assert.All(refs, r => Assert.StartsWith("/web/", r));
        foreach (string file in new[] { "/web/app.js", "/web/verify.js", "/web/style.css", "/web/icon.svg" })
        {
            using var r = await Client.GetAsync(file);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            string body = await r.Content.ReadAsStringAsync();
            Assert.DoesNotMatch("(?:import|from|url\\()\\s*['\"(]?(?:https?:)?//", body);
            Assert.Equal(file.EndsWith(".js") ? "text/javascript" : file.EndsWith(".css") ? "text/css" : "image/svg+xml", r.Content.Headers.ContentType?.MediaType);
        }

        // Revalidation: the same ETag answers 304.
        using var again = new HttpRequestMessage(HttpMethod.Get, "/web/app.js");
        using var first = await Client.GetAsync("/web/app.js");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var notModified = await Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        Http.AssertError(await Client.Get("web/missing.js", key: null), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task an_explorer_url_template_goes_into_the_page_encoded_and_a_bad_one_stops_the_server_at_start()
    {
        await using (var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Web__ExplorerTxUrl"] = "https://explorer.example/tx/{tx_hash}?chain={chain_id}&a=\"b\"" }))
        {
            string html = await server.Client.GetStringAsync("/");
            Assert.Contains("content=\"https://explorer.example/tx/{tx_hash}?chain={chain_id}&amp;a=&quot;b&quot;\"", html);
        }

        foreach (string bad in new[] { "explorer.example/tx/{tx_hash}", "https://explorer.example/tx/", "javascript:alert({tx_hash})" })
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Web__ExplorerTxUrl"] = bad }));
            Assert.Contains("Attest:Web:ExplorerTxUrl must be an absolute http(s) URL", e.Message);
        }
    }

    private async Task<string> EntryAt(long index, long size)
    {
        long tile = index / 256;
        long width = Math.Min(256, size - tile * 256);
        string path = width == 256 ? $"tile/entries/{FormatTileIndex(tile)}" : $"tile/entries/{FormatTileIndex(tile)}.p/{width}";
        byte[] bundle = await Client.GetByteArrayAsync(path);
        int at = 0;
        for (long i = tile * 256; ; i++)
        {
            int length = (bundle[at] << 8) | bundle[at + 1];
            if (i == index) return Encoding.UTF8.GetString(bundle, at + 2, length);
            at += 2 + length;
        }
    }

    /// <summary>c2sp.org/tlog-tiles: the tile index in groups of three digits, all but the last prefixed with "x".</summary>
    private static string FormatTileIndex(long n)
    {
        var parts = new List<string>();
        do
        {
            parts.Insert(0, (n % 1000).ToString("000"));
            n /= 1000;
        }
        while (n > 0);
        return string.Join('/', parts.Select((p, i) => i < parts.Count - 1 ? "x" + p : p));
    }

    /// <summary>The tlog-proof is for <paramref name="index"/>, its checkpoint is signed by the log, and it includes the entry.</summary>
    private async Task AssertProves(string tlogProof, string entry, long index)
    {
        Assert.True(TlogProof.TryParse(tlogProof, out var proof), tlogProof);
        Assert.Equal(index, proof!.Index);
        var verifier = await Client.LogVerifier();
        var opened = Note.Open(Encoding.UTF8.GetBytes(proof.SignedCheckpoint), [verifier]);
        Assert.True(Checkpoint.TryParse(opened.Text, out var cp));
        Assert.True(InclusionProof.Verify(index, cp!.Size, Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(entry)), [.. proof.Proof], cp.Root));
    }
}
