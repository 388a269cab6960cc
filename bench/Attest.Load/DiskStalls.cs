using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Attest.Load;

/// <summary>
/// The disk's own stalls during the measured window: a 4 KiB <c>O_DSYNC</c> write a hundred times a second, timed,
/// to a file in <paramref name="Directory"/> (the started server's data directory, so the same file system).
/// </summary>
/// <remarks>
/// Why: a durable log acknowledges nothing while its disk stalls. This machine's virtual disk stalls for 20–280 ms,
/// a few times a minute and at any write rate; the probe's stalls fell on the same instants as the server's slow
/// commits, and a run's p99 follows them (docs/PERFORMANCE.md, "The disk's own stalls"). So every durable figure
/// comes with the stalls of its
/// own window, as the CPU figures come with their steal. At 100 writes a second the probe adds ~2% to the server's
/// own disk writes at 10,000 mints a second.
/// </remarks>
public sealed record DiskStalls(string Directory, int Writes, double P50Ms, double P99Ms, double MaxMs, int Stalls, double StalledMs)
{
    /// <summary>A write slower than this is a stall: ~100 times the disk's median here.</summary>
    public const double StallMs = 20;

    public const int PerSecond = 100, Size = 4096;

    // A thread of its own: the writes block, and a pool thread would take CPU turns from the load.
    public static Task<DiskStalls> Measure(string directory, TimeSpan warmup, TimeSpan duration) =>
        Task.Factory.StartNew(() =>
        {
            Thread.CurrentThread.Name = "disk probe";
            return Run(directory, warmup, duration);
        }, TaskCreationOptions.LongRunning);

    private static DiskStalls Run(string directory, TimeSpan warmup, TimeSpan duration)
    {
        Thread.Sleep(warmup);
        string path = Path.Combine(directory, $"disk-probe-{Environment.ProcessId}");
        var block = new byte[Size];
        var times = new List<long>();
        try
        {
            using (SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.WriteThrough))
            {
                long start = Stopwatch.GetTimestamp(), end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
                for (int i = 0; ; i++)
                {
                    long due = start + i * Stopwatch.Frequency / PerSecond, now = Stopwatch.GetTimestamp();
                    if (now >= end) break;
                    if (due > now) Thread.Sleep(TimeSpan.FromSeconds((double)(due - now) / Stopwatch.Frequency));
                    long before = Stopwatch.GetTimestamp();
                    // Two blocks in turn, so the file never grows: only the write's own durability is timed.
                    RandomAccess.Write(file, block, (i & 1) * Size);
                    times.Add(Stopwatch.GetTimestamp() - before);
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
        var stalls = times.Select(Recording.Ms).Where(ms => ms > StallMs).ToList();
        times.Sort();
        return new DiskStalls(directory, times.Count, Recording.Percentile(times, 50), Recording.Percentile(times, 99), Recording.Percentile(times, 100), stalls.Count, stalls.Sum());
    }
}
