using Attest.Load;

// The end-to-end load tool: see Options.Usage, and docs/PERFORMANCE.md for what it measures and the commands.
if (Options.Parse(args) is not { } o) return 2;

// Socket completions run on the epoll thread instead of a thread-pool hop each: the tool's own CPU per gRPC mint
// fell from ~9 to ~5 µs with it, leaving that much more of the machine to the server it measures. Read by the
// runtime at the first socket operation, so it is set before any.
Environment.SetEnvironmentVariable(LocalServer.InlineCompletions, "1");

// The limits first, while the server (if we start it) is not yet running and cannot take CPU from them.
Limits? limits = null;
if (o.Limits)
{
    Console.Error.WriteLine("measuring the physical limits (about 6 s)");
    limits = await Limits.Measure(o.Clients);
}

if (o.WarmClient is { } warmClient)
{
    // The tool's own code JIT-compiles in its first seconds too; warmed first, it leaves a start-up timeline to the server.
    Console.Error.WriteLine($"warming the tool up for {warmClient.TotalSeconds:0.#} s against a server that is then stopped");
    await using var throwaway = await LocalServer.Start(o.ServerDll, o.ServerEnvironment);
    var (warmRest, warmGrpc) = await Connect(throwaway);
    using (warmRest)
    using (warmGrpc)
        await LoadRun.Run(await Scenarios.Prepare(o.Scenario, warmRest, warmGrpc, o.Prefill, o.Clients, o.StatementsFor(warmClient)), o.Clients, TimeSpan.Zero, warmClient, o.Rate);
}

await using var server = o.StartServer ? await LocalServer.Start(o.ServerDll, o.ServerEnvironment) : null;
if (server is not null) Console.Error.WriteLine($"the server was ready {server.ReadyAfter.TotalMilliseconds:0} ms after its process started");
var (rest, grpc) = await Connect(server);
using var restChannel = rest;
using var grpcChannel = grpc;
var request = await Scenarios.Prepare(o.Scenario, rest, grpc, o.Prefill, o.Clients, o.StatementsFor(o.Warmup + o.Duration));
long? proofTreeSize = o.Scenario is "proof-rest" or "scitt-receipt-rest" ? await Scenarios.CheckpointSize(rest) : null;

Console.Error.WriteLine($"running {o.Scenario} for {o.Warmup.TotalSeconds:0.#} s warm-up + {o.Duration.TotalSeconds:0.#} s");
var startedAt = DateTime.UtcNow;
string loadBefore = LoadAverage();
var cpu = CpuUse.Measure(server?.Pid, o.Warmup, o.Duration);
var disk = DiskStalls.Measure(server?.DataDir ?? Path.GetTempPath(), o.Warmup, o.Duration);
var slow = o.SlowMs is { } slowMs ? new SlowRequests(slowMs) : null;
var recording = await LoadRun.Run(request, o.Clients, o.Warmup, o.Duration, o.Rate, slow);
var report = Report.Create(o, recording, limits, proofTreeSize, await cpu, await disk, server?.Memory() is { } m ? new ServerMemory(m.Rss, m.Peak) : null,
    startedAt, loadBefore, LoadAverage());

Console.Write(report.Text());
if (slow is not null) Console.Error.Write(slow.Text());
if (o.Json is not null) await File.WriteAllTextAsync(o.Json, report.Json());
// A closed loop only sends when the last request answered, so any failure there is the server refusing work: exit 1.
// In an open loop, requests the tool could not send in time also count as errors; that is a figure, not a failure.
return recording.Ok > 0 && (o.Rate is not null || recording.ErrorCount == 0) ? 0 : 1;

async Task<(RestChannel, IGrpcChannel)> Connect(LocalServer? server)
{
    var rest = new RestChannel(server?.Url ?? o.Url, server is null ? o.AdminKey! : LocalServer.AdminKey);
    var (grpcUrl, grpcKey) = (server?.GrpcUrl ?? o.GrpcUrl, server is null ? o.AdminKey! : LocalServer.AdminKey);
    IGrpcChannel grpc = o.GrpcClient switch
    {
        "lean" => await LeanGrpcChannel.Connect(grpcUrl, o.Connections, grpcKey),
        "grpc-net" => new NetGrpcChannel(grpcUrl, o.Connections, grpcKey),
        _ => new GrpcChannel(grpcUrl, o.Connections, grpcKey),
    };
    return (rest, grpc);
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
