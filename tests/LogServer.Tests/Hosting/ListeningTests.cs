using System.Net;

namespace Attest.LogServer.Tests.Hosting;

/// <summary>Kestrel's endpoints from configuration, <c>--urls</c> beside them, and the addresses the server reports.</summary>
public sealed class ListeningTests
{
    [Fact]
    public async Task urls_and_the_configured_http_endpoint_on_the_same_address_start_one_rest_listener_as_aspnet_documents()
    {
        // A fixed port: the reproduction needs both settings to name the same address.
        string url;
        using (var reserved = new ReservedPort()) url = reserved.Url;
        await using var server = await ServerProcess.Start(
            settings: new Dictionary<string, string> { ["Kestrel__Endpoints__Http__Url"] = url },
            arguments: ["--urls", url]);

        Assert.Equal(url + "/", server.BaseAddress.ToString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.Get("healthz", key: null)).Status);
        var report = Assert.Single(server.Output.Split('\n'), l => l.StartsWith(Listening.Prefix, StringComparison.Ordinal));
        Assert.Contains($"rest={url} ", report);
        // Kestrel:Endpoints takes precedence over --urls, which Kestrel says it ignores (learn.microsoft.com, "Configure endpoints for Kestrel").
        Assert.Contains($"Overriding address(es) '{url}'", server.Output);
    }

    [Fact]
    public async Task port_zero_binds_free_ports_and_the_server_reports_both_endpoints()
    {
        await using var server = await ServerProcess.Start();

        Assert.NotEqual(0, server.Port);
        Assert.NotEqual(0, server.GrpcPort);
        Assert.NotEqual(server.Port, server.GrpcPort);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.Get("readyz", key: null)).Status);
        var (status, _) = await RawGrpc.Call(server, "/attest.v1.Log/GetCheckpoint", new Attest.V1.GetCheckpointRequest());
        Assert.Equal(0, status);
    }

    [Fact]
    public async Task the_default_start_prints_no_warning_but_the_documented_one_about_the_key_kept_in_the_data_directory()
    {
        // The README's command: appsettings.json as shipped (log levels included), no admin key; only the ports are free ones.
        await using var server = await ServerProcess.Start(withAdminKey: false, settings: new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Information",
        });
        // The README's first step too: the admin key the server generated, in the data directory.
        string adminKey = File.ReadAllText(Path.Combine(server.DataDir, "admin-key")).Trim();
        var stamp = await server.Client.Post("v1/stamps", new { content = "a first request, for the warnings one may bring" }, adminKey);
        Assert.Equal(HttpStatusCode.Created, stamp.Status);
        await server.Stop();

        var lines = server.Output.Split('\n');
        var warnings = lines.Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["warn: Attest.LogServer.Service.KeyVault[0]"], warnings);
        Assert.Contains(lines, l => l.StartsWith("info: Microsoft.Hosting.Lifetime", StringComparison.Ordinal)); // the levels above let warnings through
    }
}
