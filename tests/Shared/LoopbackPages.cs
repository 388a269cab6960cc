using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Attest.Tests.Shared;

/// <summary>
/// A real HTTP server (Kestrel) on a loopback port, serving the pages a URL stamp's snapshot is tested against: a
/// page, bodies of a given size with and without Content-Length, a page that never answers, redirects anywhere, and
/// oversized headers. It counts the requests of each path, so a test can tell a refused fetch never reached it.
/// </summary>
public sealed class LoopbackPages : IAsyncDisposable
{
    public const string PageText = "<html><body>the page as it was</body></html>";

    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, int> hits = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> holds = new();

    private LoopbackPages(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public int Port => BaseAddress.Port;

    /// <summary>The page's URL on 127.0.0.1, made unique by a query so each test's stamp has a content hash of its own.</summary>
    public string Url(string path) => new Uri(BaseAddress, path).AbsoluteUri + (path.Contains('?') ? "&" : "?") + "n=" + Guid.NewGuid().ToString("N");

    public int Hits(string path) => hits.TryGetValue(path, out int n) ? n : 0;

    /// <summary>Lets the requests to <c>/hold/{name}</c> answer (<see cref="PageText"/>); until then they wait.</summary>
    public void Release(string name) => Hold(name).TrySetResult();

    private TaskCompletionSource Hold(string name) => holds.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public static async Task<LoopbackPages> Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // The tests' directory holds the server's appsettings.json, whose endpoints would win over UseUrls.
        builder.WebHost.PreferHostingUrls(true);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var pages = new LoopbackPages(app);
        app.Use((context, next) =>
        {
            pages.hits.AddOrUpdate(context.Request.Path.Value!, 1, (_, n) => n + 1);
            return next(context);
        });
        app.MapGet("/page", () => Results.Text(PageText, "text/html"));
        // Chunked: the size is known only while reading.
        app.MapGet("/chunked/{size:int}", async (int size, HttpResponse response) =>
        {
            var chunk = new byte[4096];
            Array.Fill(chunk, (byte)'x');
            for (int sent = 0; sent < size; sent += chunk.Length)
            {
                await response.Body.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, size - sent)));
                await response.Body.FlushAsync();
            }
        });
        app.MapGet("/sized/{size:int}", (int size) => Results.Bytes(new byte[size], "application/octet-stream"));
        app.MapGet("/never", async (HttpContext context) => await Task.Delay(Timeout.Infinite, context.RequestAborted));
        app.MapGet("/stalls", async (HttpContext context) =>
        {
            await context.Response.Body.WriteAsync("<html>"u8.ToArray());
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        app.MapGet("/hold/{name}", async (string name, HttpContext context) =>
        {
            await pages.Hold(name).Task.WaitAsync(context.RequestAborted);
            return Results.Text(PageText, "text/html");
        });
        // Promises more than it sends, then drops the connection.
        app.MapGet("/cut", async (HttpContext context) =>
        {
            context.Response.ContentLength = 1000;
            await context.Response.Body.WriteAsync("<html>"u8.ToArray());
            await context.Response.Body.FlushAsync();
            context.Abort();
        });
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.MapGet("/loop", () => Results.Redirect("/loop"));
        app.MapGet("/missing", () => Results.NotFound());
        app.MapGet("/huge-headers", (HttpResponse response) =>
        {
            for (int i = 0; i < 40; i++) response.Headers[$"X-Filler-{i}"] = new string('y', 1000);
            return Results.Text(PageText);
        });
        await app.StartAsync();
        pages.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return pages;
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2))) await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }
}
