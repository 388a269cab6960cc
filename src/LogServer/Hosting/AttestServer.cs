using Attest.LogServer.Api;
using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Grpc;
using Attest.LogServer.Log;
using Attest.LogServer.Observability;
using Attest.LogServer.Service;

namespace Attest.LogServer.Hosting;

/// <summary>
/// The composition root: what the server registers, the order of its middleware, and the endpoints it maps. Each area
/// registers and maps its own parts (<c>AddAttestLog</c>, <c>MapLogApi</c>, ...); this class only says which, in
/// what order. Program.cs calls these steps one after the other.
/// </summary>
public static class AttestServer
{
    /// <summary>
    /// The web host. Its appsettings.json (the endpoints among its defaults) is read from beside the server's
    /// assembly, wherever the server is started from.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

    /// <summary>Kestrel's limits and endpoints, logging, and every service.</summary>
    public static void AddAttest(this WebApplicationBuilder builder, AttestSettings settings)
    {
        var options = settings.Options;
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        // Hosting creates an Activity and a log scope for every request while its logger is enabled at any level. Its logs
        // are per-request lines that nobody reads here, and the Activity, the scope and the execution contexts they fork
        // cost ~0.7 KB a request. A tracing listener (OpenTelemetry) still gets its Activities.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // gRPC logs every error status it sends, with its detail, at Information: a refused call would write the caller's
        // text (newlines, terminal escapes) into the log, where a refused REST request writes nothing.
        builder.Logging.AddFilter("Grpc.AspNetCore.Server.ServerCallHandler", LogLevel.Warning);
        builder.ConfigureAttestEndpoints();
        builder.Services.AddAttestLog(options, settings.Anchor, settings.Witnesses);
        builder.Services.AddPublicCors();
        builder.Services.AddPublicRateLimits(options.RateLimits);
        builder.Services.AddApiReference();
        builder.Services.AddAttestMetrics(builder.Configuration);
        builder.Services.AddAttestGrpc(options);
        builder.Services.AddAttestAuth(options);
        builder.Services.AddAttestMail(options);
        builder.Services.AddReceipts();
    }

    /// <summary>
    /// What must happen at start rather than at the first request, then the middleware, outermost first (JSON errors
    /// wrap everything after them).
    /// </summary>
    public static void UseAttest(this WebApplication app)
    {
        app.Services.GetRequiredService<ApiKeys>(); // generates and shows the admin key at first start, not at first request
        app.Services.GetRequiredService<KeyVault>(); // warns at every start of a key kept in the data dir
        app.Services.GetRequiredService<Scitt.ServiceKey>(); // generates the receipt key at first start, and refuses a bad one before listening
        app.UseJsonErrors();
        app.UseCors();
        app.UsePublicRateLimits();
        app.UseAttestAuth();
        app.UseGrpcLimits();
    }

    /// <summary>Every endpoint: OpenAPI, the REST areas, the web page, gRPC and the metrics; then the listening line once bound.</summary>
    public static void MapAttest(this WebApplication app, AttestSettings settings)
    {
        app.MapApiReference();
        app.MapLogApi();
        app.MapStampApi();
        app.MapIssuerApi();
        app.MapAttestationApi();
        app.MapVerifyApi();
        app.MapAnchorApi();
        app.MapHealthApi();
        app.MapDeliveryApi();
        app.MapReceiptApi();
        app.MapScittApi();
        app.MapWebPage(settings.Options.Web);
        app.MapAttestGrpc();
        app.MapPrometheusScrapingEndpoint();
        app.Lifetime.ApplicationStarted.Register(() => GrpcHosting.Report(app));
    }
}
