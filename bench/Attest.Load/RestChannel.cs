using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attest.Load;

/// <summary>
/// REST over HTTP/1.1 keep-alive with the admin key (exempt from rate limits). The handler opens one connection per
/// concurrent request and keeps it, so each client of the load has its own connection.
/// </summary>
public sealed class RestChannel(Uri baseAddress, string adminKey) : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10), AllowAutoRedirect = false })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", adminKey) },
    };

    /// <summary>Null when the answer has <paramref name="expected"/> status, else "http &lt;status&gt;". The body is read and dropped.</summary>
    public async ValueTask<string?> Send(HttpMethod method, string path, byte[]? json, string? idempotencyKey, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = JsonType;
        }
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using (var body = await response.Content.ReadAsStreamAsync()) await body.CopyToAsync(Stream.Null);
        return response.StatusCode == expected ? null : $"http {(int)response.StatusCode}";
    }

    /// <summary>
    /// Null when the answer has one of the <paramref name="expected"/> statuses, else "http &lt;status&gt;": a body of
    /// another media type (SCITT's application/cose). Redirects are answers here, not followed.
    /// </summary>
    public async ValueTask<string?> SendBody(HttpMethod method, string path, byte[] body, MediaTypeHeaderValue contentType, params HttpStatusCode[] expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = contentType;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using (var stream = await response.Content.ReadAsStreamAsync()) await stream.CopyToAsync(Stream.Null);
        return expected.Contains(response.StatusCode) ? null : $"http {(int)response.StatusCode}";
    }

    /// <summary>For setting up: a JSON request that must succeed, and its answer.</summary>
    public async Task<JsonElement> Json(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public void Dispose() => http.Dispose();
}
