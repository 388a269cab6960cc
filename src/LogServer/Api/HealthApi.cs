using Attest.LogServer.Log;

namespace Attest.LogServer.Api;

public static class HealthApi
{
    public static void MapHealthApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => Json.Result(new { status = "ok" }));
        app.MapGet("/readyz", (TransparencyLog log) => Json.Result(new
        {
            status = "ready",
            tree_size = log.Size,
            checkpoint_size = log.Latest.Size,
        }));
    }
}
