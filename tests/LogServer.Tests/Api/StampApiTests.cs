using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Api;

/// <summary>Stamps and earliest-stamp verify against a real server.</summary>
public sealed class StampApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public async Task a_stamp_of_a_hash_is_logged_and_can_be_fetched_by_id()
    {
        string hash = Sha256Hex("hash only " + Guid.NewGuid()).ToUpperInvariant();
        var (status, stamp) = await Client.Post("v1/stamps", new { content_hash = hash, display_title = "Q3 report", tags = new[] { "a", "b" } });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(stamp.GetProperty("success").GetBoolean());
        Assert.Equal(hash.ToLowerInvariant(), stamp.GetProperty("content_hash").GetString());
        Assert.Equal("hash_only", stamp.GetProperty("visibility").GetString());
        Assert.True(Guid.TryParse(stamp.GetProperty("id").GetString(), out _));
        Assert.True(DateTimeOffset.TryParse(stamp.GetProperty("created_at").GetString(), out _));

        var (getStatus, fetched) = await Client.Get($"v1/stamps/{stamp.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(stamp.GetProperty("log_index").GetInt64(), fetched.GetProperty("log_index").GetInt64());
        Assert.Equal("Q3 report", fetched.GetProperty("display_title").GetString());
        Assert.Equal(["a", "b"], fetched.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(JsonValueKind.Null, fetched.GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task the_log_entry_is_canonical_json_holding_the_hash_but_never_the_content_or_title()
    {
        string content = "secret words " + Guid.NewGuid();
        var (_, stamp) = await Client.Post("v1/stamps", new { content, visibility = "public", display_title = "my title" });
        string entry = stamp.GetProperty("entry").GetString()!;
        using var doc = JsonDocument.Parse(entry);
        Assert.Equal(entry, Encoding.UTF8.GetString(Jcs.Canonicalize(doc.RootElement)));
        Assert.Equal(["content_hash", "created_at", "id", "type"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("stamp/v1", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal(Sha256Hex(content), doc.RootElement.GetProperty("content_hash").GetString());
        Assert.DoesNotContain("secret", entry);
        Assert.DoesNotContain("my title", entry);
        Assert.Equal(Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(entry)).ToBase64(), stamp.GetProperty("leaf_hash").GetString());
        // A public stamp keeps its content outside the log.
        var fetched = (await Client.Get($"v1/stamps/{stamp.GetProperty("id").GetString()}")).Body;
        Assert.Equal(content, fetched.GetProperty("content").GetString());
    }

    [Fact]
    public async Task a_url_stamp_without_snapshots_records_that_it_is_a_url_and_fetches_nothing()
    {
        // Snapshots are off by default: the server never connects, even to an address the policy would refuse.
        string url = "http://169.254.169.254/latest/meta-data/?n=" + Guid.NewGuid().ToString("N");
        var (status, stamp) = await Client.Post("v1/stamps", new { content = url, content_type = "url", visibility = "public" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("url", stamp.GetProperty("content_type").GetString());
        Assert.Equal(Sha256Hex(url), stamp.GetProperty("content_hash").GetString());
        Assert.Equal(JsonValueKind.Null, stamp.GetProperty("snapshot_sha256").ValueKind);
        Assert.Equal(JsonValueKind.Null, stamp.GetProperty("snapshot_size").ValueKind);
        using var entry = JsonDocument.Parse(stamp.GetProperty("entry").GetString()!);
        Assert.Equal(["content_hash", "content_type", "created_at", "id", "type"], entry.RootElement.EnumerateObject().Select(p => p.Name));
        // A text stamp says so, and its entry is as it always was.
        var (_, text) = await Client.Post("v1/stamps", new { content = url, visibility = "public" });
        Assert.Equal("text", text.GetProperty("content_type").GetString());
        Assert.DoesNotContain("content_type", text.GetProperty("entry").GetString());
        Assert.Equal(stamp.GetProperty("content_hash").GetString(), text.GetProperty("content_hash").GetString());
    }

    [Fact]
    public async Task verify_finds_the_earliest_stamp_of_content_and_counts_them_all()
    {
        string content = "stamped three times " + Guid.NewGuid();
        var first = await Client.Stamp(content);
        await Client.Post("v1/stamps", new { content_hash = Sha256Hex(content) });
        await Client.Stamp(content);

        foreach (object query in new object[] { new { content }, new { content_hash = Sha256Hex(content) } })
        {
            var (status, v) = await Client.Post("v1/verify", query, key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(v.GetProperty("verified").GetBoolean());
            Assert.Equal(Sha256Hex(content), v.GetProperty("content_hash").GetString());
            Assert.Equal(first.GetProperty("log_index").GetInt64(), v.GetProperty("log_index").GetInt64());
            Assert.Equal(first.GetProperty("created_at").GetString(), v.GetProperty("first_stamped_at").GetString());
            Assert.Equal(3, v.GetProperty("total_stamps_of_this_hash").GetInt64());
        }
        var (_, missing) = await Client.Post("v1/verify", new { content = "never stamped " + Guid.NewGuid() }, key: null);
        Assert.False(missing.GetProperty("verified").GetBoolean());
        Assert.Equal(0, missing.GetProperty("total_stamps_of_this_hash").GetInt64());
    }

    [Fact]
    public async Task a_retry_with_the_same_idempotency_key_returns_the_original_stamp_and_appends_nothing()
    {
        string key = Guid.NewGuid().ToString();
        var body = new { content = "idempotent " + key };
        var (s1, first) = await Client.Post("v1/stamps", body, idempotencyKey: key);
        long size = await Client.TreeSize();
        var (s2, again) = await Client.Post("v1/stamps", "{ \"content\" : \"idempotent " + key + "\" }", idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, s1);
        Assert.Equal(HttpStatusCode.Created, s2);
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal(first.GetProperty("log_index").GetInt64(), again.GetProperty("log_index").GetInt64());
        Assert.Equal(size, await Client.TreeSize());

        Http.AssertError(await Client.Post("v1/stamps", new { content = "something else" }, idempotencyKey: key), HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task concurrent_requests_with_one_idempotency_key_make_one_stamp()
    {
        string key = Guid.NewGuid().ToString();
        long before = await Client.TreeSize();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Client.Post("v1/stamps", new { content = "race " + key }, idempotencyKey: key)));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Single(results.Select(r => r.Body.GetProperty("id").GetString()).Distinct());
        Assert.Equal(before + 1, await Client.TreeSize());
    }

    [Fact]
    public async Task missing_or_wrong_api_keys_get_401_and_append_nothing()
    {
        long before = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/stamps", new { content = "x" }, key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        Http.AssertError(await Client.Post("v1/stamps", new { content = "x" }, key: "wrong"), HttpStatusCode.Unauthorized, "invalid_api_key");
        Http.AssertError(await Client.Get($"v1/stamps/{Guid.NewGuid()}", key: null), HttpStatusCode.Unauthorized, "missing_api_key");

        using var viaHeader = new HttpRequestMessage(HttpMethod.Post, "v1/stamps") { Content = new StringContent("{\"content\":\"via x-api-key\"}", Encoding.UTF8, "application/json") };
        viaHeader.Headers.Add("X-API-Key", ServerProcess.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await Client.SendAsync(viaHeader)).StatusCode);
        Assert.Equal(before + 1, await Client.TreeSize());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "not json", "invalid_json" },
        { "[1,2]", "invalid_json" },
        { "{\"content\":\"a\",\"content\":\"b\"}", "invalid_json" },
        { "{}", "missing_content" },
        { "{\"content\":\"\"}", "missing_content" },
        { "{\"content\":\"a\",\"content_hash\":\"" + new string('a', 64) + "\"}", "missing_content" },
        { "{\"content_hash\":\"abc\"}", "invalid_content_hash" },
        { "{\"content_hash\":\"" + new string('g', 64) + "\"}", "invalid_content_hash" },
        { "{\"content_hash\":42}", "invalid_field" },
        { "{\"content\":\"a\",\"visibility\":\"private\"}", "invalid_visibility" },
        { "{\"content\":\"a\",\"visibility\":\"sealed\"}", "missing_sealed_until" },
        { "{\"content_hash\":\"" + new string('a', 64) + "\",\"visibility\":\"public\"}", "missing_content" },
        { "{\"content\":\"a\",\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"]}", "too_many_tags" },
        { "{\"content\":\"a\",\"tags\":\"one\"}", "invalid_field" },
        { "{\"content\":\"a\",\"tags\":[1]}", "invalid_field" },
        { "{\"content\":\"a\",\"display_title\":\"" + new string('t', 201) + "\"}", "field_too_long" },
        { "{\"content\":\"a\",\"colour\":\"blue\"}", "unknown_field" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task bad_stamp_requests_get_a_clear_error_and_append_nothing(string body, string code)
    {
        long before = await Client.TreeSize();
        Http.AssertError(await Client.Post("v1/stamps", body), HttpStatusCode.BadRequest, code);
        Assert.Equal(before, await Client.TreeSize());
    }

    [Fact]
    public async Task bodies_over_the_limit_get_413_and_append_nothing()
    {
        long before = await Client.TreeSize();
        var huge = "{\"content\":\"" + new string('x', 2 << 20) + "\"}";
        Http.AssertError(await Client.Post("v1/stamps", huge), HttpStatusCode.RequestEntityTooLarge, "payload_too_large"); // sent with Expect: 100-continue
        Assert.Equal(before, await Client.TreeSize());
    }

    [Fact]
    public async Task bad_ids_and_bad_idempotency_keys_are_rejected()
    {
        Http.AssertError(await Client.Get("v1/stamps/not-a-uuid"), HttpStatusCode.BadRequest, "invalid_id");
        Http.AssertError(await Client.Get($"v1/stamps/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        Http.AssertError(await Client.Post("v1/stamps", new { content = "x" }, idempotencyKey: new string('k', 300)), HttpStatusCode.BadRequest, "field_too_long");
        Http.AssertError(await Client.Post("v1/verify", new { content_hash = "zz" }, key: null), HttpStatusCode.BadRequest, "invalid_content_hash");
    }
}
