using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Attest.LogServer.Tests.Hosting;

/// <summary>Metrics through OpenTelemetry: scraped at <c>/metrics</c> (Prometheus text format) and pushed by OTLP when configured.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task after_a_mint_metrics_shows_the_logs_and_aspnet_cores_request_series_in_prometheus_format()
    {
        await using var server = await ServerProcess.Start();
        string issuerId = await server.Client.CreateIssuer();
        string kid = (await server.Client.CreateKey(issuerId)).Str("kid");
        await server.Client.Mint(AttestApi.MintBody(issuerId, kid));

        using var response = await server.Client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');
        // Prometheus text format: a sample line is "name{labels} value"; the mint's append was measured once at least.
        Assert.Contains(lines, l => l.StartsWith("attest_log_append_duration_milliseconds_count{", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains("http_route=\"/v1/attestations/mint\"", StringComparison.Ordinal) && l.Contains("http_response_status_code=\"201\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal));
    }

    [Fact]
    public async Task with_an_otlp_endpoint_configured_the_server_pushes_its_metrics_over_otlp_http()
    {
        // A collector stand-in that keeps what OTLP/HTTP posts to /v1/metrics (opentelemetry.io/docs/specs/otlp, "OTLP/HTTP").
        var received = new TaskCompletionSource<(string ContentType, byte[] Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0").PreferHostingUrls(true); // not the endpoints of the server's appsettings.json beside the tests
        builder.Logging.ClearProviders();
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            byte[] bytes = body.ToArray();
            // Exports come every 200 ms from the start; the one to check is the first after the stamp's append was measured.
            if (Contains(bytes, "attest.log.append.duration")) received.TrySetResult((context.Request.ContentType ?? "", bytes));
            return Results.Ok();
        });
        await collector.StartAsync();

        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Urls.Single(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        await server.Client.Stamp("measured");

        var (contentType, exported) = await received.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("application/x-protobuf", contentType);
        // Cumulative, so the requests before the stamp are in it too; and the runtime's meter.
        Assert.True(Contains(exported, "http.server.request.duration"));
        Assert.True(Contains(exported, "dotnet.gc.heap.total_allocated"));
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
