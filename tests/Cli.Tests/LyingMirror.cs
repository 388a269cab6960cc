using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Attest.Cli.Tests;

/// <summary>An HTTP mirror of a real log that passes every GET through, after <c>tamper(path, body)</c>.</summary>
public sealed class LyingMirror : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient upstream;
    private int tampered;

    private LyingMirror(WebApplication app, HttpClient upstream) => (this.app, this.upstream) = (app, upstream);

    /// <summary>The port the system chose, known once it has started.</summary>
    public string Url => app.Urls.Single();

    public int Tampered => Volatile.Read(ref tampered);

    public static async Task<LyingMirror> Start(Uri target, Func<string, byte[], byte[]> tamper)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0").PreferHostingUrls(true); // not the endpoints of the server's appsettings.json beside the tests
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var mirror = new LyingMirror(app, new HttpClient { BaseAddress = target });
        app.MapGet("/{**path}", async (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            string path = context.Request.Path.Value!;
            using var response = await mirror.upstream.GetAsync(path.TrimStart('/') + context.Request.QueryString);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            byte[] served = tamper(path, (byte[])body.Clone());
            if (!served.AsSpan().SequenceEqual(body)) Interlocked.Increment(ref mirror.tampered);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await context.Response.Body.WriteAsync(served);
        });
        await app.StartAsync();
        return mirror;
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        upstream.Dispose();
    }
}
