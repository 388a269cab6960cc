using Attest.LogServer.Log;

namespace Attest.LogServer.Api;

public static class HealthApi
{
    public static void MapHealthApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => Json.Result(new { status = "ok" }));
        // Anchoring never makes the server unready (minting does not depend on it); its lag is shown here.
        // Nor does witnessing: in hold mode entries are still accepted; checkpoint_size then lags tree_size.
        // Unready only when the log takes no writes after a storage failure (Sequencer.Fault): the reason, not the exception.
        app.MapGet("/readyz", (TransparencyLog log, Sequencer sequencer, Anchor.Anchorer anchorer, Witnessing.CheckpointWitnessing witnessing) =>
            sequencer.FaultReason is { } reason ? Json.Result(new
        {
            status = "unavailable",
            reason,
            tree_size = log.Size,
            checkpoint_size = log.Latest.Size,
        }, 503) : Json.Result(new
        {
            status = "ready",
            tree_size = log.Size,
            checkpoint_size = log.Latest.Size,
            anchoring = anchorer.Status(),
            witnessing = witnessing.Status(),
        }));
    }
}
