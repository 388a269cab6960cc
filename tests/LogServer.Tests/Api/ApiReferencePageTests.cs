using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Attest.LogServer.Tests.Api;

/// <summary>
/// The interactive reference at /docs in a real chromium (tests/interop/web/docs.mjs) against a real server: a person
/// pastes an issuer's API key and sends a call from the page; the page loads nothing from anywhere but the server, and
/// its looser policy is its own.
/// </summary>
public sealed class ApiReferencePageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task a_pasted_api_key_stamps_from_the_reference_page_which_loads_nothing_from_elsewhere()
    {
        var client = fixture.Client;
        string issuerId = await client.CreateIssuer("Reference Readers");
        var (status, apiKey) = await client.Post("v1/api-keys", new { issuer_id = issuerId, name = "docs" });
        Assert.Equal(HttpStatusCode.Created, status);
        string key = apiKey.Str("key");

        var seen = await RunDocs(fixture.Server, key);

        var call = seen.GetProperty("call");
        Assert.Equal(201, call.GetProperty("status").GetInt32());
        Assert.Equal("Bearer " + key, call.Str("authorization"));
        // The stamp is the issuer's: its key reads it back, as the page's answer showed it.
        var body = call.GetProperty("body");
        Assert.True(body.GetProperty("success").GetBoolean());
        var (read, stamp) = await client.Get($"v1/stamps/{body.Str("id")}", key);
        Assert.Equal(HttpStatusCode.OK, read);
        Assert.Equal(body.GetProperty("log_index").GetInt64(), stamp.GetProperty("log_index").GetInt64());
        Assert.Equal("Board minutes", stamp.Str("display_title"));

        // The key stays in the page: nothing the browser keeps for the origin holds it.
        Assert.DoesNotContain(seen.GetProperty("stored").EnumerateArray(), item => item.GetString()!.Contains(key, StringComparison.Ordinal));

        var origin = fixture.Server.BaseAddress.GetLeftPart(UriPartial.Authority);
        var requests = seen.GetProperty("requests").EnumerateArray().Select(r => (Url: r.Str("url"), Status: r.GetProperty("status"))).ToList();
        Assert.Contains(requests, r => r.Url.EndsWith("/docs/scalar.js", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Url.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
        foreach (var (url, _) in requests)
            Assert.True(url.StartsWith(origin + "/", StringComparison.Ordinal), $"the reference loaded {url}, which is not on the server");
    }

    [Fact]
    public async Task the_reference_has_a_policy_of_its_own_with_a_nonce_per_load_and_the_other_routes_keep_theirs()
    {
        var client = fixture.Client;
        var (first, firstHtml) = await Page(client, "docs/");
        var (second, _) = await Page(client, "docs/");
        string nonce = Regex.Match(first, "'nonce-([A-Za-z0-9+/=]+)'").Groups[1].Value;
        Assert.NotEqual("", nonce);
        Assert.NotEqual(nonce, Regex.Match(second, "'nonce-([A-Za-z0-9+/=]+)'").Groups[1].Value);
        // Only the page's own scripts run: every script element carries this load's nonce, and none is allowed inline otherwise.
        Assert.All(Regex.Matches(firstHtml, "<script[^>]*>").Select(m => m.Value), tag => Assert.Contains($"nonce=\"{nonce}\"", tag));
        string scripts = Directive(first, "script-src");
        Assert.DoesNotContain("unsafe-inline", scripts);
        Assert.DoesNotContain("unsafe-eval", scripts);
        Assert.Equal("'self'", Directive(first, "connect-src"));
        Assert.Equal("'none'", Directive(first, "default-src"));
        Assert.Equal("'none'", Directive(first, "frame-ancestors"));

        // The looser style-src is the reference's alone: the verification page keeps its policy, the API has none.
        var (page, _) = await Page(client, "");
        Assert.Equal(Attest.LogServer.Api.WebPage.ContentSecurityPolicy, page);
        using var api = await client.GetAsync("v1/log/key");
        Assert.False(api.Headers.Contains("Content-Security-Policy") || api.Content.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task an_address_under_docs_other_than_the_one_document_is_not_found_and_carries_nothing_into_a_page()
    {
        var (status, error) = await fixture.Client.Get("docs/%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", key: null);
        Http.AssertError((status, error), HttpStatusCode.NotFound, "not_found");

        using var response = await fixture.Client.GetAsync("docs/v1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sources = Regex.Matches(await response.Content.ReadAsStringAsync(), "\"url\":\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["openapi/v1.json"], sources);
    }

    private static async Task<(string Policy, string Html)> Page(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        return (response.Headers.GetValues("Content-Security-Policy").Single(), await response.Content.ReadAsStringAsync());
    }

    private static string Directive(string policy, string name) =>
        policy.Split(';', StringSplitOptions.TrimEntries).Single(d => d.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..];

    private static async Task<JsonElement> RunDocs(ServerProcess server, string apiKey)
    {
        string folder = ExternalTools.Interop("web");
        if (!File.Exists("/usr/bin/chromium"))
            throw new Xunit.Sdk.XunitException("chromium is missing at /usr/bin/chromium: the page tests need Debian's chromium (apt-get install chromium; scripts/test installs it)");
        await ExternalTools.NpmCi(folder, "playwright-core");
        var run = await ExternalTools.Run("node", ["docs.mjs", server.BaseAddress.ToString(), apiKey], folder, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"the reference driver failed: {run}");
        JsonElement seen;
        try
        {
            seen = JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"the reference driver did not print one JSON line ({e.Message}): {run}");
        }
        Assert.True(seen.GetProperty("errors").GetArrayLength() == 0, $"the reference page raised errors (a CSP violation among them?): {seen.GetProperty("errors")}");
        return seen;
    }
}
