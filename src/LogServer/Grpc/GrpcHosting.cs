using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Attest.LogServer.Grpc;

/// <summary>
/// Listening, the ASP.NET way: Kestrel's endpoints from configuration (appsettings.json), REST on
/// <c>Kestrel:Endpoints:Http</c> (HTTP/1.1 and HTTP/2) and gRPC on <c>Kestrel:Endpoints:Grpc</c> (HTTP/2 only: a
/// cleartext port that also speaks HTTP/1.1 cannot take gRPC clients' prior-knowledge HTTP/2; a <c>Certificate</c>
/// there gives TLS with ALPN h2). As ASP.NET documents, configured endpoints take precedence over <c>--urls</c>,
/// which Kestrel then ignores with a warning. Port 0 binds a free port; the bound addresses are printed once the
/// server listens (<see cref="Report"/>), so callers never pick a port themselves.
/// </summary>
public static class GrpcHosting
{
    /// <summary>The REST endpoint's name under <c>Kestrel:Endpoints</c>.</summary>
    public const string RestEndpoint = "Http";

    /// <summary>The gRPC endpoint's name under <c>Kestrel:Endpoints</c>.</summary>
    public const string GrpcEndpoint = "Grpc";

    public static void ConfigureAttestEndpoints(this WebApplicationBuilder builder)
    {
        var grpc = new GrpcListener();
        builder.Services.AddSingleton(grpc);
        // The same loader the web host sets up (section "Kestrel", reloaded on change), set again only to keep the gRPC
        // endpoint's ListenOptions: Kestrel writes the port it bound into them.
        builder.WebHost.ConfigureKestrel((context, kestrel) => kestrel
            .Configure(context.Configuration.GetSection("Kestrel"), reloadOnChange: true)
            .Endpoint(GrpcEndpoint, endpoint => grpc.Options = endpoint.ListenOptions));
    }

    /// <summary>
    /// One line on stdout once Kestrel listens: <c>attest: listening rest=&lt;url&gt;[,&lt;url&gt;] grpc=&lt;url&gt;</c>, with the
    /// ports it bound (for port 0, the ones the system chose). Tests and the load tool read their addresses from it.
    /// </summary>
    public static void Report(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var grpc = app.Services.GetRequiredService<GrpcListener>();
        string rest = string.Join(',', addresses.Where(a => !grpc.Serves(a)));
        string grpcUrls = string.Join(',', addresses.Where(grpc.Serves));
        Console.Out.WriteLine($"attest: listening rest={rest} grpc={grpcUrls}");
        Console.Out.Flush();
    }

    /// <summary>The gRPC endpoint as Kestrel bound it, so the rest of the server can tell its addresses and connections apart.</summary>
    public sealed class GrpcListener
    {
        public ListenOptions? Options { get; internal set; }

        /// <summary>Whether a bound address (as <see cref="IServerAddressesFeature"/> lists it) is the gRPC endpoint's.</summary>
        public bool Serves(string address) => Options?.EndPoint switch
        {
            IPEndPoint ip => Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Port == ip.Port,
            UnixDomainSocketEndPoint unix => address.EndsWith(":" + unix, StringComparison.Ordinal),
            _ => false,
        };
    }
}
