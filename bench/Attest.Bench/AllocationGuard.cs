using System.Reflection;
using Attest.Bench.LogServer;
using Attest.Bench.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Bench;

/// <summary>
/// The CI guard of the verification and append paths: <c>dotnet run -c Release --project bench/Attest.Bench -- alloc-guard</c>
/// runs each guarded benchmark method (its own [GlobalSetup], a warm-up, then a fixed number of calls) and fails
/// when it allocates more managed bytes per operation than its budget. Allocation counts do not depend on the
/// machine's speed or load, so unlike a time threshold this cannot fail on a slow machine; and it takes seconds,
/// not the minutes of a BenchmarkDotNet run.
/// </summary>
public static class AllocationGuard
{
    /// <summary>(benchmark, method, budget in bytes per operation, parameters). Budgets: what this guard measures today, with headroom.</summary>
    private static readonly (Type Type, string Method, double Budget, (string Name, object Value)[] Params)[] Guarded =
    [
        // Verification allocates nothing.
        (typeof(Rfc6962Benchmarks), nameof(Rfc6962Benchmarks.HashLeaf), 0, []),
        (typeof(Rfc6962Benchmarks), nameof(Rfc6962Benchmarks.HashChildren), 0, []),
        (typeof(InclusionProofBenchmarks), nameof(InclusionProofBenchmarks.Verify), 0, [("TreeSize", 1 << 16)]),
        (typeof(ConsistencyProofBenchmarks), nameof(ConsistencyProofBenchmarks.Verify), 0, []),
        (typeof(Ed25519Benchmarks), nameof(Ed25519Benchmarks.Verify), 0, []),
        (typeof(NoteBenchmarks), nameof(NoteBenchmarks.Open), 1200, []),
        // Append paths: the in-memory store's amortised array doubling, and the sequencer's per-submission objects.
        (typeof(MerkleAppendBenchmarks), nameof(MerkleAppendBenchmarks.Append), 160, []),
        (typeof(MerkleAppendBenchmarks), nameof(MerkleAppendBenchmarks.AppendLeafHash), 160, []),
        // Counted on every thread (the commit and FASTER threads too), so above BenchmarkDotNet's 292 B: ~615 B here.
        (typeof(SequencerBenchmarks), nameof(SequencerBenchmarks.Append_4096), 750, []),
        // Proof generation allocates only the proof array it returns.
        (typeof(InclusionProofBenchmarks), nameof(InclusionProofBenchmarks.Prove), 800, [("TreeSize", 1 << 16)]),
        // A served inclusion proof's text: the one array of its UTF-8 bytes (1,160 B for 20 hashes), nothing on the way;
        // building it as strings took several KB.
        (typeof(TlogProofBenchmarks), nameof(TlogProofBenchmarks.FormatUtf8), 1400, []),
    ];

    public static int Run()
    {
        int failures = 0;
        foreach (var (type, method, budget, parameters) in Guarded)
        {
            double perOp = Measure(type, method, parameters);
            bool ok = perOp <= budget;
            if (!ok) failures++;
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {type.Name}.{method}: {perOp:F1} B/op (budget {budget} B/op)");
        }
        Console.WriteLine(failures == 0 ? "allocation guard: every path within budget" : $"allocation guard: {failures} path(s) over budget");
        return failures == 0 ? 0 : 1;
    }

    private static double Measure(Type type, string methodName, (string Name, object Value)[] parameters)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var (name, value) in parameters) type.GetProperty(name)!.SetValue(instance, value);
        Invoke<GlobalSetupAttribute>(type, instance);
        try
        {
            var method = type.GetMethod(methodName)!;
            int perInvoke = method.GetCustomAttribute<BenchmarkAttribute>()!.OperationsPerInvoke;
            var call = (Action)typeof(AllocationGuard).GetMethod(nameof(Caller), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(method.ReturnType).Invoke(null, [method, instance])!;
            int calls = Math.Max(16, 4096 / perInvoke);
            for (int i = 0; i < calls; i++) call(); // warm-up: tiering, pools, lazily built tables
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < calls; i++) call();
            return (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / ((long)calls * perInvoke);
        }
        finally
        {
            Invoke<GlobalCleanupAttribute>(type, instance);
        }
    }

    /// <summary>A typed delegate: calling it boxes nothing, so every byte counted is the method's own.</summary>
    private static Action Caller<TResult>(MethodInfo method, object instance)
    {
        var f = method.CreateDelegate<Func<TResult>>(instance);
        return typeof(Task).IsAssignableFrom(typeof(TResult)) ? () => ((Task)(object)f()!).GetAwaiter().GetResult() : () => f();
    }

    private static void Invoke<TAttribute>(Type type, object instance) where TAttribute : Attribute
    {
        foreach (var m in type.GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null)) m.Invoke(instance, null);
    }
}
