using System.Diagnostics;

namespace Attest.Load;

/// <summary>
/// Every successful request's latency (Stopwatch ticks) and the count of each error. A minute at tens of thousands
/// of requests a second is a few million longs, so exact percentiles need no histogram.
/// </summary>
public sealed class Recording
{
    private readonly List<long> latencies = [];
    private readonly Dictionary<string, long> errors = [];

    public long Ok => latencies.Count;

    public IReadOnlyDictionary<string, long> Errors => errors;

    public long ErrorCount => errors.Values.Sum();

    /// <summary>Not thread-safe: one recording per worker, merged at the end.</summary>
    public void Add(long ticks, string? error)
    {
        if (error is null) latencies.Add(ticks);
        else errors[error] = errors.GetValueOrDefault(error) + 1;
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
            foreach (var (k, v) in p.errors) all.errors[k] = all.errors.GetValueOrDefault(k) + v;
        }
        all.latencies.Sort();
        return all;
    }

    /// <summary>Nearest-rank percentile of the successful requests, in milliseconds (after <see cref="Merge"/>).</summary>
    public double Percentile(double p) =>
        latencies.Count == 0 ? double.NaN : Ms(latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Count) - 1, 0, latencies.Count - 1)]);

    public double Max => latencies.Count == 0 ? double.NaN : Ms(latencies[^1]);

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
