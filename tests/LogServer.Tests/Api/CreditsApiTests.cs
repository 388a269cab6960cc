using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Api;

/// <summary>API keys with a credit balance, from a client's side.</summary>
internal static class CreditsApi
{
    /// <summary>An API key of <paramref name="issuerId"/>, with a balance of <paramref name="credits"/> (null: unlimited).</summary>
    public static async Task<(string Key, string Id)> CreateApiKey(this HttpClient client, string issuerId, long? credits)
    {
        var (status, key) = credits is { } n
            ? await client.Post("v1/api-keys", new { issuer_id = issuerId, name = "billing test", credits = n })
            : await client.Post("v1/api-keys", new { issuer_id = issuerId, name = "billing test" });
        Assert.True(status == HttpStatusCode.Created, key.GetRawText());
        return (key.Str("key"), key.Str("id"));
    }

    /// <summary>The key's balance as the admin reads it; null for an unlimited key.</summary>
    public static async Task<long?> Balance(this HttpClient client, string apiKeyId)
    {
        var (status, key) = await client.Get($"v1/api-keys/{apiKeyId}");
        Assert.True(status == HttpStatusCode.OK, key.GetRawText());
        var remaining = key.GetProperty("api_credits_remaining");
        return remaining.ValueKind == JsonValueKind.Null ? null : remaining.GetInt64();
    }

    public static void AssertCharged(JsonElement answer, long charged, long remaining)
    {
        Assert.Equal(charged, answer.GetProperty("credits_charged").GetInt64());
        Assert.Equal(remaining, answer.GetProperty("api_credits_remaining").GetInt64());
    }
}

/// <summary>
/// Credits (the TruthStamp API's): a key created with a balance pays for each stamp and mint on success, gets 402
/// insufficient_api_credits when it cannot, and the admin adds credits; a key created without one is unlimited.
/// </summary>
public sealed class CreditsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task each_stamp_and_mint_is_charged_on_success_and_an_empty_balance_gets_402_and_logs_nothing()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 4);
        Assert.Equal(4, await Client.Balance(id));

        var (status, text) = await Client.Post("v1/stamps", new { content = "a public note", visibility = "public" }, key);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(text, 1, 3);
        (status, var hash) = await Client.Post("v1/stamps", new { content_hash = new string('c', 64) }, key);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(hash, 1, 2);
        var minted = await Client.Mint(AttestApi.MintBody(issuerId, kid), key);
        CreditsApi.AssertCharged(minted, 1, 1);
        // A supersession mints the new attestation, and costs a mint.
        var (superseded, superseding) = await Client.Post($"v1/attestations/{minted.Str("id")}/supersede", AttestApi.MintBody(issuerId, kid), key, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, superseded);
        CreditsApi.AssertCharged(superseding, 1, 0);

        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/stamps", new { content = "one too many" }, key), HttpStatusCode.PaymentRequired, "insufficient_api_credits");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), key, Guid.NewGuid().ToString()), HttpStatusCode.PaymentRequired, "insufficient_api_credits");
        Http.AssertError(await Client.Post($"v1/attestations/{superseding.Str("id")}/supersede", AttestApi.MintBody(issuerId, kid), key, Guid.NewGuid().ToString()),
            HttpStatusCode.PaymentRequired, "insufficient_api_credits");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(0, await Client.Balance(id));
        // Reads cost nothing, and work with an empty balance.
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/stamps/{text.Str("id")}", key)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/attestations/{minted.Str("id")}", key)).Status);
        Assert.True((await Client.Verify(new { content = "a public note" })).GetProperty("verified").GetBoolean());

        // The admin adds credits: one api-key/v1 entry, and the key can write again.
        var (added, view) = await Client.Post($"v1/api-keys/{id}/credits", new { amount = 2 });
        Assert.Equal(HttpStatusCode.OK, added);
        Assert.Equal(2, view.GetProperty("api_credits_remaining").GetInt64());
        Assert.Equal(size + 1, await Client.TreeSize());
        (status, var again) = await Client.Post("v1/stamps", new { content = "paid again" }, key);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(again, 1, 1);
        // The key's own view of itself agrees.
        var (own, ownView) = await Client.Get($"v1/api-keys/{id}", key);
        Assert.Equal(HttpStatusCode.OK, own);
        Assert.Equal(1, ownView.GetProperty("api_credits_remaining").GetInt64());
        Assert.False(ownView.TryGetProperty("key", out var shown) && shown.ValueKind != JsonValueKind.Null, "the key itself is shown only once");
        var listed = (await Client.GetAll("v1/api-keys", "api_keys")).Single(k => k.Str("id") == id);
        Assert.Equal(1, listed.GetProperty("api_credits_remaining").GetInt64());
    }

    [Fact]
    public async Task a_key_created_without_credits_is_unlimited_and_its_answers_carry_no_credit_fields()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, null);
        Assert.Null(await Client.Balance(id));
        for (int i = 0; i < 3; i++)
        {
            var (status, stamp) = await Client.Post("v1/stamps", new { content = $"unlimited {i} {Guid.NewGuid()}" }, key);
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.False(stamp.TryGetProperty("credits_charged", out _), stamp.GetRawText());
            Assert.False(stamp.TryGetProperty("api_credits_remaining", out _), stamp.GetRawText());
        }
        var minted = await Client.Mint(AttestApi.MintBody(issuerId, kid), key);
        Assert.False(minted.TryGetProperty("credits_charged", out _));
        Assert.False(minted.TryGetProperty("api_credits_remaining", out _));
        var admin = await Client.Stamp("by the admin " + Guid.NewGuid());
        Assert.False(admin.TryGetProperty("credits_charged", out _));

        // It stays unlimited: credits are only added to a key created with a balance.
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", new { amount = 5 }), HttpStatusCode.Conflict, "unlimited_api_key");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Null(await Client.Balance(id));
    }

    [Fact]
    public async Task a_key_created_with_zero_credits_can_write_nothing_until_credited()
    {
        string issuerId = await Client.CreateIssuer();
        var (key, id) = await Client.CreateApiKey(issuerId, 0);
        Assert.Equal(0, await Client.Balance(id));
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/stamps", new { content = "nothing yet" }, key), HttpStatusCode.PaymentRequired, "insufficient_api_credits");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/api-keys/{id}/credits", new { amount = 1 })).Status);
        var (status, stamp) = await Client.Post("v1/stamps", new { content = "now" }, key);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(stamp, 1, 0);
    }

    [Fact]
    public async Task an_idempotent_retry_answers_the_first_write_and_costs_nothing_again()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 2);

        string stampKey = Guid.NewGuid().ToString();
        var (status, first) = await Client.Post("v1/stamps", new { content = "retried stamp" }, key, stampKey);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(first, 1, 1);
        var body = AttestApi.MintBody(issuerId, kid);
        string mintKey = Guid.NewGuid().ToString();
        var minted = await Client.Mint(body, key, mintKey);
        CreditsApi.AssertCharged(minted, 1, 0);

        long size = await Client.TreeSize();
        // With the balance empty, retries still answer the writes they repeat, at no cost.
        for (int i = 0; i < 3; i++)
        {
            (status, var retry) = await Client.Post("v1/stamps", new { content = "retried stamp" }, key, stampKey);
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal(first.Str("id"), retry.Str("id"));
            CreditsApi.AssertCharged(retry, 0, 0);
            var again = await Client.Mint(body, key, mintKey);
            Assert.Equal(minted.Str("id"), again.Str("id"));
            CreditsApi.AssertCharged(again, 0, 0);
        }
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(0, await Client.Balance(id));
        // A new request under a used key is refused as before, and costs nothing either.
        Http.AssertError(await Client.Post("v1/stamps", new { content = "another stamp" }, key, stampKey), HttpStatusCode.Conflict, "idempotency_key_reused");
    }
}
