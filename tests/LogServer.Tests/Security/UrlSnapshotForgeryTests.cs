using System.Net;
using Attest.LogServer.Snapshots;
using Attest.LogServer.Tests.Api;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Server-side request forgery through URL snapshots (docs/SECURITY.md "URL snapshots"): an API key names a URL and
/// the server fetches it. Loopback, private, link-local and other non-public addresses, other ports, redirects there
/// and URLs with credentials are refused, and nothing is logged, unless the allow-list names the host.
/// </summary>
public sealed class UrlSnapshotForgeryTests(UrlSnapshotFixture fixture) : IClassFixture<UrlSnapshotFixture>
{
    private static async Task AssertRefused(ServerProcess server, string url, string because)
    {
        long size = await server.Client.TreeSize();
        var response = await server.Client.Post("v1/stamps", new { content = url, content_type = "url", visibility = "public" });
        Http.AssertError(response, (HttpStatusCode)422, "snapshot_failed");
        Assert.True(response.Body.Str("message").Contains(because), response.Body.Str("message"));
        Assert.Equal(size, await server.Client.TreeSize());
        Assert.False((await server.Client.Post("v1/verify", new { content = url }, key: null)).Body.GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task loopback_private_link_local_and_metadata_addresses_are_refused_when_the_allow_list_is_empty()
    {
        // Port 80: only the address can refuse these (a connection attempt would fail otherwise, with another message).
        foreach (string url in new[]
        {
            "http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://0.0.0.0/", "http://2130706433/", "http://127.1/",
            "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/",
            "http://[fd00::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://224.0.0.1/",
            "http://[::]/", "http://name.that.does.not.resolve.invalid/",
        })
            await AssertRefused(fixture.Strict, url + "?n=" + Guid.NewGuid().ToString("N"), "AllowedHosts");
    }

    [Fact]
    public async Task the_page_servers_own_address_is_refused_without_the_allow_list_and_never_reached()
    {
        int before = fixture.Pages.Hits("/page");
        // Its port is not 80 or 443, and its address is loopback: refused either way.
        await AssertRefused(fixture.Strict, fixture.Pages.Url("page"), "ports 80 and 443");
        Assert.Equal(before, fixture.Pages.Hits("/page"));
    }

    [Fact]
    public async Task a_redirect_from_an_allowed_page_to_a_private_address_or_another_port_is_refused()
    {
        int before = fixture.Pages.Hits("/page");
        foreach (string target in new[]
        {
            "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://localhost/",
            // The allowed page server itself under a name the allow-list does not name.
            $"http://localhost:{fixture.Pages.Port}/page",
        })
        {
            string url = fixture.Pages.Url("redirect") + "&to=" + Uri.EscapeDataString(target);
            await AssertRefused(fixture.Allowing, url, target.Contains(':' + fixture.Pages.Port.ToString()) ? "ports 80 and 443" : "AllowedHosts");
        }
        // A redirect to credentials or another scheme is refused too.
        await AssertRefused(fixture.Allowing, fixture.Pages.Url("redirect") + "&to=" + Uri.EscapeDataString($"http://user:pw@127.0.0.1:{fixture.Pages.Port}/page"), "credentials");
        await AssertRefused(fixture.Allowing, fixture.Pages.Url("redirect") + "&to=" + Uri.EscapeDataString("file:///etc/passwd"), "http");
        Assert.Equal(before, fixture.Pages.Hits("/page"));
    }

    [Fact]
    public async Task a_url_with_credentials_or_another_scheme_is_refused_as_invalid_before_anything_is_fetched()
    {
        int before = fixture.Pages.Hits("/page");
        long size = await fixture.Allowing.Client.TreeSize();
        foreach (string url in new[]
        {
            $"http://user:secret@127.0.0.1:{fixture.Pages.Port}/page", $"http://user@127.0.0.1:{fixture.Pages.Port}/page", $"http://@127.0.0.1:{fixture.Pages.Port}/page",
            "ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "example.com", "http://", "http:///path", " http://example.com/",
            "http://example.com/a b", "http://example.com\\@127.0.0.1/", "https://example.com/" + new string('a', 2048),
        })
            Http.AssertError(await fixture.Allowing.Client.Post("v1/stamps", new { content = url, content_type = "url" }), HttpStatusCode.BadRequest, "invalid_url");
        Http.AssertError(await fixture.Allowing.Client.Post("v1/stamps", new { content = "http://example.com/", content_type = "pdf" }), HttpStatusCode.BadRequest, "unsupported_content_type");
        Http.AssertError(await fixture.Allowing.Client.Post("v1/stamps", new { content_hash = new string('a', 64), content_type = "url" }), HttpStatusCode.BadRequest, "missing_content");
        Assert.Equal(size, await fixture.Allowing.Client.TreeSize());
        Assert.Equal(before, fixture.Pages.Hits("/page"));
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("0.1.2.3", false)]
    [InlineData("10.255.255.255", false)]
    [InlineData("100.127.0.1", false)]
    [InlineData("127.0.0.53", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("172.31.0.1", false)]
    [InlineData("192.0.0.170", false)]
    [InlineData("192.168.0.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("239.255.255.250", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fd12:3456::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2001:0:4136:e378::1", false)]
    [InlineData("2002:c0a8:0101::1", false)]
    [InlineData("2002:0808:0808::1", true)]
    public void only_global_unicast_addresses_are_public(string address, bool expected) =>
        Assert.Equal(expected, AddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void an_allow_list_entry_is_a_host_or_a_host_and_port_and_anything_else_stops_the_start()
    {
        foreach (string good in new[] { "127.0.0.1", "127.0.0.1:8080", "[::1]:8443", "[fd00::1]", "intranet.example", "Intranet.Example:81" })
            Assert.True(AddressPolicy.TryCreate([good], out _, out string? problem), good + ": " + problem);
        foreach (string bad in new[] { "", "::1", "http://x", "x/y", "x:0", "x:65536", "x:port", "user@x", "10.0.0.0/8" })
            Assert.False(AddressPolicy.TryCreate([bad], out _, out _), bad);
        Assert.True(AddressPolicy.TryCreate(["Intranet.Example:81"], out var policy, out _));
        Assert.True(policy.PortAllowed(new Uri("http://intranet.example:81/")));
        Assert.False(policy.PortAllowed(new Uri("http://intranet.example:82/")));
        Assert.True(policy.AddressAllowed(new Uri("http://intranet.example/"), IPAddress.Parse("10.0.0.1")));
        Assert.False(policy.AddressAllowed(new Uri("http://other.example/"), IPAddress.Parse("10.0.0.1")));
    }
}
