using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Load;
using Attest.LogServer;
using Attest.LogServer.Log;
using Attest.LogServer.Entries;
using Attest.LogServer.Service;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Attest.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.Bench.Scale;

/// <summary>
/// The figures of docs/PERFORMANCE.md's "Scale run (10M entries)", in one command:
/// <c>dotnet run -c Release --project bench/Attest.Bench -- scale [--entries 10000000] [--dir D] [--seconds 20] [--cold N] [--json F]</c>.
/// 1. Builds (or reuses, when <c>--dir</c> already holds it) a log of stamp entries through the real sequencer,
///    entry indexer (FASTER KV) and checkpoint publisher, as the server would.
/// 2. Inclusion proofs for random indexes in process, against the on-disk hash store (prove and verify), on one
///    thread and on every core.
/// 3. Starts the real server on that data directory: time from process start to a ready <c>/readyz</c>, and RSS.
/// 4. Inclusion proofs over HTTP for random indexes (closed loop), latency percentiles, and RSS after.
/// 5. With <c>--cold N</c> (as root): N more restarts, each after dropping the kernel's page cache.
/// </summary>
public static class ScaleRun
{
    private const string Origin = "scale.attest.local/log";
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static async Task<int> Run(string[] args)
    {
        // As the load tool does for itself (its Program.cs): the client's socket completions on the epoll thread, not a
        // pool hop each, so less of its own waiting lands in the HTTP proof latencies. Not for the server it starts.
        Environment.SetEnvironmentVariable(InlineCompletions, "1");
        long entries = Arg(args, "--entries", 10_000_000);
        int seconds = (int)Arg(args, "--seconds", 20);
        string dir = ArgText(args, "--dir") ?? Path.Combine(Path.GetTempPath(), $"attest-scale-{entries}");
        string? json = ArgText(args, "--json");
        var results = new JsonObject { ["entries"] = entries, ["dir"] = dir, ["cores"] = Environment.ProcessorCount };

        var options = new AttestOptions { DataDir = dir, Log = { Origin = Origin } };
        Directory.CreateDirectory(dir);
        var signer = Secrets.LoadLogKey(options, NullLogger.Instance);
        long size;
        using (var kv = new KvIndex(Path.Combine(dir, "index"), EntryIndexer.Schema))
        {
            var registryPath = Path.Combine(dir, "registry.json");
            var indexer = new EntryIndexer(kv, Registry.Load(registryPath), registryPath);
            await using var sequencer = new Sequencer(dir, indexer, NullLogger.Instance, 8192);
            using var log = new TransparencyLog(dir, sequencer, signer, NullLogger.Instance);
            await log.OpenAsync();
            if (log.Size < entries)
            {
                var (built, rate) = await Build(log, sequencer, entries);
                results["build_entries"] = built;
                results["build_entries_per_second"] = Math.Round(rate);
            }
            size = log.Latest.Size;
            results["tree_size"] = size;
            results["hash_file_bytes"] = new FileInfo(Path.Combine(dir, "hashes.bin")).Length;
            foreach (bool verify in new[] { false, true })
            {
                string what = verify ? "prove_and_verify" : "prove";
                results[$"proofs_in_process_{what}_1_thread"] = Math.Round(Proofs(log, size, threads: 1, verify, TimeSpan.FromSeconds(5)));
                results[$"proofs_in_process_{what}_all_cores"] = Math.Round(Proofs(log, size, Environment.ProcessorCount, verify, TimeSpan.FromSeconds(5)));
            }
            Print(results);
        }

        await Server(dir, size, seconds, results);
        if (Arg(args, "--cold", 0) is var cold and > 0) await ColdRestarts(dir, (int)cold, results);
        Print(results);
        if (json is not null) await File.WriteAllTextAsync(json, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>Appends stamp entries until the log holds <paramref name="target"/>, publishing and checkpointing as LogHost does.</summary>
    private static async Task<(long Built, double Rate)> Build(TransparencyLog log, Sequencer sequencer, long target)
    {
        var priv = Encoding.UTF8.GetBytes("{\"visibility\":\"hash_only\"}");
        long start = log.Size, next = start;
        var clock = Stopwatch.StartNew();
        var lastPublish = clock.Elapsed;
        var lastIndexCheckpoint = clock.Elapsed;
        var tasks = new List<Task<long>>(8192);
        while (next < target)
        {
            tasks.Clear();
            for (int i = 0; i < 8192 && next < target; i++, next++)
            {
                var contentHash = new Hash(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(next)));
                var entry = new StampEntry(Guid.CreateVersion7().ToString(), contentHash, "2026-11-23T12:00:00.000Z").Encode();
                tasks.Add(sequencer.AppendAsync(LogRecord.Encode(entry, priv)));
            }
            await Task.WhenAll(tasks);
            if (clock.Elapsed - lastPublish > TimeSpan.FromSeconds(1))
            {
                await log.PublishAsync();
                lastPublish = clock.Elapsed;
                Console.Write($"\r  built {log.Size:N0} entries, {(log.Size - start) / clock.Elapsed.TotalSeconds:N0}/s   ");
            }
            if (clock.Elapsed - lastIndexCheckpoint > TimeSpan.FromSeconds(30))
            {
                await sequencer.CheckpointIndexAsync();
                lastIndexCheckpoint = clock.Elapsed;
            }
        }
        double rate = (log.Size - start) / clock.Elapsed.TotalSeconds;
        await log.PublishAsync();
        await sequencer.CheckpointIndexAsync();
        Console.WriteLine();
        return (log.Size - start, rate);
    }

    /// <summary>Prove (and verify) inclusion of random indexes against the latest checkpoint, for <paramref name="duration"/>.</summary>
    private static double Proofs(TransparencyLog log, long size, int threads, bool verify, TimeSpan duration)
    {
        var root = log.Latest.Checkpoint.Root;
        long total = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var random = new Random(9162 + t);
            var leafIndex = new long[1];
            var leaf = new Hash[1];
            long done = 0;
            while (clock.Elapsed < duration)
            {
                for (int k = 0; k < 256; k++, done++)
                {
                    long i = random.NextInt64(size);
                    var proof = InclusionProof.Prove(i, size, log.Hashes);
                    if (!verify) continue;
                    leafIndex[0] = StoredHashes.StoredHashIndex(0, i);
                    log.Hashes.ReadHashes(leafIndex, leaf);
                    if (!InclusionProof.Verify(i, size, leaf[0], proof, root)) throw new InvalidOperationException($"proof of {i} does not verify");
                }
            }
            Interlocked.Add(ref total, done);
        });
        return total / clock.Elapsed.TotalSeconds;
    }

    private static async Task Server(string dir, long size, int seconds, JsonObject results)
    {
        var (server, http, ready) = await StartServer(dir);
        using (server)
        using (http)
        {
            try
            {
                results["restart_to_ready_seconds"] = ready;
                results["rss_after_start_mib"] = RssMiB(server.Id);

                // Throughput: 32 clients in a closed loop. Latency: an open loop at half that rate, each request timed from
                // when it was due (so a stall counts against every request it delays, not just one).
                var (count, errors, elapsed, _) = await HttpProofs(http, size, TimeSpan.FromSeconds(seconds), clients: 32, rate: 0);
                double throughput = count / elapsed.TotalSeconds;
                results["http_proofs_per_second_32_clients"] = Math.Round(throughput);
                results["http_proofs_errors"] = errors;
                var (_, lateErrors, _, latencies) = await HttpProofs(http, size, TimeSpan.FromSeconds(seconds), clients: 0, rate: throughput / 2);
                results["http_proofs_open_loop_rate"] = Math.Round(throughput / 2);
                results["http_proofs_open_loop_errors"] = lateErrors;
                results["http_proofs_open_loop_ms"] = new JsonObject
                {
                    ["p50"] = Percentile(latencies, 0.50), ["p90"] = Percentile(latencies, 0.90), ["p99"] = Percentile(latencies, 0.99),
                    ["p99.9"] = Percentile(latencies, 0.999), ["max"] = Math.Round(latencies[^1], 2),
                };
                results["rss_after_http_proofs_mib"] = RssMiB(server.Id);
            }
            finally
            {
                await StopServer(server);
            }
        }
    }

    /// <summary>
    /// Restarts from a cold page cache, as after a reboot: the kernel drops every cached file (the data directory and
    /// the .NET runtime alike) before each start. Dropping the cache needs root.
    /// </summary>
    private static async Task ColdRestarts(string dir, int times, JsonObject results)
    {
        var seconds = new JsonArray();
        for (int k = 0; k < times; k++)
        {
            using (var sync = Process.Start("sync")!) await sync.WaitForExitAsync();
            try
            {
                await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw new InvalidOperationException($"--cold needs root to drop the page cache (/proc/sys/vm/drop_caches): {e.Message}", e);
            }
            var (server, http, ready) = await StartServer(dir);
            using (server)
            using (http)
                await StopServer(server);
            seconds.Add(ready);
            Console.Error.WriteLine($"  cold restart {k + 1} of {times}: ready after {ready} s");
        }
        results["restart_cold_page_cache_to_ready_seconds"] = seconds;
    }

    /// <summary>Starts the server dll on the data directory; returns once <c>/readyz</c> answers 200, with the seconds that took.</summary>
    private static async Task<(Process Server, HttpClient Http, double ReadySeconds)> StartServer(string dir)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Attest.LogServer.dll");
        var psi = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory, // the content root: the server's appsettings.json (its endpoints) is copied here
        };
        psi.Environment.Remove(InlineCompletions);
        psi.Environment["Attest__DataDir"] = dir;
        psi.Environment["Attest__Log__Origin"] = Origin;
        psi.Environment["Attest__AdminKey"] = "scale-admin-key-0123456789";
        // Port 0: the server binds free ports and reports them (no port picked here and released before it binds).
        psi.Environment["Kestrel__Endpoints__Http__Url"] = "http://127.0.0.1:0";
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = "http://127.0.0.1:0";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);

        var clock = Stopwatch.StartNew();
        var server = Process.Start(psi)!;
        server.OutputDataReceived += (_, e) => { if (e.Data is not null && Listening.TryParse(e.Data, out var rest, out Uri _)) listening.TrySetResult(rest); };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  server: " + e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        HttpClient? http = null;
        try
        {
            if (await Task.WhenAny(listening.Task, server.WaitForExitAsync()) != listening.Task) throw new InvalidOperationException($"the server exited with {server.ExitCode}");
            http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(await listening.Task, "/") };
            while (true)
            {
                if (server.HasExited) throw new InvalidOperationException($"the server exited with {server.ExitCode}");
                try
                {
                    using var r = await http.GetAsync("readyz");
                    if (r.StatusCode == HttpStatusCode.OK) break;
                }
                catch (HttpRequestException) { }
                await Task.Delay(10);
            }
            return (server, http, Math.Round(clock.Elapsed.TotalSeconds, 2));
        }
        catch
        {
            await StopServer(server);
            server.Dispose();
            http?.Dispose();
            throw;
        }
    }

    private static async Task StopServer(Process server)
    {
        if (server.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", server.Id.ToString()])!) await term.WaitForExitAsync();
        await server.WaitForExitAsync();
    }

    /// <summary>Closed loop with <paramref name="clients"/> workers, or (rate &gt; 0) an open loop at <paramref name="rate"/> requests/s.</summary>
    private static async Task<(long Count, long Errors, TimeSpan Elapsed, double[] SortedMs)> HttpProofs(HttpClient http, long size, TimeSpan duration, int clients, double rate)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        long errors = 0;
        var clock = Stopwatch.StartNew();
        async Task One(Random random, long due)
        {
            try
            {
                using var r = await http.GetAsync($"v1/log/proofs/inclusion?index={random.NextInt64(size)}&tree_size={size}");
                await r.Content.LoadIntoBufferAsync();
                if (r.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref errors);
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref errors);
            }
            latencies.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
        }
        if (rate <= 0)
        {
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
            {
                var random = new Random(c);
                while (clock.Elapsed < duration) await One(random, Stopwatch.GetTimestamp());
            }));
        }
        else
        {
            var random = new Random(1);
            var pending = new List<Task>();
            long start = Stopwatch.GetTimestamp(), end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            // Each request sent from one thread at its instant, or with what else came due since the last wake
            // (Attest.Load's Pacer): a 1 ms timer tick instead sent them in bursts and added up to a millisecond of the
            // generator's own to each.
            await Task.Factory.StartNew(() =>
            {
                var pacer = new Pacer();
                for (long k = 0, due; (due = start + (long)(k * Stopwatch.Frequency / rate)) < end; k++)
                {
                    pacer.WaitFor(due);
                    pending.Add(One(new Random(random.Next()), due));
                }
            }, TaskCreationOptions.LongRunning);
            await Task.WhenAll(pending);
        }
        return (latencies.Count, errors, clock.Elapsed, [.. latencies.Order()]);
    }

    private static double Percentile(double[] sorted, double p) => Math.Round(sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))], 2);

    /// <summary>
    /// VmRSS, and its parts: anonymous memory (heaps, FASTER's in-memory pages) and file pages (the mapped hash and
    /// address files, which the kernel may drop and re-read at will).
    /// </summary>
    private static JsonObject RssMiB(int pid)
    {
        var rss = new JsonObject();
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var parts = line.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["VmRSS" or "RssAnon" or "RssFile", var kb, "kB"]) rss[parts[0]] = Math.Round(long.Parse(kb) / 1024.0, 1);
        }
        return rss;
    }

    private static void Print(JsonObject results) => Console.WriteLine(results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static long Arg(string[] args, string name, long fallback) => ArgText(args, name) is { } v ? long.Parse(v) : fallback;

    private static string? ArgText(string[] args, string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
