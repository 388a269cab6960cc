using System.Diagnostics;

namespace Attest.Load;

/// <summary>
/// Every successful request's latency (Stopwatch ticks) and the count of each error. A minute at tens of thousands
/// of requests a second is a few million longs, so exact percentiles need no histogram.
/// </summary>
public sealed class Recording
{
    private readonly List<long> latencies = [], waits = [];
    private readonly Dictionary<string, long> errors = [];

    public long Ok => latencies.Count;

    public IReadOnlyDictionary<string, long> Errors => errors;

    public long ErrorCount => errors.Values.Sum();

    /// <summary>
    /// Per second of the measured window (by when each request started or was scheduled): how many succeeded, how
    /// many failed, and the slowest. A stall or a periodic pause shows here, where the percentiles hide when it was.
    /// </summary>
    public List<Second> Timeline { get; } = [];

    public record struct Second(long Ok, long Errors, double MaxMs);

    /// <summary>
    /// Not thread-safe: one recording per worker, merged at the end. <paramref name="waitTicks"/> is the part of
    /// <paramref name="ticks"/> an open loop's request spent due but unsent (waiting for a free client, or for the dispatcher).
    /// </summary>
    public void Add(int second, long ticks, string? error, long? waitTicks = null)
    {
        if (waitTicks is { } w) waits.Add(w);
        if (error is null) latencies.Add(ticks);
        else errors[error] = errors.GetValueOrDefault(error) + 1;
        while (Timeline.Count <= second) Timeline.Add(default);
        var s = Timeline[second];
        Timeline[second] = error is null ? s with { Ok = s.Ok + 1, MaxMs = Math.Max(s.MaxMs, Ms(ticks)) } : s with { Errors = s.Errors + 1 };
    }

    public void AddErrors(string error, long count)
    {
        if (count > 0) errors[error] = errors.GetValueOrDefault(error) + count;
    }

    public static Recording Merge(IEnumerable<Recording> parts)
    {
        var all = new Recording();
        foreach (var p in parts)
        {
            all.latencies.AddRange(p.latencies);
            all.waits.AddRange(p.waits);
            foreach (var (k, v) in p.errors) all.errors[k] = all.errors.GetValueOrDefault(k) + v;
            for (int i = 0; i < p.Timeline.Count; i++)
            {
                while (all.Timeline.Count <= i) all.Timeline.Add(default);
                var (a, b) = (all.Timeline[i], p.Timeline[i]);
                all.Timeline[i] = new Second(a.Ok + b.Ok, a.Errors + b.Errors, Math.Max(a.MaxMs, b.MaxMs));
            }
        }
        all.latencies.Sort();
        all.waits.Sort();
        return all;
    }

    /// <summary>The successful requests' latencies (after <see cref="Merge"/>).</summary>
    public Latency Latencies => Summary(latencies);

    /// <summary>How late an open loop sent its requests (every one sent in the window), or null in a closed loop.</summary>
    public Latency? Waits => waits.Count == 0 ? null : Summary(waits);

    /// <summary>p50, p90, p99, p99.9 and max of sorted Stopwatch ticks, in milliseconds.</summary>
    public static Latency Summary(List<long> sorted) =>
        new(Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), Percentile(sorted, 99.9), Percentile(sorted, 100));

    /// <summary>Nearest-rank percentile of sorted Stopwatch ticks, in milliseconds (NaN when there are none).</summary>
    public static double Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : Ms(sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)]);

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
