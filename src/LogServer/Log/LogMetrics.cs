using System.Diagnostics.Metrics;

namespace Attest.LogServer.Log;

/// <summary>
/// The write path's own timings, as .NET metrics (meter <c>Attest.Log</c>): what the sequencer spends between a
/// submission and its acknowledgement, so a slow request can be placed inside the log or outside it (Kestrel, the
/// handler, the client). Exported through OpenTelemetry (Observability/Metrics.cs: <c>/metrics</c>, OTLP), or read live
/// with <c>dotnet-counters monitor -p &lt;pid&gt; --counters Attest.Log</c>. Durations are in milliseconds; each sequencer
/// has its own meter, disposed with it.
/// </summary>
public sealed class LogMetrics : IDisposable
{
    public const string MeterName = "Attest.Log";

    public LogMetrics()
    {
        Meter = new Meter(MeterName);
        Append = Meter.CreateHistogram<double>("attest.log.append.duration", "ms", "From a record's submission to its acknowledgement: durable and integrated.");
        QueueWait = Meter.CreateHistogram<double>("attest.log.queue.duration", "ms", "How long the oldest record of a batch waited before its batch was taken.");
        Commit = Meter.CreateHistogram<double>("attest.log.commit.duration", "ms", "A batch's durable commit to the entry log.");
        Integrate = Meter.CreateHistogram<double>("attest.log.integrate.duration", "ms", "From a batch's commit to its acknowledgement: waiting for the integrator, then hashing, addressing and indexing.");
        BatchSize = Meter.CreateHistogram<int>("attest.log.batch.size", "{record}", "Records per durable commit.");
    }

    public Meter Meter { get; }

    public Histogram<double> Append { get; }

    public Histogram<double> QueueWait { get; }

    public Histogram<double> Commit { get; }

    public Histogram<double> Integrate { get; }

    public Histogram<int> BatchSize { get; }

    public void Dispose() => Meter.Dispose();
}
