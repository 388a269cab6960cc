using System.Globalization;
using Microsoft.Diagnostics.Tracing;

namespace Attest.Bench;

/// <summary>
/// <c>gc-pauses &lt;trace.nettrace&gt; [--from HH:mm:ss] [--to HH:mm:ss] [--min ms]</c>: every time a process's runtime
/// stopped all its threads, read from an EventPipe trace of its GC events, in wall-clock UTC, so that the load tool's
/// <c>--slow</c> spells can be laid beside them.
/// </summary>
/// <remarks>
/// A pause is split where the runtime reports its steps: suspending the threads, the collection itself, and the
/// time from the collection's end until every thread runs again. On a busy machine a collection of 1 ms can hold
/// every thread for 50 ms or more when the thread doing it loses its CPU; the split shows which step was stretched.
/// Also counted: thread-pool threads injected because its queue starved. Take the trace with the runtime's own
/// switches, for example <c>DOTNET_EnableEventPipe=1 DOTNET_EventPipeOutputPath=trace-{pid}.nettrace
/// DOTNET_EventPipeConfig=Microsoft-Windows-DotNETRuntime:0x10001:4</c> (GC and threading, informational).
/// </remarks>
public static class GcPauses
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: Attest.Bench gc-pauses <trace.nettrace> [--from HH:mm:ss[.fff]] [--to HH:mm:ss[.fff]] [--min <ms>]");
            return 2;
        }
        TimeSpan from = TimeSpan.Zero, to = TimeSpan.MaxValue;
        double min = 0;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--from": from = TimeSpan.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--to": to = TimeSpan.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--min": min = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        using var source = new EventPipeEventSource(args[0]);
        var clr = source.Clr;
        // The events of one pause come in order on the thread that runs it: suspend start/stop, GC start/stop (absent
        // when the runtime stopped the threads for something else), restart start/stop.
        double suspendStart = 0, suspendStop = 0, gcStart = 0, gcStop = 0, restartStart = 0, youngest = 0;
        int gen = -1, number = 0, heaps = 0, pauses = 0, starved = 0;
        string type = "", reason = "", suspendReason = "";
        var collections = new int[3];
        double total = 0, longest = 0;
        clr.GCSuspendEEStart += e => (suspendStart, suspendReason, gen) = (e.TimeStampRelativeMSec, e.Reason.ToString(), -1);
        clr.GCSuspendEEStop += e => suspendStop = e.TimeStampRelativeMSec;
        clr.GCStart += e => (gcStart, gen, number, type, reason) = (e.TimeStampRelativeMSec, e.Depth, e.Count, e.Type.ToString(), e.Reason.ToString());
        clr.GCStop += e => gcStop = e.TimeStampRelativeMSec;
        clr.GCGlobalHeapHistory += e => (heaps, youngest) = (e.NumHeaps, e.FinalYoungestDesired / 1e6);
        clr.GCRestartEEStart += e => restartStart = e.TimeStampRelativeMSec;
        clr.GCRestartEEStop += e =>
        {
            double pause = e.TimeStampRelativeMSec - suspendStart;
            var at = e.TimeStamp.ToUniversalTime().AddMilliseconds(-pause);
            if (at.TimeOfDay < from || at.TimeOfDay >= to) return;
            pauses++;
            total += pause;
            longest = Math.Max(longest, pause);
            if (gen >= 0) collections[Math.Min(gen, 2)]++;
            if (pause < min) return;
            string what = gen >= 0
                ? $"suspend {suspendStop - suspendStart:F1} + GC {gcStop - gcStart:F1} + resume {e.TimeStampRelativeMSec - gcStop:F1}; GC#{number} gen{gen} {type} {reason}, {heaps} heap(s), gen0 budget {youngest:F1} MB"
                : $"suspend {suspendStop - suspendStart:F1} + resume {e.TimeStampRelativeMSec - suspendStop:F1}; no collection ({suspendReason})";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{at:HH:mm:ss.fff}  pause {pause,6:F1} ms = {what}"));
        };
        clr.ThreadPoolWorkerThreadAdjustmentAdjustment += e =>
        {
            if (e.Reason.ToString() == "Starvation" && e.TimeStamp.ToUniversalTime().TimeOfDay >= from && e.TimeStamp.ToUniversalTime().TimeOfDay < to) starved++;
        };
        source.Process();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{pauses} pauses (collections of gen0/gen1/gen2: {collections[0]}/{collections[1]}/{collections[2]}), {total:F0} ms in all, longest {longest:F1} ms; thread-pool threads injected for starvation: {starved}"));
        return 0;
    }
}
