using System.Diagnostics;

namespace Attest.Load;

/// <summary>
/// Where the machine's CPU went during the measured window, in cores: the server (when we know its pid), this
/// tool, and everything else. On a shared 2-core machine "everything else" says whether another process disturbed
/// the figure; the server/tool split says whether the load itself is CPU-bound.
/// </summary>
public sealed record CpuUse(double Server, double Tool, double Others, double Busy, double Steal, int Cores)
{
    private readonly record struct Sample(long When, double Busy, double Steal, double Tool, double Server);

    /// <summary>Samples at the start and the end of the window (after <paramref name="warmup"/>, for <paramref name="duration"/>).</summary>
    public static async Task<CpuUse> Measure(int? serverPid, TimeSpan warmup, TimeSpan duration)
    {
        await Task.Delay(warmup);
        var a = Take(serverPid);
        await Task.Delay(duration);
        var b = Take(serverPid);
        double seconds = (double)(b.When - a.When) / Stopwatch.Frequency;
        double server = (b.Server - a.Server) / seconds, tool = (b.Tool - a.Tool) / seconds, busy = (b.Busy - a.Busy) / seconds;
        return new CpuUse(server, tool, Math.Max(0, busy - server - tool), busy, (b.Steal - a.Steal) / seconds, Environment.ProcessorCount);
    }

    private static Sample Take(int? serverPid)
    {
        var (busy, steal) = Machine();
        return new(Stopwatch.GetTimestamp(), busy, steal, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, serverPid is { } pid ? ProcessSeconds(pid) : 0);
    }

    // USER_HZ: the unit of /proc's CPU times; 100 on every Linux this runs on.
    private const double ClockTicks = 100;

    /// <summary>
    /// /proc/stat "cpu" line: user nice system idle iowait irq softirq steal. Busy is what this VM's processes and
    /// kernel ran; steal (the host running something else while we wanted the CPU) is kept apart as host noise.
    /// </summary>
    private static (double Busy, double Steal) Machine()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..9].Select(long.Parse).ToArray();
        return ((f[0] + f[1] + f[2] + f[5] + f[6]) / ClockTicks, f[7] / ClockTicks);
    }

    /// <summary>/proc/&lt;pid&gt;/stat utime and stime (fields 14 and 15; counted after the parenthesised command name).</summary>
    private static double ProcessSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11]) + long.Parse(f[12])) / ClockTicks;
    }
}
