using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Attest.Load;

public sealed record Latency(double P50, double P90, double P99, double P99_9, double Max);

/// <summary>A figure divided by the physical limit it is compared with, and what that comparison means.</summary>
public sealed record Ratio(string Name, double Value, string Meaning);

public sealed record ServerMemory(long RssBytes, long PeakRssBytes);

/// <summary>Everything one run measured; printed as a table, or written as JSON with the same names.</summary>
public sealed record Report(
    string Scenario, string Mode, double? TargetRate, int Clients, int GrpcConnections, double DurationSeconds, double WarmupSeconds,
    long Ok, long ErrorCount, IReadOnlyDictionary<string, long> Errors, double OkPerSecond, Latency LatencyMs, Latency? WaitMs,
    Limits? Limits, IReadOnlyList<Ratio> Ratios, CpuUse Cpu, DiskStalls Disk, ServerMemory? Server, string StartedAt, string LoadAverageBefore, string LoadAverageAfter,
    IReadOnlyList<Recording.Second> Timeline)
{
    public static Report Create(Options o, Recording r, Limits? limits, long? proofTreeSize, CpuUse cpu, DiskStalls disk, ServerMemory? server, DateTime startedAt, string loadBefore, string loadAfter)
    {
        double okPerSecond = r.Ok / o.Duration.TotalSeconds;
        return new Report(o.Scenario, o.Rate is null ? "closed loop" : "open loop", o.Rate, o.Clients, o.Connections, o.Duration.TotalSeconds, o.Warmup.TotalSeconds,
            r.Ok, r.ErrorCount, r.Errors, okPerSecond, r.Latencies, r.Waits,
            limits, limits is null ? [] : RatiosFor(o.Scenario, okPerSecond, limits, proofTreeSize), cpu, disk, server,
            startedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture), loadBefore, loadAfter, r.Timeline);
    }

    private static List<Ratio> RatiosFor(string scenario, double okPerSecond, Limits l, long? treeSize)
    {
        string batch = $"FasterLog append+commit at batches of {l.Batch}";
        if (scenario.StartsWith("mint"))
            return
            [
                new("mints/s ÷ Ed25519 signs/s", okPerSecond / l.SignsPerSecond,
                    $"a mint signs its payload once: the share of the {l.Cores} cores' raw libsodium signing rate the mints reach"),
                new($"mints/s ÷ {batch}", okPerSecond / l.FasterLogRecordsPerSecond,
                    $"a mint is one durable record, and {l.Batch} clients can have at most {l.Batch} waiting for a commit"),
            ];
        if (scenario == "scitt-register-rest")
            return
            [
                new("registrations/s ÷ ES256 verifies/s", okPerSecond / l.Es256VerifiesPerSecond,
                    $"a registration verifies the issuer's ES256 signature once: the share of the {l.Cores} cores' raw P-256 verify rate the registrations reach"),
                new($"registrations/s ÷ {batch}", okPerSecond / l.FasterLogRecordsPerSecond,
                    $"a registration is one durable record, and {l.Batch} clients can have at most {l.Batch} waiting for a commit"),
            ];
        if (scenario == "scitt-receipt-rest")
            return [new("receipts/s ÷ ES256 verifies/s", okPerSecond / l.Es256VerifiesPerSecond,
                $"a relying party checks a receipt with one ES256 verify: the share of the {l.Cores} cores' raw verify rate needed to check every receipt served")];
        if (scenario.StartsWith("stamp"))
            return [new($"stamps/s ÷ {batch}", okPerSecond / l.FasterLogRecordsPerSecond,
                $"a stamp is one durable record, and {l.Batch} clients can have at most {l.Batch} waiting for a commit")];
        int proofHashes = (int)Math.Ceiling(Math.Log2(Math.Max(2, treeSize ?? 2)));
        return [new($"proofs/s × {proofHashes} ÷ SHA-256/s", okPerSecond * proofHashes / l.Sha256PerSecond,
            $"checking a proof in a tree of {treeSize:N0} takes about {proofHashes} hashes: the share of the raw hash rate a verifier needs to check every proof served")];
    }

    public string Text()
    {
        var s = new StringBuilder();
        string mode = TargetRate is { } rate ? $"open loop at {rate:N0}/s" : "closed loop";
        s.AppendLine($"Attest load, {StartedAt}: {Scenario}, {mode}, {Clients} clients{(Scenario.EndsWith("grpc") ? $" on {GrpcConnections} HTTP/2 connections" : "")}, {DurationSeconds:0.#} s measured after {WarmupSeconds:0.#} s warm-up");
        s.AppendLine();
        s.AppendLine("| scenario | ok/s | ok | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var l = LatencyMs;
        s.AppendLine($"| {Scenario} | {OkPerSecond:N0} | {Ok:N0} | {ErrorCount:N0} | {l.P50:0.00} | {l.P90:0.00} | {l.P99:0.00} | {l.P99_9:0.00} | {l.Max:0.00} |");
        foreach (var (error, count) in Errors.OrderByDescending(e => e.Value)) s.AppendLine($"  error {error}: {count:N0}");
        if (WaitMs is { } w)
            s.AppendLine($"  of that, sent late (waiting for one of the {Clients} clients, or for the dispatcher): p50 {w.P50:0.00}, p90 {w.P90:0.00}, p99 {w.P99:0.00}, p99.9 {w.P99_9:0.00}, max {w.Max:0.00} ms");
        if (Timeline.Count > 0)
        {
            var ok = Timeline.Select(t => t.Ok).Order().ToList();
            int worst = Timeline.Select((t, i) => (t.MaxMs, i)).Max().i;
            s.AppendLine($"  per second: ok from {ok[0]:N0} to {ok[^1]:N0} (median {ok[ok.Count / 2]:N0}); slowest request {Timeline[worst].MaxMs:0.0} ms, in second {worst} (the JSON has every second)");
        }
        if (Limits is { } lim)
        {
            s.AppendLine();
            s.AppendLine($"Physical limits, measured in this run on all {lim.Cores} cores (before the load):");
            s.AppendLine($"  SHA-256 of 300 B                                {lim.Sha256PerSecond,12:N0} /s");
            s.AppendLine($"  Ed25519 sign of 300 B (libsodium)               {lim.SignsPerSecond,12:N0} /s");
            s.AppendLine($"  ES256 verify of 300 B (P-256, .NET)             {lim.Es256VerifiesPerSecond,12:N0} /s");
            s.AppendLine($"  FasterLog append+commit, batches of {lim.Batch,-6}      {lim.FasterLogRecordsPerSecond,12:N0} records/s ({lim.FasterLogCommitsPerSecond:N0} commits/s)");
            s.AppendLine();
            foreach (var ratio in Ratios) s.AppendLine($"  {ratio.Name} = {ratio.Value:P1}\n      ({ratio.Meaning})");
        }
        s.AppendLine();
        s.AppendLine($"CPU in the measured window, in cores of {Cpu.Cores}: " +
                     (Server is null ? $"load tool {Cpu.Tool:0.00}, other processes (the server among them) {Cpu.Others:0.00}"
                                     : $"server {Cpu.Server:0.00}, load tool {Cpu.Tool:0.00}, other processes {Cpu.Others:0.00}") +
                     $" (machine busy {Cpu.Busy:0.00}, host steal {Cpu.Steal:0.00})");
        s.AppendLine($"Disk in the measured window ({DiskStalls.Size / 1024} KiB O_DSYNC writes, {DiskStalls.PerSecond}/s, in {Disk.Directory}): " +
                     $"p50 {Disk.P50Ms:0.00}, p99 {Disk.P99Ms:0.00}, max {Disk.MaxMs:0.0} ms; {Disk.Stalls} stalls over {DiskStalls.StallMs:0} ms, {Disk.StalledMs:N0} ms in all");
        s.AppendLine($"Load average before: {LoadAverageBefore}; after: {LoadAverageAfter}");
        if (Server is { } m) s.AppendLine($"Server memory at the end: RSS {m.RssBytes / 1048576.0:N0} MiB (peak {m.PeakRssBytes / 1048576.0:N0} MiB)");
        return s.ToString();
    }

    public string Json() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });
}
