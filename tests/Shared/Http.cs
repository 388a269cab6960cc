using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.Tests.Shared;

/// <summary>Small client helpers: JSON in and out, the admin key, and the log's verifier.</summary>
public static class Http
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> Send(this HttpClient client, HttpMethod method, string path, object? body = null, string? key = ServerProcess.AdminKey, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (body is string raw) request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        // A large body waits for the server's go-ahead: a server refusing it by Content-Length (413) answers and closes
        // before the upload, instead of while the client is still writing (a broken pipe, not the 413).
        if (body is string { Length: > 1 << 20 }) request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{method} {path} answered {response.StatusCode} with {response.Content.Headers.ContentType}: {text}");
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> Post(this HttpClient client, string path, object? body, string? key = ServerProcess.AdminKey, string? idempotencyKey = null) =>
        client.Send(HttpMethod.Post, path, body, key, idempotencyKey);

    public static Task<(HttpStatusCode Status, JsonElement Body)> Get(this HttpClient client, string path, string? key = ServerProcess.AdminKey) =>
        client.Send(HttpMethod.Get, path, null, key);

    /// <summary>Every item of a paged list (<c>?cursor=</c>, <c>next_cursor</c> null on the last page), page by page.</summary>
    public static async Task<List<JsonElement>> GetAll(this HttpClient client, string path, string member, string? key = ServerProcess.AdminKey)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var (status, page) = await client.Get(cursor is null ? path : path + (path.Contains('?') ? "&" : "?") + "cursor=" + Uri.EscapeDataString(cursor), key);
            Assert.True(status == HttpStatusCode.OK, $"GET {path} answered {status}: {page}");
            items.AddRange(page.GetProperty(member).EnumerateArray());
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        return items;
    }

    /// <summary>Asserts the JSON error body of the API: success false, the error code, a message.</summary>
    public static void AssertError((HttpStatusCode Status, JsonElement Body) response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.Status);
        Assert.False(response.Body.GetProperty("success").GetBoolean());
        Assert.Equal(code, response.Body.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(response.Body.GetProperty("message").GetString()));
    }

    public static async Task<JsonElement> Stamp(this HttpClient client, string content)
    {
        var r = await client.Post("v1/stamps", new { content });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return r.Body;
    }

    public static async Task<NoteVerifier> LogVerifier(this HttpClient client)
    {
        var (status, key) = await client.Get("v1/log/key", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(NoteVerifier.TryParse(key.GetProperty("verifier_key").GetString()!, out var verifier));
        return verifier!;
    }

    /// <summary>Fetches /checkpoint and checks its signature with the log's key.</summary>
    public static async Task<(Checkpoint Checkpoint, string Note)> Checkpoint(this HttpClient client)
    {
        var verifier = await client.LogVerifier();
        var note = await client.GetStringAsync("checkpoint");
        var opened = Note.Open(Encoding.UTF8.GetBytes(note), [verifier]);
        Assert.True(Merkle.Checkpoint.TryParse(opened.Text, out var cp));
        return (cp!, note);
    }

    /// <summary>Polls until a checkpoint covers at least <paramref name="size"/> entries (published at least once a second).</summary>
    public static async Task<(Checkpoint Checkpoint, string Note)> CheckpointCovering(this HttpClient client, long size)
    {
        // A minute: checkpoints come about every second, but on a loaded 2-core machine a test server can fall far behind.
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            var cp = await client.Checkpoint();
            if (cp.Checkpoint.Size >= size) return cp;
            await Task.Delay(50);
        }
        throw new TimeoutException($"no checkpoint of size {size} was published within a minute");
    }

    public static async Task<long> TreeSize(this HttpClient client) => (await client.Get("readyz", key: null)).Body.GetProperty("tree_size").GetInt64();

    public static Hash[] Hashes(this JsonElement proof) => [.. proof.EnumerateArray().Select(e => Hash.TryParseBase64(e.GetString(), out var h) ? h : throw new FormatException(e.GetString()))];
}

/// <summary>One server per test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public async Task InitializeAsync() => Server = await ServerProcess.Start();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}
