using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Attest.LogServer.Grpc;

/// <summary>
/// Listening: REST on <c>--urls</c> (HTTP/1.1 and HTTP/2), gRPC on its own HTTP/2-only endpoint configured the
/// ASP.NET way, <c>Kestrel:Endpoints:Grpc:Url</c> with <c>Protocols: Http2</c> (default
/// <see cref="DefaultUrl"/>; a <c>Certificate</c> there gives TLS with ALPN h2). gRPC clients cannot use a cleartext
/// port that also speaks HTTP/1.1, hence the separate endpoint.
/// </summary>
public static class GrpcHosting
{
    public const string DefaultUrl = "http://localhost:5001";
    public const string DefaultRestUrl = "http://localhost:5000";

    public static void ConfigureAttestEndpoints(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var defaults = new Dictionary<string, string?>();
        if (config["Kestrel:Endpoints:Grpc:Url"] is null) defaults["Kestrel:Endpoints:Grpc:Url"] = DefaultUrl;
        if (config["Kestrel:Endpoints:Grpc:Protocols"] is null) defaults["Kestrel:Endpoints:Grpc:Protocols"] = "Http2";
        if (defaults.Count > 0) config.AddInMemoryCollection(defaults);

        // With any Kestrel endpoint configured, Kestrel would ignore --urls; so REST listens on them explicitly.
        string urls = config["urls"] ?? DefaultRestUrl;
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var uri = new Uri(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"));
                if (uri.Scheme != "http") throw new InvalidOperationException($"--urls takes http:// addresses ({url}); configure HTTPS under Kestrel:Endpoints");
                Action<ListenOptions> http = o => o.Protocols = HttpProtocols.Http1AndHttp2;
                if (uri.IsLoopback && uri.Host == "localhost") k.ListenLocalhost(uri.Port, http);
                else k.Listen(IPAddress.Parse(uri.Host), uri.Port, http);
            }
        });
    }
}
