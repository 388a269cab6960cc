using System.Net;
using System.Text.Json;
using Attest.LogServer.Tests.Api;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Attacks on API credits against a real server: spending past the balance at once, bad amounts, adding credits
/// without the admin key, reading another issuer's balance, and getting charged for what was refused.
/// </summary>
public sealed class CreditAttackTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task many_concurrent_writes_never_spend_past_the_balance()
    {
        const int Credits = 12, Requests = 60;
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, Credits);
        long size = await Client.TreeSize();

        var answers = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => i % 3 == 0
            ? Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), key, Guid.NewGuid().ToString())
            : Client.Post("v1/stamps", new { content = $"race {i} {Guid.NewGuid()}" }, key)));

        var paid = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a => Http.AssertError(a, HttpStatusCode.PaymentRequired, "insufficient_api_credits"));
        // Each request either held a credit before it appended or was refused: exactly the balance's worth get through.
        Assert.Equal(Credits, paid.Count);
        Assert.All(paid, a => Assert.Equal(1, a.Body.GetProperty("credits_charged").GetInt64()));
        Assert.All(paid, a => Assert.InRange(a.Body.GetProperty("api_credits_remaining").GetInt64(), 0, Credits - 1));
        Assert.Equal(size + Credits, await Client.TreeSize());
        Assert.Equal(0, await Client.Balance(id));
    }

    public static TheoryData<string, string> BadAmounts() => new()
    {
        { """{"amount":0}""", "parameter_out_of_range" },
        { """{"amount":-5}""", "parameter_out_of_range" },
        { """{"amount":1000000001}""", "parameter_out_of_range" },
        { """{"amount":9007199254740991}""", "parameter_out_of_range" },
        { """{"amount":9007199254740993}""", "invalid_json" },
        { """{"amount":1e400}""", "invalid_json" },
        { """{"amount":1.5}""", "invalid_field" },
        { """{"amount":2.0}""", "invalid_field" },
        { """{"amount":1e3}""", "invalid_field" },
        { """{"amount":"5"}""", "invalid_field" },
        { """{"amount":true}""", "invalid_field" },
        { """{"amount":[5]}""", "invalid_field" },
        { """{"amount":null}""", "missing_field" },
        { """{}""", "missing_field" },
        { """{"amount":5,"credits":5}""", "unknown_field" },
        { """[5]""", "invalid_json" },
        { """{"amount":5""", "invalid_json" },
    };

    [Theory]
    [MemberData(nameof(BadAmounts))]
    public async Task a_bad_amount_of_credits_is_refused_and_changes_nothing(string body, string error)
    {
        var (_, id) = await Client.CreateApiKey(await Client.CreateIssuer(), 3);
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", body), HttpStatusCode.BadRequest, error);
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(3, await Client.Balance(id));
    }

    [Theory]
    [InlineData("-1", "parameter_out_of_range")]
    [InlineData("1000000001", "parameter_out_of_range")]
    [InlineData("1.5", "invalid_field")]
    [InlineData("1e30", "invalid_field")]
    [InlineData("\"10\"", "invalid_field")]
    [InlineData("{}", "invalid_field")]
    [InlineData("18446744073709551616", "invalid_json")]
    public async Task a_key_with_a_bad_balance_is_not_created(string credits, string error)
    {
        string issuerId = await Client.CreateIssuer();
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/api-keys", $$"""{"issuer_id":"{{issuerId}}","name":"n","credits":{{credits}}}"""), HttpStatusCode.BadRequest, error);
        Assert.Equal(size, await Client.TreeSize());
        Assert.DoesNotContain(await Client.GetAll("v1/api-keys", "api_keys"), k => k.Str("issuer_id") == issuerId);
    }

    [Fact]
    public async Task only_the_admin_adds_credits()
    {
        string issuerId = await Client.CreateIssuer();
        var (key, id) = await Client.CreateApiKey(issuerId, 1);
        var (sibling, _) = await Client.CreateApiKey(issuerId, null);
        var (stranger, _) = await Client.CreateApiKey(await Client.CreateIssuer(), 1);
        long size = await Client.TreeSize();
        var grant = new { amount = 1000 };

        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", grant, key), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", grant, sibling), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", grant, stranger), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", grant, key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", grant, key: "atk_forged"), HttpStatusCode.Unauthorized, "invalid_api_key");
        Http.AssertError(await Client.Post($"v1/api-keys/{Guid.NewGuid()}/credits", grant), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post("v1/api-keys/not-an-id/credits", grant), HttpStatusCode.BadRequest, "invalid_id");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(1, await Client.Balance(id));

        // A revoked key takes no more credits.
        Assert.Equal(HttpStatusCode.OK, (await Client.Send(HttpMethod.Delete, $"v1/api-keys/{id}")).Status);
        size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/api-keys/{id}/credits", grant), HttpStatusCode.Conflict, "already_revoked");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task another_issuer_cannot_read_a_balance()
    {
        string issuerId = await Client.CreateIssuer();
        var (key, id) = await Client.CreateApiKey(issuerId, 7);
        var (sibling, _) = await Client.CreateApiKey(issuerId, null);
        var (stranger, _) = await Client.CreateApiKey(await Client.CreateIssuer(), 7);

        var (status, own) = await Client.Get($"v1/api-keys/{id}", key);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7, own.GetProperty("api_credits_remaining").GetInt64());
        (status, var bySibling) = await Client.Get($"v1/api-keys/{id}", sibling);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7, bySibling.GetProperty("api_credits_remaining").GetInt64());

        var refused = await Client.Get($"v1/api-keys/{id}", stranger);
        Http.AssertError(refused, HttpStatusCode.Forbidden, "forbidden");
        Assert.DoesNotContain("7", refused.Body.Str("message"));
        Http.AssertError(await Client.Get($"v1/api-keys/{id}", key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        Http.AssertError(await Client.Get($"v1/api-keys/{Guid.NewGuid()}", stranger), HttpStatusCode.NotFound, "not_found");
        // The list of every key stays the admin's.
        Http.AssertError(await Client.Get("v1/api-keys", key), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task a_refused_or_failed_write_costs_nothing()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        string otherIssuer = await Client.CreateIssuer();
        string otherKid = (await Client.CreateKey(otherIssuer)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 5);
        var revoked = await Client.Mint(AttestApi.MintBody(issuerId, kid));
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/attestations/{revoked.Str("id")}/revoke", new { reason = "test" })).Status);
        long size = await Client.TreeSize();

        string Idem() => Guid.NewGuid().ToString();
        var unknownSchema = AttestApi.MintBody(issuerId, kid);
        unknownSchema["schema"] = "no-such-schema";
        var badClaims = AttestApi.MintBody(issuerId, kid);
        badClaims["claims"] = new System.Text.Json.Nodes.JsonObject { ["unexpected"] = 1 };
        Http.AssertError(await Client.Post("v1/stamps", new { }, key), HttpStatusCode.BadRequest, "missing_content");
        Http.AssertError(await Client.Post("v1/stamps", """{"content":""", key), HttpStatusCode.BadRequest, "invalid_json");
        Http.AssertError(await Client.Post("v1/stamps", new { content = "x", colour = "red" }, key), HttpStatusCode.BadRequest, "unknown_field");
        Http.AssertError(await Client.Post("v1/stamps", new { content = "x", visibility = "sealed-ish" }, key), HttpStatusCode.BadRequest, "invalid_visibility");
        Http.AssertError(await Client.Post("v1/attestations/mint", unknownSchema, key, Idem()), HttpStatusCode.BadRequest, "unknown_schema");
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.Post("v1/attestations/mint", badClaims, key, Idem())).Status);
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), key), HttpStatusCode.BadRequest, "missing_idempotency_key");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, "no-such-kid"), key, Idem()), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, otherKid), key, Idem()), HttpStatusCode.BadRequest, "kid_not_of_issuer");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(otherIssuer, otherKid), key, Idem()), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/attestations/{revoked.Str("id")}/supersede", AttestApi.MintBody(issuerId, kid), key, Idem()), HttpStatusCode.Conflict, "not_valid");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(5, await Client.Balance(id));
    }

    /// <summary>The charge rides in the private part of the record it pays for; the public entries name no amount.</summary>
    [Fact]
    public async Task no_credit_amount_or_charge_appears_in_the_public_log()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 7919);
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/api-keys/{id}/credits", new { amount = 7907 })).Status);
        var (_, stamp) = await Client.Post("v1/stamps", new { content = "public entry check" }, key);
        var minted = await Client.Mint(AttestApi.MintBody(issuerId, kid), key);
        Assert.Equal(["content_hash", "created_at", "id", "type"], JsonDocument.Parse(stamp.Str("entry")).RootElement.EnumerateObject().Select(p => p.Name).Order());

        long size = await Client.TreeSize();
        await Client.CheckpointCovering(size);
        var entries = new List<byte[]>();
        foreach (var tile in Tile.NewTiles(0, size).Where(t => t.Level == 0))
            Assert.True(EntryBundle.TryParse(await Client.GetByteArrayAsync(new Tile(Tile.EntriesLevel, tile.N, tile.Width).Path), tile.Width, entries));
        var texts = entries.Select(e => System.Text.Encoding.UTF8.GetString(e)).ToList();
        var events = texts.Where(t => t.Contains(id)).Select(t => JsonDocument.Parse(t).RootElement).ToList();
        Assert.Equal(["created", "credited"], events.Select(e => e.Str("event")));
        Assert.All(events, e => Assert.Equal(["at", "event", "id", "issuer_id", "type"], e.EnumerateObject().Select(p => p.Name).Where(n => n != "expires_at").Order()));
        string Members(string entryId) => string.Join(",", JsonDocument.Parse(texts.Single(t => t.Contains(entryId))).RootElement.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("created_at,id,issuer_id,kid,payload_sha256,schema,signature,type", Members(minted.Str("id")));
        Assert.All(texts, t => Assert.DoesNotContain("charge", t));
        Assert.All(texts, t => Assert.DoesNotContain("credit", t.Replace("\"credited\"", "")));
        // The proof bundle, which anyone may fetch, is public entries too.
        var (_, bundle) = await Client.Get($"v1/attestations/{minted.Str("id")}/proof-bundle", key: null);
        Assert.DoesNotContain("charge", bundle.GetRawText());
    }
}
