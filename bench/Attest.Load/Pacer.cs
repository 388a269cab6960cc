using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Attest.Load;

/// <summary>
/// Waits for <see cref="Stopwatch"/> instants with Linux's <c>clock_nanosleep</c>, for an open loop's one thread that
/// sends each request when it is due. The runtime's timers wake up to a millisecond late and then wait for a pool
/// thread: on this 2-core machine that put a millisecond or more of the generator's own into the latencies it
/// measured, and sent requests in bursts of a millisecond's worth (docs/PERFORMANCE.md, "The load tool's clients and
/// open loop").
/// </summary>
public sealed class Pacer
{
    private const int ClockMonotonic = 1, PrSetTimerslack = 29, Eintr = 4;

    /// <summary>
    /// A pacer wakes at most this often (250 µs): each wake of a sleeping thread costs ~25 µs of CPU in this VM, 0.22
    /// cores at one wake per request at 10,000/s (docs/PERFORMANCE.md, same section). What comes due in between
    /// waits for the next
    /// wake; its caller still times it from its instant, so the lateness counts against the server, not for it.
    /// </summary>
    public static readonly long WakeInterval = Stopwatch.Frequency / 4000;

    private long woke = long.MinValue / 2;

    /// <summary>
    /// Made on the thread that will wait, whose sleeps it makes end when asked rather than up to the default 50 µs
    /// later (the timer slack is per thread).
    /// </summary>
    public Pacer() => prctl(PrSetTimerslack, 1, 0, 0, 0);

    /// <summary>Returns once <paramref name="due"/> has come, and no sooner than <see cref="WakeInterval"/> after the last wake.</summary>
    public void WaitFor(long due)
    {
        if (due <= Stopwatch.GetTimestamp()) return;
        SleepUntil(Math.Max(due, woke + WakeInterval));
        woke = Stopwatch.GetTimestamp();
    }

    private static void SleepUntil(long timestamp)
    {
        while (true)
        {
            long ticks = timestamp - Stopwatch.GetTimestamp();
            if (ticks <= 0) return;
            long ns = (long)(ticks * (1e9 / Stopwatch.Frequency));
            var span = new Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
            int rc = clock_nanosleep(ClockMonotonic, 0, in span, IntPtr.Zero);
            if (rc != 0 && rc != Eintr) throw new InvalidOperationException($"clock_nanosleep failed: {rc}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc")]
    private static extern int clock_nanosleep(int clock, int flags, in Timespec request, IntPtr remain);

    [DllImport("libc")]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
