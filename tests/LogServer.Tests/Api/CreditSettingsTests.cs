using System.Net;

namespace Attest.LogServer.Tests.Api;

/// <summary>A server whose credit costs and per-key rate limits are set, and whose grants may reach the largest balance.</summary>
public sealed class CreditSettingsFixture : IAsyncLifetime
{
    public const long MaxCredits = (1L << 53) - 1;
    public const int MintsAMinute = 2, RequestsAMinute = 6;

    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public async Task InitializeAsync() => Server = await ServerProcess.Start(settings: new Dictionary<string, string>
    {
        ["Attest__Credits__Text"] = "2",
        ["Attest__Credits__Hash"] = "0",
        ["Attest__Credits__Mint"] = "3",
        ["Attest__Credits__MaxGrant"] = MaxCredits.ToString(),
        ["Attest__RateLimits__Mint"] = MintsAMinute.ToString(),
        ["Attest__RateLimits__Default"] = RequestsAMinute.ToString(),
    });

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>The <c>Attest:Credits</c> settings, and the rate limits, which refuse a request before it can cost anything.</summary>
public sealed class CreditSettingsTests(CreditSettingsFixture fixture) : IClassFixture<CreditSettingsFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task each_write_costs_what_its_setting_says()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 10);
        var (_, text) = await Client.Post("v1/stamps", new { content = "costs two", visibility = "public" }, key);
        CreditsApi.AssertCharged(text, 2, 8);
        var (_, hash) = await Client.Post("v1/stamps", new { content_hash = new string('f', 64) }, key);
        CreditsApi.AssertCharged(hash, 0, 8);
        CreditsApi.AssertCharged(await Client.Mint(AttestApi.MintBody(issuerId, kid), key), 3, 5);
        CreditsApi.AssertCharged(await Client.Mint(AttestApi.MintBody(issuerId, kid), key), 3, 2);
        // Two left: one more public stamp, then none, though a hash stamp (free here) still goes through.
        (_, text) = await Client.Post("v1/stamps", new { content = "the last two", visibility = "public" }, key);
        CreditsApi.AssertCharged(text, 2, 0);
        Http.AssertError(await Client.Post("v1/stamps", new { content = "one too many", visibility = "public" }, key), HttpStatusCode.PaymentRequired, "insufficient_api_credits");
        var (_, free) = await Client.Post("v1/stamps", new { content_hash = new string('e', 64) }, key);
        CreditsApi.AssertCharged(free, 0, 0);
        Assert.Equal(0, await Client.Balance(id));
    }

    [Fact]
    public async Task a_rate_limited_request_costs_nothing()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 100);
        long size = await Client.TreeSize();

        // Twice the limit and one more: even if a minute's window ends between two requests, some are refused.
        var mints = new List<HttpStatusCode>();
        for (int i = 0; i < 2 * CreditSettingsFixture.MintsAMinute + 1; i++)
            mints.Add((await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), key, Guid.NewGuid().ToString())).Status);
        var stamps = new List<HttpStatusCode>();
        for (int i = 0; i < 2 * CreditSettingsFixture.RequestsAMinute + 1; i++)
            stamps.Add((await Client.Post("v1/stamps", new { content = $"limited {i}", visibility = "public" }, key)).Status);

        int minted = mints.Count(s => s == HttpStatusCode.Created), stamped = stamps.Count(s => s == HttpStatusCode.Created);
        Assert.Contains(HttpStatusCode.TooManyRequests, mints);
        Assert.Contains(HttpStatusCode.TooManyRequests, stamps);
        Assert.All(mints.Concat(stamps), s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.TooManyRequests, s.ToString()));
        Assert.Equal(size + minted + stamped, await Client.TreeSize());
        Assert.Equal(100 - 3 * minted - 2 * stamped, await Client.Balance(id));
    }

    [Fact]
    public async Task a_balance_never_grows_past_the_largest_exact_json_integer()
    {
        var (_, id) = await Client.CreateApiKey(await Client.CreateIssuer(), CreditSettingsFixture.MaxCredits - 1);
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/api-keys/{id}/credits", new { amount = 1 })).Status);
        Assert.Equal(CreditSettingsFixture.MaxCredits, await Client.Balance(id));
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", new { amount = 1 }), HttpStatusCode.BadRequest, "parameter_out_of_range");
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", new { amount = CreditSettingsFixture.MaxCredits }), HttpStatusCode.BadRequest, "parameter_out_of_range");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(CreditSettingsFixture.MaxCredits, await Client.Balance(id));
    }

    [Theory]
    [InlineData("Attest__Credits__Text", "-1")]
    [InlineData("Attest__Credits__Mint", "-3")]
    [InlineData("Attest__Credits__MaxGrant", "0")]
    [InlineData("Attest__Credits__MaxGrant", "9007199254740992")]
    public async Task a_bad_credit_setting_stops_the_server_before_it_starts(string setting, string value)
    {
        string dir = ServerProcess.NewDataDir();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(dir, new Dictionary<string, string> { [setting] = value }));
        Assert.Contains("exited with 2", e.Message);
        Assert.Contains("Attest:Credits:", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        Directory.Delete(dir);
    }
}
