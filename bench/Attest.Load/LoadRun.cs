using System.Diagnostics;

namespace Attest.Load;

/// <summary>
/// Drives a <see cref="Request"/> with <c>clients</c> concurrent workers for a warm-up and then the measured
/// duration. Requests that start in the measured window are counted, including those still running when it ends.
/// </summary>
public static class LoadRun
{
    /// <summary>
    /// Closed loop (<paramref name="rate"/> null): each worker sends its next request as soon as the last one is
    /// answered, and latency is that request's own time. Open loop: request k is scheduled at k / rate seconds, and
    /// its latency is measured from that scheduled time, so time spent waiting for a free worker behind a slow reply
    /// counts (no coordinated omission). Scheduled requests that could not be sent before the end count as errors.
    /// Timers here wake about 1 ms late, so a worker wakes 1 ms early and sends at most that much before schedule;
    /// such a request is timed from when it was really sent.
    /// </summary>
    public static async Task<Recording> Run(Request request, int clients, TimeSpan warmup, TimeSpan duration, double? rate)
    {
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + Ticks(warmup), end = measureFrom + Ticks(duration);
        long next = -1;
        double interval = rate is { } r ? Stopwatch.Frequency / r : 0;
        long early = Ticks(TimeSpan.FromMilliseconds(1));
        var recorders = Enumerable.Range(0, clients).Select(_ => new Recording()).ToArray();

        async Task Worker(int worker)
        {
            await Task.Yield();
            var recording = recorders[worker];
            while (true)
            {
                long scheduled;
                if (rate is null)
                {
                    scheduled = Stopwatch.GetTimestamp();
                    if (scheduled >= end) return;
                }
                else
                {
                    scheduled = start + (long)(Interlocked.Increment(ref next) * interval);
                    // Behind schedule at the end, the rest of the backlog is not sent: it is counted below instead.
                    long now = Stopwatch.GetTimestamp();
                    if (scheduled >= end || now >= end) return;
                    // A backlog left by the warm-up (a fresh server is slow while it JIT-compiles) is dropped, not
                    // carried into the measured window, where it would show as latency of the warm-up's making.
                    if (scheduled < measureFrom && now >= measureFrom) continue;
                    long wait = scheduled - early - now;
                    if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }
                long sent = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    error = await request(worker);
                }
                catch (Exception e)
                {
                    error = e is HttpRequestException h && h.HttpRequestError != HttpRequestError.Unknown ? $"exception {h.HttpRequestError}" : $"exception {e.GetType().Name}";
                }
                long done = Stopwatch.GetTimestamp();
                if (scheduled >= measureFrom) recording.Add((int)((scheduled - measureFrom) / Stopwatch.Frequency), done - Math.Min(scheduled, sent), error);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(Worker));
        var all = Recording.Merge(recorders);
        if (rate is not null)
        {
            long slots = (long)Math.Ceiling((end - start) / interval) - (long)Math.Ceiling((measureFrom - start) / interval);
            all.AddErrors("not sent: the open loop fell behind its schedule", slots - all.Ok - all.ErrorCount);
        }
        return all;
    }

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);
}
