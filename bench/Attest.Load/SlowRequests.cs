using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Attest.Load;

/// <summary>
/// <c>--slow</c>: the measured requests slower than a threshold, kept by when they were due (or sent, in a closed loop),
/// and printed as spells in wall-clock UTC. A p99 says how many were slow; this says when, so a stall can be laid
/// beside the server's own record of that moment (a runtime trace of its GC pauses, its log lines).
/// </summary>
public sealed class SlowRequests(double thresholdMs)
{
    private readonly long threshold = (long)(thresholdMs / 1000 * Stopwatch.Frequency);
    private readonly ConcurrentQueue<(long Due, long Ticks)> slow = new();
    // One reading of both clocks: a Stopwatch timestamp becomes wall-clock time by its distance from this one.
    private readonly DateTime wallAt = DateTime.UtcNow;
    private readonly long ticksAt = Stopwatch.GetTimestamp();

    public void Add(long due, long ticks)
    {
        if (ticks >= threshold) slow.Enqueue((due, ticks));
    }

    /// <summary>
    /// Slow requests due within 50 ms of the one before are one spell: its first instant, how long it lasted, how many
    /// requests were slow in it, and the slowest (a stall of d ms shows as a spell of about d ms, worst near d).
    /// </summary>
    public string Text()
    {
        var all = slow.OrderBy(s => s.Due).ToList();
        var s = new StringBuilder($"{all.Count:N0} requests slower than {Recording.Ms(threshold):0.#} ms");
        s.AppendLine(all.Count == 0 ? "" : ", in spells (wall-clock UTC of the first one due; length; slow requests; slowest):");
        long gap = Stopwatch.Frequency / 20;
        for (int i = 0; i < all.Count;)
        {
            int j = i;
            while (j + 1 < all.Count && all[j + 1].Due - all[j].Due <= gap) j++;
            var at = wallAt.AddSeconds((double)(all[i].Due - ticksAt) / Stopwatch.Frequency);
            double worst = Recording.Ms(all.Skip(i).Take(j - i + 1).Max(r => r.Ticks));
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"  {at:HH:mm:ss.fff}  {Recording.Ms(all[j].Due - all[i].Due),7:0.0} ms  {j - i + 1,6:N0}  {worst,7:0.0} ms"));
            i = j + 1;
        }
        return s.ToString();
    }
}
