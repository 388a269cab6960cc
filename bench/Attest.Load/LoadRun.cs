using System.Collections.Concurrent;
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
    /// answered, and latency is that request's own time. Open loop: see <see cref="OpenLoop"/>.
    /// </summary>
    public static Task<Recording> Run(Request request, int clients, TimeSpan warmup, TimeSpan duration, double? rate, SlowRequests? slow = null) =>
        rate is { } r ? OpenLoop(request, clients, warmup, duration, r, slow) : ClosedLoop(request, clients, warmup, duration, slow);

    private static async Task<Recording> ClosedLoop(Request request, int clients, TimeSpan warmup, TimeSpan duration, SlowRequests? slow)
    {
        long measureFrom = Stopwatch.GetTimestamp() + Ticks(warmup), end = measureFrom + Ticks(duration);
        var recorders = Enumerable.Range(0, clients).Select(_ => new Recording()).ToArray();

        async Task Worker(int worker)
        {
            await Task.Yield();
            for (long sent; (sent = Stopwatch.GetTimestamp()) < end;)
            {
                string? error = await Send(request, worker);
                if (sent < measureFrom) continue;
                long ticks = Stopwatch.GetTimestamp() - sent;
                recorders[worker].Add(Second(sent, measureFrom), ticks, error);
                slow?.Add(sent, ticks);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(Worker));
        return Recording.Merge(recorders);
    }

    /// <summary>
    /// Request k is due at k / <paramref name="rate"/> seconds, and its latency is measured from then, so time spent
    /// waiting for a free worker behind a slow reply counts (no coordinated omission). Due requests that could not
    /// be sent before the end count as errors.
    /// </summary>
    /// <remarks>
    /// One dispatcher thread sends every request itself, at its instant (<see cref="Pacer"/>) or, when requests come
    /// more often than it may wake, with the others due since (<see cref="Pacer.WakeInterval"/>). With a timer per worker
    /// instead, HTTP proofs at 1,000/s against an idle server had a p50 of 0.61 ms, against 0.26 ms now
    /// (docs/PERFORMANCE.md, "The load tool's clients and open loop"). A reply completes wherever its client
    /// completes it, and frees its worker there.
    /// </remarks>
    private static Task<Recording> OpenLoop(Request request, int clients, TimeSpan warmup, TimeSpan duration, double rate, SlowRequests? slow) =>
        Task.Factory.StartNew(() =>
        {
            Thread.CurrentThread.Name = "open-loop dispatcher";
            return Dispatch(request, clients, warmup, duration, rate, slow);
        }, TaskCreationOptions.LongRunning); // a thread of its own, not a pool thread

    private static Recording Dispatch(Request request, int clients, TimeSpan warmup, TimeSpan duration, double rate, SlowRequests? slow)
    {
        var pacer = new Pacer();
        var recorders = Enumerable.Range(0, clients).Select(_ => new Recording()).ToArray();
        using var idle = new BlockingCollection<int>(new ConcurrentStack<int>(Enumerable.Range(0, clients)));
        double interval = Stopwatch.Frequency / rate;
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + Ticks(warmup), end = measureFrom + Ticks(duration);

        async Task Track(int worker, long scheduled, long sent)
        {
            string? error = await Send(request, worker);
            if (scheduled >= measureFrom)
            {
                long ticks = Stopwatch.GetTimestamp() - scheduled;
                recorders[worker].Add(Second(scheduled, measureFrom), ticks, error, sent - scheduled);
                slow?.Add(scheduled, ticks);
            }
            idle.Add(worker);
        }

        for (long k = 0; ; k++)
        {
            long scheduled = start + (long)(k * interval);
            if (scheduled >= end) break;
            pacer.WaitFor(scheduled);
            int worker = idle.Take();
            long now = Stopwatch.GetTimestamp();
            // Behind schedule at the end, the rest of the backlog is not sent: it is counted below instead.
            if (now >= end)
            {
                idle.Add(worker);
                break;
            }
            // A warm-up request that cannot go on time is dropped, not sent late. A fresh server is slow while it
            // JIT-compiles, and the backlog it built at 10,000 mints/s took the whole 25 s warm-up and more to drain:
            // carried into the measured window, it showed as latency of the warm-up's making (docs/PERFORMANCE.md,
            // "The load tool's clients and open loop").
            if (scheduled < measureFrom && (now >= measureFrom || now - scheduled > WarmupSlack))
            {
                idle.Add(worker);
                continue;
            }
            _ = Track(worker, scheduled, now);
        }
        for (int i = 0; i < clients; i++) idle.Take(); // every worker back: every reply recorded

        var all = Recording.Merge(recorders);
        long slots = (long)Math.Ceiling((end - start) / interval) - (long)Math.Ceiling((measureFrom - start) / interval);
        all.AddErrors("not sent: the open loop fell behind its schedule", slots - all.Ok - all.ErrorCount);
        return all;
    }

    private static async ValueTask<string?> Send(Request request, int worker)
    {
        try
        {
            return await request(worker);
        }
        catch (Exception e)
        {
            return e is HttpRequestException h && h.HttpRequestError != HttpRequestError.Unknown ? $"exception {h.HttpRequestError}" : $"exception {e.GetType().Name}";
        }
    }

    private static readonly long WarmupSlack = Stopwatch.Frequency / 100;

    private static int Second(long timestamp, long measureFrom) => (int)((timestamp - measureFrom) / Stopwatch.Frequency);

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);
}
