using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Api;

/// <summary>Rate limits and CORS, against a real server (the OpenAPI document: <see cref="ApiReferenceTests"/>).</summary>
public sealed class ServiceBehaviourTests
{
    private static async Task<(string IssuerId, string ApiKey, string Kid)> IssuerWithKey(HttpClient client)
    {
        var (_, issuer) = await client.Post("v1/issuers", new { name = "Rate Limited University" });
        string issuerId = issuer.GetProperty("id").GetString()!;
        var (_, apiKey) = await client.Post("v1/api-keys", new { issuer_id = issuerId, name = "ci" });
        var (_, key) = await client.Post($"v1/issuers/{issuerId}/keys", new { kid = "rl-" + Guid.NewGuid().ToString("N")[..8] });
        return (issuerId, apiKey.GetProperty("key").GetString()!, key.GetProperty("kid").GetString()!);
    }

    private static object MintBody(string issuerId, string kid) => new
    {
        issuer_id = issuerId, kid, alg = "Ed25519", schema = "custom",
        claims = new { subject = "s", type = "t", details = "d" },
    };

    [Fact]
    public async Task mints_beyond_the_per_key_limit_get_429_with_retry_after_and_append_nothing()
    {
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__RateLimits__Mint"] = "3" });
        var client = server.Client;
        var (issuerId, apiKey, kid) = await IssuerWithKey(client);

        using var first = new HttpRequestMessage(HttpMethod.Post, "v1/attestations/mint") { Content = JsonContent(MintBody(issuerId, kid)) };
        first.Headers.Add("X-API-Key", apiKey);
        first.Headers.Add("Idempotency-Key", "rl-0");
        using var ok = await client.SendAsync(first);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal("3", ok.Headers.GetValues("X-RateLimit-Limit").Single());
        Assert.Equal("2", ok.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.True(long.Parse(ok.Headers.GetValues("X-RateLimit-Reset").Single()) > DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1);

        // Fill the window; a window boundary may pass in between, so keep going until a 429 comes, within a bound.
        HttpResponseMessage? limited = null;
        for (int i = 1; i < 20 && limited is null; i++)
        {
            using var m = new HttpRequestMessage(HttpMethod.Post, "v1/attestations/mint") { Content = JsonContent(MintBody(issuerId, kid)) };
            m.Headers.Add("X-API-Key", apiKey);
            m.Headers.Add("Idempotency-Key", $"rl-{i}");
            long before = await client.TreeSize();
            var r = await client.SendAsync(m);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = r;
                Assert.Equal(before, await client.TreeSize());
            }
            else
            {
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            }
        }
        Assert.NotNull(limited);
        var body = JsonDocument.Parse(await limited!.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", body.GetProperty("error").GetString());
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single()), 1, 60);
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());

        // The admin key is exempt.
        for (int i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.Post("v1/attestations/mint", MintBody(issuerId, kid), idempotencyKey: $"admin-{i}")).Status);
    }

    [Fact]
    public async Task public_endpoints_allow_any_origin_and_authenticated_ones_do_not()
    {
        await using var server = await ServerProcess.Start();
        foreach (var path in new[] { "checkpoint", "v1/log/key", "v1/schemas", ".well-known/attest-keys.json" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Origin", "https://relying-party.example");
            using var response = await server.Client.SendAsync(request);
            Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/verify");
        preflight.Headers.Add("Origin", "https://relying-party.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var pre = await server.Client.SendAsync(preflight);
        Assert.Equal("*", pre.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var privateRequest = new HttpRequestMessage(HttpMethod.Get, "v1/api-keys");
        privateRequest.Headers.Add("Origin", "https://relying-party.example");
        privateRequest.Headers.Add("X-API-Key", ServerProcess.AdminKey);
        using var priv = await server.Client.SendAsync(privateRequest);
        Assert.False(priv.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
