using Attest.LogServer;
using Attest.LogServer.Anchor;
using Attest.LogServer.Api;
using Attest.LogServer.Grpc;
using Attest.LogServer.Log;
using Attest.LogServer.Observability;

// appsettings.json (the endpoints among its defaults) is read from beside the server's assembly, wherever it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var options = builder.Configuration.GetSection("Attest").Get<AttestOptions>() ?? new AttestOptions();
// Settings are checked before anything starts; a problem names the setting, never a secret value.
if (!AnchorSetup.TryCreate(options.Anchor, out var anchor, out var problem)
    || !Attest.LogServer.Witnessing.WitnessSetup.TryCreate(options, out var witnesses, out problem)
    || !WebPage.TryValidate(options.Web, out problem)
    || !options.Limits.TryValidate(out problem)
    || !Attest.LogServer.Service.KeyVault.TryValidate(options, out problem))
{
    Console.Error.WriteLine(problem);
    return 2;
}
Attest.LogServer.Storage.DataDirectory.Prepare(options.DataDir); // umask 077 first: nothing below may create a readable file
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
// Hosting creates an Activity and a log scope for every request while its logger is enabled at any level. Its logs
// are per-request lines that nobody reads here, and the Activity, the scope and the execution contexts they fork
// cost ~0.7 KB a request. A tracing listener (OpenTelemetry) still gets its Activities.
builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
builder.ConfigureAttestEndpoints();
builder.Services.AddAttestLog(options, anchor, witnesses);
builder.Services.AddPublicCors();
builder.Services.AddPublicRateLimits(options.RateLimits);
builder.Services.AddOpenApi();
builder.Services.AddAttestMetrics(builder.Configuration);
builder.Services.AddAttestGrpc(options);
builder.Services.AddAttestAuth(options);

var app = builder.Build();
app.Services.GetRequiredService<ApiKeys>(); // generates and shows the admin key at first start, not at first request
app.Services.GetRequiredService<Attest.LogServer.Service.KeyVault>(); // warns at every start of a key kept in the data dir
app.UseJsonErrors();
app.UseCors();
app.UsePublicRateLimits();
app.UseAttestAuth();
app.UseGrpcLimits();
app.MapOpenApi();
app.MapLogApi();
app.MapStampApi();
app.MapIssuerApi();
app.MapAttestationApi();
app.MapVerifyApi();
app.MapAnchorApi();
app.MapHealthApi();
app.MapWebPage(options.Web);
app.MapAttestGrpc();
app.MapPrometheusScrapingEndpoint();
app.Lifetime.ApplicationStarted.Register(() => GrpcHosting.Report(app));
app.Run();
return 0;

public partial class Program;
