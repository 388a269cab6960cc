using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Attest.Bench;

/// <summary>
/// Runs the benchmarks with BenchmarkDotNet's command line, for example
/// <c>dotnet run -c Release --project bench/Attest.Bench -- --filter '*'</c>.
/// </summary>
/// <remarks>
/// Without a <c>--job</c> option every benchmark runs with <see cref="Report"/> (the job docs/PERFORMANCE.md was
/// measured with): one launch, 5 warm-up and 15 measured iterations, so the whole suite finishes in well under
/// 25 minutes on a 2-core machine. <c>--quick</c> (or BenchmarkDotNet's own <c>--job short</c>) runs 3 iterations,
/// for a smoke test of a few minutes; any other <c>--job</c> replaces the default.
/// </remarks>
public static class Program
{
    /// <summary>The job of the published figures.</summary>
    public static Job Report { get; } = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(5)
        .WithIterationCount(15)
        .WithId("Report");

    public static int Main(string[] args)
    {
        if (args.FirstOrDefault() == "alloc-guard") return AllocationGuard.Run();
        if (args.FirstOrDefault() == "gc-pauses") return GcPauses.Run(args[1..]);
        if (args.FirstOrDefault() == "scale") return Scale.ScaleRun.Run(args[1..]).GetAwaiter().GetResult();
        bool quick = args.Contains("--quick");
        args = [.. args.Where(a => a != "--quick")];
        var job = quick ? Job.ShortRun.WithId("Quick") : Report;
        // AsDefault: a --job given on the command line takes its place instead of running as well.
        // Results go to bench/Attest.Bench/BenchmarkDotNet.Artifacts (git-ignored) unless --artifacts says otherwise.
        var projectDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", ".."));
        var config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            // Throughput, and the median and minimum next to the mean: on a shared 2-core machine a stray process
            // shows up as a mean above the median.
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.OperationsPerSecond)
            .WithArtifactsPath(Path.Combine(projectDir, "BenchmarkDotNet.Artifacts"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
