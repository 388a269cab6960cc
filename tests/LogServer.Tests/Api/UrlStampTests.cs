using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.V1;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Api;

/// <summary>URL stamps (<c>content_type: "url"</c>) and their page snapshots, against a real server and a real loopback page server.</summary>
public sealed class UrlStampTests(UrlSnapshotFixture fixture) : IClassFixture<UrlSnapshotFixture>
{
    private HttpClient Client => fixture.Allowing.Client;

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Sha256Hex(string s) => Sha256Hex(Encoding.UTF8.GetBytes(s));

    private static async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> Download(HttpClient client, string id, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/stamps/{id}/snapshot");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response);
    }

    [Fact]
    public async Task a_url_stamp_logs_its_snapshot_hash_and_size_and_the_snapshot_can_be_downloaded()
    {
        string url = fixture.Pages.Url("page");
        var (status, stamp) = await Client.Post("v1/stamps", new { content = url, content_type = "url", visibility = "public" });
        Assert.True(status == HttpStatusCode.Created, stamp.ToString());
        byte[] page = Encoding.UTF8.GetBytes(LoopbackPages.PageText);
        Assert.Equal("url", stamp.Str("content_type"));
        Assert.Equal(Sha256Hex(url), stamp.Str("content_hash"));
        Assert.Equal(Sha256Hex(page), stamp.Str("snapshot_sha256"));
        Assert.Equal(page.Length, stamp.GetProperty("snapshot_size").GetInt64());

        // The entry says it is a URL stamp and carries the snapshot's hash and size, never the URL.
        using var entry = JsonDocument.Parse(stamp.Str("entry"));
        Assert.Equal(["content_hash", "content_type", "created_at", "id", "snapshot_sha256", "snapshot_size", "type"],
            entry.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("url", entry.RootElement.Str("content_type"));
        Assert.Equal(Sha256Hex(page), entry.RootElement.Str("snapshot_sha256"));
        Assert.Equal(page.Length, entry.RootElement.GetProperty("snapshot_size").GetInt64());
        Assert.DoesNotContain("127.0.0.1", stamp.Str("entry"));

        var (_, read) = await Client.Get($"v1/stamps/{stamp.Str("id")}");
        Assert.Equal(url, read.Str("content"));
        Assert.Equal(Sha256Hex(page), read.Str("snapshot_sha256"));

        // Public: any API key may download it, as it was fetched, served as a download that no browser renders here.
        var (dl, body, response) = await Download(Client, stamp.Str("id"), fixture.OtherApiKey);
        Assert.Equal(HttpStatusCode.OK, dl);
        Assert.Equal(page, body);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Fact]
    public async Task a_hash_only_url_stamps_snapshot_is_for_its_issuer_and_the_admin_only()
    {
        var (status, stamp) = await Client.Post("v1/stamps", new { content = fixture.Pages.Url("page"), content_type = "url" }, key: fixture.ApiKey);
        Assert.True(status == HttpStatusCode.Created, stamp.ToString());
        Assert.Equal("hash_only", stamp.Str("visibility"));
        Assert.Equal(JsonValueKind.Null, stamp.GetProperty("content").ValueKind);
        string id = stamp.Str("id");
        Assert.Equal(HttpStatusCode.OK, (await Download(Client, id, fixture.ApiKey)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Download(Client, id, ServerProcess.AdminKey)).Status);
        var (refused, body, _) = await Download(Client, id, fixture.OtherApiKey);
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Equal("forbidden", JsonDocument.Parse(body).RootElement.Str("error"));
        // A text stamp has no snapshot.
        var text = await Client.Stamp("text " + Guid.NewGuid());
        Assert.Equal(HttpStatusCode.NotFound, (await Download(Client, text.Str("id"), ServerProcess.AdminKey)).Status);
    }

    [Fact]
    public async Task a_snapshot_that_fails_is_a_422_that_logs_and_stores_nothing()
    {
        string[] pages = [$"chunked/{UrlSnapshotFixture.MaxBytes + 1}", $"sized/{UrlSnapshotFixture.MaxBytes + 1}", "never", "stalls", "missing", "loop", "huge-headers", "cut"];
        long size = await Client.TreeSize();
        int blobs = Directory.Exists(Path.Combine(fixture.Allowing.DataDir, "blobs")) ? Directory.GetFiles(Path.Combine(fixture.Allowing.DataDir, "blobs")).Length : 0;
        long impatientSize = await fixture.Impatient.Client.TreeSize();
        foreach (string page in pages)
        {
            string url = fixture.Pages.Url(page);
            // The slow pages go to the server that waits one second; the others to one that waits long enough never to time out here.
            var client = page is "never" or "stalls" ? fixture.Impatient.Client : Client;
            var response = await client.Post("v1/stamps", new { content = url, content_type = "url", visibility = "public" });
            Http.AssertError(response, (HttpStatusCode)422, "snapshot_failed");
            Assert.False((await client.Post("v1/verify", new { content = url }, key: null)).Body.GetProperty("verified").GetBoolean());
            string message = response.Body.Str("message");
            Assert.True(message.Contains(page.Split('/')[0] switch
            {
                "chunked" or "sized" => "MaxBytes",
                "never" or "stalls" => "TimeoutSeconds",
                "missing" => "HTTP 404",
                "loop" => "MaxRedirects",
                "cut" => "broke",
                _ => "headers",
            }), message);
        }
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(impatientSize, await fixture.Impatient.Client.TreeSize());
        Assert.Equal(blobs, Directory.Exists(Path.Combine(fixture.Allowing.DataDir, "blobs")) ? Directory.GetFiles(Path.Combine(fixture.Allowing.DataDir, "blobs")).Length : 0);
        // A page of exactly the cap is taken: the cap refuses, it does not truncate.
        var (status, stamp) = await Client.Post("v1/stamps", new { content = fixture.Pages.Url($"chunked/{UrlSnapshotFixture.MaxBytes}"), content_type = "url" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(UrlSnapshotFixture.MaxBytes, stamp.GetProperty("snapshot_size").GetInt64());
    }

    [Fact]
    public async Task a_redirect_within_the_allow_list_is_followed_and_the_final_page_is_the_snapshot()
    {
        string target = fixture.Pages.Url("page");
        var (status, stamp) = await Client.Post("v1/stamps", new { content = fixture.Pages.Url("redirect") + "&to=" + Uri.EscapeDataString(target), content_type = "url" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(Sha256Hex(LoopbackPages.PageText), stamp.Str("snapshot_sha256"));
    }

    [Fact]
    public async Task a_retry_with_the_same_idempotency_key_fetches_nothing_and_returns_the_first_stamp()
    {
        string url = fixture.Pages.Url("page");
        string key = Guid.NewGuid().ToString();
        int before = fixture.Pages.Hits("/page");
        var (_, first) = await Client.Post("v1/stamps", new { content = url, content_type = "url" }, idempotencyKey: key);
        var (_, again) = await Client.Post("v1/stamps", new { content = url, content_type = "url" }, idempotencyKey: key);
        Assert.Equal(first.Str("id"), again.Str("id"));
        Assert.Equal(first.Str("snapshot_sha256"), again.Str("snapshot_sha256"));
        Assert.Equal(before + 1, fixture.Pages.Hits("/page"));
        // The same key with the text stamp of the same string is another request.
        Http.AssertError(await Client.Post("v1/stamps", new { content = url }, idempotencyKey: key), HttpStatusCode.Conflict, "idempotency_key_reused");
    }

    [Fact]
    public async Task the_grpc_twin_takes_content_type_url_and_downloads_the_snapshot()
    {
        string url = fixture.Pages.Url("page");
        var created = await RawGrpc.CallWithReply(fixture.Allowing, "/attest.v1.Stamps/Create",
            new CreateStampRequest { Content = url, ContentType = "url", Visibility = "public" });
        Assert.True(created.Status == 0, created.Message);
        var stamp = Stamp.Parser.ParseFrom(created.Reply);
        Assert.Equal("url", stamp.ContentType);
        Assert.Equal(Sha256Hex(LoopbackPages.PageText), stamp.SnapshotSha256);
        Assert.Equal(LoopbackPages.PageText.Length, stamp.SnapshotSize);

        var got = await RawGrpc.CallWithReply(fixture.Allowing, "/attest.v1.Stamps/GetSnapshot", new GetStampRequest { Id = stamp.Id });
        Assert.True(got.Status == 0, got.Message);
        var snapshot = StampSnapshot.Parser.ParseFrom(got.Reply);
        Assert.Equal(stamp.SnapshotSha256, snapshot.SnapshotSha256);
        Assert.Equal(LoopbackPages.PageText, snapshot.Content.ToStringUtf8());

        // The same errors, with the gRPC status of their kind.
        var bad = await RawGrpc.CallWithReply(fixture.Allowing, "/attest.v1.Stamps/Create", new CreateStampRequest { Content = "ftp://example.com/", ContentType = "url" });
        Assert.Equal(3, bad.Status);
        Assert.StartsWith("invalid_url", bad.Message);
        var failed = await RawGrpc.CallWithReply(fixture.Allowing, "/attest.v1.Stamps/Create", new CreateStampRequest { Content = fixture.Pages.Url("missing"), ContentType = "url" });
        Assert.Equal(9, failed.Status); // FAILED_PRECONDITION
        Assert.StartsWith("snapshot_failed", failed.Message);
        var unsupported = await RawGrpc.CallWithReply(fixture.Allowing, "/attest.v1.Stamps/Create", new CreateStampRequest { Content = "x", ContentType = "file" });
        Assert.Equal(3, unsupported.Status);
        Assert.StartsWith("unsupported_content_type", unsupported.Message);
    }

    [Fact]
    public async Task one_key_fetches_one_snapshot_at_a_time_and_all_keys_max_concurrent_while_text_stamps_go_on()
    {
        string holdA = Guid.NewGuid().ToString("N"), holdB = Guid.NewGuid().ToString("N");
        // The admin's fetch waits at the page server: its second one is refused, another key's is not.
        var first = Client.Post("v1/stamps", new { content = fixture.Pages.Url("hold/" + holdA), content_type = "url" });
        while (fixture.Pages.Hits("/hold/" + holdA) == 0 && !first.IsCompleted) await Task.Delay(20);
        var sameKey = await Client.Post("v1/stamps", new { content = fixture.Pages.Url("page"), content_type = "url" });
        Http.AssertError(sameKey, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("one at a time per key", sameKey.Body.Str("message"));
        var second = Client.Post("v1/stamps", new { content = fixture.Pages.Url("hold/" + holdB), content_type = "url" }, key: fixture.ApiKey);
        while (fixture.Pages.Hits("/hold/" + holdB) == 0 && !second.IsCompleted) await Task.Delay(20);
        // Both slots (MaxConcurrent 2) are taken: a third key is refused too.
        var third = await Client.Post("v1/stamps", new { content = fixture.Pages.Url("page"), content_type = "url" }, key: fixture.OtherApiKey);
        Http.AssertError(third, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("MaxConcurrent", third.Body.Str("message"));
        // Text stamps do not wait for snapshots.
        Assert.Equal(HttpStatusCode.Created, (await Client.Post("v1/stamps", new { content = "text " + Guid.NewGuid() }, key: fixture.OtherApiKey)).Status);
        fixture.Pages.Release(holdA);
        fixture.Pages.Release(holdB);
        foreach (var pending in new[] { first, second })
        {
            var (status, stamp) = await pending;
            Assert.True(status == HttpStatusCode.Created, stamp.ToString());
            Assert.Equal(Sha256Hex(LoopbackPages.PageText), stamp.Str("snapshot_sha256"));
        }
        Assert.Equal(HttpStatusCode.Created, (await Client.Post("v1/stamps", new { content = fixture.Pages.Url("page"), content_type = "url" })).Status);
    }
}
