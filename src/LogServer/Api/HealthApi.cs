using Attest.LogServer.Log;

namespace Attest.LogServer.Api;

public static class HealthApi
{
    public static void MapHealthApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => Json.Result(new { status = "ok" }));
        // Anchoring never makes the server unready (minting does not depend on it); its lag is shown here.
        // Nor does witnessing: in hold mode entries are still accepted; checkpoint_size then lags tree_size.
        app.MapGet("/readyz", (TransparencyLog log, Anchor.Anchorer anchorer, Witnessing.CheckpointWitnessing witnessing) => log.Corruption is { } corruption
            ? Json.Result(new { status = "unavailable", reason = "entry_log_corrupt", message = corruption, tree_size = log.Size, checkpoint_size = log.Latest.Size }, 503)
            : Json.Result(new
        {
            status = "ready",
            tree_size = log.Size,
            checkpoint_size = log.Latest.Size,
            anchoring = anchorer.Status(),
            witnessing = witnessing.Status(),
        }));
    }
}
