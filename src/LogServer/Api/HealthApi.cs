using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Log;

namespace Attest.LogServer.Api;

public static class HealthApi
{
    public static void MapHealthApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => Json.Result(new { status = "ok" })).WithSummary("Liveness").Produces<Health>();
        // Anchoring never makes the server unready (minting does not depend on it); its lag is shown here.
        // Nor does witnessing: in hold mode entries are still accepted; checkpoint_size then lags tree_size.
        // Unready only when the log takes no writes: the reason and a message fit for any client, never the exception.
        app.MapGet("/readyz", (TransparencyLog log, Sequencer sequencer, Anchor.Anchorer anchorer, Witnessing.CheckpointWitnessing witnessing) =>
            Unavailable(log, sequencer) is { } why ? Json.Result(new
        {
            status = "unavailable",
            reason = why.Reason,
            message = why.Message,
            tree_size = log.Size,
            checkpoint_size = log.Latest?.Size ?? 0,
        }, 503) : Json.Result(new
        {
            status = "ready",
            tree_size = log.Size,
            checkpoint_size = log.Latest.Size,
            // Still ready while checkpoints cannot be written (a full disk): writes are acknowledged and durable, reads
            // and the last checkpoint are served, so taking the server out of rotation would refuse what works. What
            // lags (no proof for entries after checkpoint_size) is said here, as for witnessing and anchoring.
            checkpoint_publishing = log.PublishFailure ?? "ok",
            anchoring = anchorer.Status(),
            witnessing = witnessing.Status(),
        })).WithSummary("Readiness: whether the log takes writes, with the anchoring and witnessing lag").Produces<Readiness>()
            .ProducesExample<Readiness>(503, """{"status": "unavailable", "reason": "storage_failure", "message": "the entry log could not be written: No space left on device", "tree_size": 1042, "checkpoint_size": 1040}""");
    }

    /// <summary>
    /// Why the log takes no writes, or null while it does: not open yet (<see cref="TransparencyLog.IsOpen"/>), a
    /// corrupt entry-log record (<see cref="TransparencyLog.Corruption"/>) or a storage failure
    /// (<see cref="Sequencer.Fault"/>). Neither of the last two is ever cleared while the server runs. /readyz and the
    /// gRPC health service both answer from this.
    /// </summary>
    public static (string Reason, string Message)? Unavailable(TransparencyLog log, Sequencer sequencer) =>
        !log.IsOpen ? ("opening", "the log is still opening")
        : log.Corruption is { } corruption ? ("entry_log_corrupt", corruption)
        : sequencer.FaultReason is { } fault ? ("storage_failure", fault)
        : null;

    /// <summary>Completes when <see cref="Unavailable"/> stops being null.</summary>
    public static Task BecameUnavailable(TransparencyLog log, Sequencer sequencer) => Task.WhenAny(log.Corrupted, sequencer.Faulted);
}
