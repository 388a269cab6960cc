using System.Net;

namespace Attest.LogServer.Tests.Hosting;

/// <summary><c>/metrics</c>: OpenTelemetry's Prometheus exporter, scraped from a real server.</summary>
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
}
