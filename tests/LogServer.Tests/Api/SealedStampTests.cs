using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Tests.Api;

/// <summary>
/// A server whose sealed stamps may be revealed 2 seconds after they are made (Attest:Stamps:MinSealSeconds), with two
/// issuers, each with an API key: the creator and a stranger.
/// </summary>
public sealed class SealedStampFixture : IAsyncLifetime
{
    public const long MinSealSeconds = 2;

    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public string IssuerId { get; private set; } = null!;

    public string ApiKey { get; private set; } = null!;

    public string OtherApiKey { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Stamps__MinSealSeconds"] = MinSealSeconds.ToString(),
            ["Logging__LogLevel__Default"] = "Information", ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        });
        IssuerId = await Client.CreateIssuer("Sealing Lab");
        ApiKey = (await Client.Post("v1/api-keys", new { issuer_id = IssuerId, name = "sealer" })).Body.Str("key");
        string other = await Client.CreateIssuer("Curious Competitor");
        OtherApiKey = (await Client.Post("v1/api-keys", new { issuer_id = other, name = "stranger" })).Body.Str("key");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }

    /// <summary>Seals <paramref name="content"/> with the creator's key until the earliest time the server allows.</summary>
    public async Task<(JsonElement Stamp, long SealedUntil)> Seal(string content, string? title = null)
    {
        // A margin over the minimum: the request may take a while on a loaded machine.
        long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + MinSealSeconds + 3;
        var (status, stamp) = await Client.Post("v1/stamps", new { content, visibility = "sealed", sealed_until = until, display_title = title, tags = new[] { "sealed" } }, key: ApiKey);
        Assert.True(status == HttpStatusCode.Created, stamp.ToString());
        return (stamp, until);
    }

    /// <summary>Waits until the clock (the server's too: one machine) has passed <paramref name="until"/>.</summary>
    public static async Task WaitPast(long until)
    {
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() < until) await Task.Delay(200);
    }
}

/// <summary>Sealed stamps and their reveal (TruthStamp's sealed text), against a real server.</summary>
public sealed class SealedStampTests(SealedStampFixture fixture) : IClassFixture<SealedStampFixture>
{
    private HttpClient Client => fixture.Client;

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public async Task a_sealed_stamp_logs_its_hash_and_sealed_until_but_answers_no_content_and_a_generic_title_to_everyone()
    {
        string content = "BTC hits a new ATH this cycle " + Guid.NewGuid();
        var (stamp, until) = await fixture.Seal(content, "BTC prediction");
        Assert.Equal("sealed", stamp.Str("visibility"));
        Assert.Equal(until, stamp.GetProperty("sealed_until").GetInt64());
        Assert.False(stamp.GetProperty("revealed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, stamp.GetProperty("content").ValueKind);
        Assert.Equal("Sealed stamp", stamp.Str("display_title"));

        string entry = stamp.Str("entry");
        using var doc = JsonDocument.Parse(entry);
        Assert.Equal(entry, Encoding.UTF8.GetString(Jcs.Canonicalize(doc.RootElement)));
        Assert.Equal(["content_hash", "created_at", "id", "sealed_until", "type"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Sha256Hex(content), doc.RootElement.Str("content_hash"));
        Assert.Equal(until, doc.RootElement.GetProperty("sealed_until").GetInt64());

        // The creator, the admin and a stranger all read it sealed; only the creator and the admin see its tags.
        foreach (string key in new[] { fixture.ApiKey, ServerProcess.AdminKey, fixture.OtherApiKey })
        {
            var (status, read) = await Client.Get($"v1/stamps/{stamp.Str("id")}", key);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(JsonValueKind.Null, read.GetProperty("content").ValueKind);
            Assert.Equal("Sealed stamp", read.Str("display_title"));
            Assert.False(read.GetProperty("revealed").GetBoolean());
            Assert.False(read.TryGetProperty("reveal_log_index", out _));
            Assert.Equal(until, read.GetProperty("sealed_until").GetInt64());
            Assert.Equal(key == fixture.OtherApiKey ? 0 : 1, read.GetProperty("tags").GetArrayLength());
        }
    }

    [Fact]
    public async Task a_sealed_stamp_without_sealed_until_too_soon_without_content_or_too_large_is_refused_and_logs_nothing()
    {
        long size = await Client.TreeSize();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string content = "refused " + Guid.NewGuid();
        var cases = new (object Body, HttpStatusCode Status, string Code)[]
        {
            (new { content, visibility = "sealed" }, HttpStatusCode.BadRequest, "missing_sealed_until"),
            (new { content, visibility = "sealed", sealed_until = now }, HttpStatusCode.BadRequest, "seal_too_soon"),
            (new { content, visibility = "sealed", sealed_until = now - 3600 }, HttpStatusCode.BadRequest, "seal_too_soon"),
            (new { content_hash = Sha256Hex(content), visibility = "sealed", sealed_until = now + 3600 }, HttpStatusCode.BadRequest, "missing_content"),
            (new { content, visibility = "public", sealed_until = now + 3600 }, HttpStatusCode.BadRequest, "invalid_field"),
            (new { content, sealed_until = now + 3600 }, HttpStatusCode.BadRequest, "invalid_field"),
            (new { content, visibility = "sealed", sealed_until = -1 }, HttpStatusCode.BadRequest, "invalid_sealed_until"),
            (new { content, visibility = "sealed", sealed_until = 253_402_300_800L }, HttpStatusCode.BadRequest, "invalid_sealed_until"),
            (new { content = "https://example.com/" + Guid.NewGuid(), content_type = "url", visibility = "sealed", sealed_until = now + 3600 },
                HttpStatusCode.BadRequest, "unsupported_content_type"),
            (new { content, visibility = "sealed", sealed_until = long.MaxValue }, HttpStatusCode.BadRequest, "invalid_json"),
            (new { content, visibility = "sealed", sealed_until = 1.5 }, HttpStatusCode.BadRequest, "invalid_field"),
            (new { content, visibility = "sealed", sealed_until = "soon" }, HttpStatusCode.BadRequest, "invalid_field"),
            (new { content, visibility = "SEALED", sealed_until = now + 3600 }, HttpStatusCode.BadRequest, "invalid_visibility"),
            // Logged whole at its reveal: content that cannot fit one log entry is refused now (control characters take 6 bytes each in JSON).
            (new { content = new string('\u0001', 11_000), visibility = "sealed", sealed_until = now + 3600 }, HttpStatusCode.RequestEntityTooLarge, "sealed_content_too_large"),
        };
        foreach (var (body, status, code) in cases)
            Http.AssertError(await Client.Post("v1/stamps", body, key: fixture.ApiKey), status, code);
        Assert.Equal(size, await Client.TreeSize());
        Assert.False((await Client.Post("v1/verify", new { content }, key: null)).Body.GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task a_reveal_before_sealed_until_by_a_stranger_anonymous_or_of_a_stamp_not_sealed_is_refused_and_logs_nothing()
    {
        var (stamp, until) = await fixture.Seal("not yet " + Guid.NewGuid());
        string id = stamp.Str("id");
        var plain = await Client.Post("v1/stamps", new { content = "plain " + Guid.NewGuid(), visibility = "public" }, key: fixture.ApiKey);
        long size = await Client.TreeSize();
        // A stamp that is not sealed answers as it always did, without the sealed stamp's fields.
        foreach (string field in new[] { "sealed_until", "revealed", "reveal_log_index" }) Assert.False(plain.Body.TryGetProperty(field, out _), field);

        Http.AssertError(await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.ApiKey), HttpStatusCode.BadRequest, "still_sealed");
        Http.AssertError(await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.OtherApiKey), HttpStatusCode.Forbidden, "not_owner");
        Http.AssertError(await Client.Post($"v1/stamps/{id}/reveal", null, key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        Http.AssertError(await Client.Post($"v1/stamps/{plain.Body.Str("id")}/reveal", null, key: fixture.ApiKey), HttpStatusCode.BadRequest, "not_sealed");
        Http.AssertError(await Client.Post($"v1/stamps/{Guid.NewGuid()}/reveal", null, key: fixture.ApiKey), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post("v1/stamps/not-a-uuid/reveal", null, key: fixture.ApiKey), HttpStatusCode.BadRequest, "invalid_id");

        await SealedStampFixture.WaitPast(until);
        // Past its time, a stranger still cannot.
        Http.AssertError(await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.OtherApiKey), HttpStatusCode.Forbidden, "not_owner");
        Assert.Equal(size, await Client.TreeSize());
        Assert.False((await Client.Get($"v1/stamps/{id}", fixture.ApiKey)).Body.GetProperty("revealed").GetBoolean());
    }

    [Fact]
    public async Task after_its_reveal_a_sealed_stamp_shows_its_content_to_everyone_and_its_proof_carries_the_reveal_entry()
    {
        string content = "sealed words\nwith \"quotes\" and ünïcode " + Guid.NewGuid();
        var (stamp, until) = await fixture.Seal(content, "my prediction");
        string id = stamp.Str("id");
        await SealedStampFixture.WaitPast(until);

        var (status, revealed) = await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.ApiKey);
        Assert.True(status == HttpStatusCode.OK, revealed.ToString());
        Assert.True(revealed.GetProperty("revealed").GetBoolean());
        Assert.Equal(content, revealed.Str("content"));
        Assert.Equal("my prediction", revealed.Str("display_title"));
        long revealIndex = revealed.GetProperty("reveal_log_index").GetInt64();
        Assert.True(revealIndex > stamp.GetProperty("log_index").GetInt64());

        // Now public: a stranger reads the content (not the private title or tags).
        var (_, seen) = await Client.Get($"v1/stamps/{id}", fixture.OtherApiKey);
        Assert.Equal(content, seen.Str("content"));
        Assert.True(seen.GetProperty("revealed").GetBoolean());
        Assert.Equal(revealIndex, seen.GetProperty("reveal_log_index").GetInt64());
        Assert.Equal(JsonValueKind.Null, seen.GetProperty("display_title").ValueKind);

        // The proof: the stamp entry and the reveal entry, both included in one checkpoint signed by the log key.
        var (proofStatus, proof) = await Client.Get($"v1/stamps/{id}/proof", key: null);
        Assert.Equal(HttpStatusCode.OK, proofStatus);
        Assert.Equal(until, proof.GetProperty("stamp").GetProperty("sealed_until").GetInt64());
        var logKey = await Client.LogVerifier();
        var reveal = proof.GetProperty("reveal");
        Assert.Equal(revealIndex, reveal.GetProperty("index").GetInt64());
        foreach (var e in new[] { proof.GetProperty("log_entry"), reveal })
        {
            var entry = new BundleEntry(e.GetProperty("index").GetInt64(), e.Str("entry"), e.Str("tlog_proof"));
            Assert.True(EntryProofs.CheckEntry(entry, logKey, out _, out string problem), problem);
        }
        using var revealEntry = JsonDocument.Parse(reveal.Str("entry"));
        var r = revealEntry.RootElement;
        Assert.Equal(["content", "content_hash", "revealed_at", "stamp_id", "type"], r.EnumerateObject().Select(p => p.Name));
        Assert.Equal("stamp-reveal/v1", r.Str("type"));
        Assert.Equal(id, r.Str("stamp_id"));
        Assert.Equal(content, r.Str("content"));
        Assert.Equal(Sha256Hex(r.Str("content")), JsonDocument.Parse(proof.GetProperty("log_entry").Str("entry")).RootElement.Str("content_hash"));
        Assert.Equal(reveal.Str("entry"), Encoding.UTF8.GetString(Jcs.Canonicalize(r)));
        Assert.DoesNotContain("my prediction", reveal.Str("entry"));

        // Revealed once: a second reveal is refused and logs nothing.
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/stamps/{id}/reveal", null, key: ServerProcess.AdminKey), HttpStatusCode.Conflict, "already_revealed");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task concurrent_reveals_of_one_stamp_log_exactly_one_reveal_and_retries_with_its_idempotency_key_answer_it()
    {
        string content = "raced " + Guid.NewGuid();
        var (stamp, until) = await fixture.Seal(content);
        string id = stamp.Str("id");
        await SealedStampFixture.WaitPast(until);
        long size = await Client.TreeSize();

        // Twenty reveals at once: half with one idempotency key, half without; the admin key among them.
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Client.Post($"v1/stamps/{id}/reveal", null,
            key: i % 3 == 0 ? ServerProcess.AdminKey : fixture.ApiKey, idempotencyKey: i % 2 == 0 ? null : "reveal-once")));
        var ok = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        Assert.NotEmpty(ok);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Http.AssertError(r, HttpStatusCode.Conflict, "already_revealed"));
        long revealIndex = ok[0].Body.GetProperty("reveal_log_index").GetInt64();
        Assert.All(ok, r => Assert.Equal(revealIndex, r.Body.GetProperty("reveal_log_index").GetInt64()));
        Assert.Equal(size + 1, await Client.TreeSize());

        // A retry with the key answers the reveal when a keyed request made it, else it is refused like any other.
        var retry = await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.ApiKey, idempotencyKey: "reveal-once");
        if (retry.Status == HttpStatusCode.OK) Assert.Equal(revealIndex, retry.Body.GetProperty("reveal_log_index").GetInt64());
        else Http.AssertError(retry, HttpStatusCode.Conflict, "already_revealed");
        Assert.Equal(size + 1, await Client.TreeSize());
    }

    [Fact]
    public async Task a_reveal_with_an_idempotency_key_retried_answers_the_same_reveal_and_appends_nothing()
    {
        var (stamp, until) = await fixture.Seal("retried " + Guid.NewGuid());
        string id = stamp.Str("id");
        await SealedStampFixture.WaitPast(until);
        string key = "reveal-" + Guid.NewGuid();
        var first = await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.ApiKey, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        long size = await Client.TreeSize();
        var second = await Client.Post($"v1/stamps/{id}/reveal", null, key: fixture.ApiKey, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Body.GetProperty("reveal_log_index").GetInt64(), second.Body.GetProperty("reveal_log_index").GetInt64());
        Assert.Equal(first.Body.Str("content"), second.Body.Str("content"));
        // The same key on another stamp is another request.
        var (other, _) = await fixture.Seal("other " + Guid.NewGuid());
        Http.AssertError(await Client.Post($"v1/stamps/{other.Str("id")}/reveal", null, key: fixture.ApiKey, idempotencyKey: key),
            HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(size + 1, await Client.TreeSize());
    }

    [Fact]
    public async Task a_reveal_by_a_key_with_credits_costs_as_a_text_stamp_and_an_empty_balance_gets_402_and_reveals_nothing()
    {
        var (key, keyId) = await Client.CreateApiKey(fixture.IssuerId, 3);
        long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + SealedStampFixture.MinSealSeconds + 3;
        var (status, first) = await Client.Post("v1/stamps", new { content = "paid reveal " + Guid.NewGuid(), visibility = "sealed", sealed_until = until }, key);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(first, 1, 2);
        (status, var second) = await Client.Post("v1/stamps", new { content = "unpaid reveal " + Guid.NewGuid(), visibility = "sealed", sealed_until = until }, key);
        Assert.Equal(HttpStatusCode.Created, status);
        CreditsApi.AssertCharged(second, 1, 1);
        await SealedStampFixture.WaitPast(until);

        (status, var revealed) = await Client.Post($"v1/stamps/{first.Str("id")}/reveal", null, key);
        Assert.True(status == HttpStatusCode.OK, revealed.GetRawText());
        CreditsApi.AssertCharged(revealed, 1, 0);
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Post($"v1/stamps/{second.Str("id")}/reveal", null, key), HttpStatusCode.PaymentRequired, "insufficient_api_credits");
        Assert.Equal(size, await Client.TreeSize());
        Assert.False((await Client.Get($"v1/stamps/{second.Str("id")}", key)).Body.GetProperty("revealed").GetBoolean());
        Assert.Equal(0, await Client.Balance(keyId));
    }
}
