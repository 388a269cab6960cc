using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Attest.Tests.Shared;

namespace Attest.Load;

/// <summary>
/// <c>--start-server</c>: the Attest.LogServer.dll built beside this tool (LogServer is a project reference), on two
/// free loopback ports, with a fresh temporary data directory and a known admin key, the way the integration tests'
/// ServerProcess runs it.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    public const string AdminKey = "load-admin-key-0123456789";

    /// <summary>The runtime switch that runs socket completions on the epoll thread: set for the tool, not for the server.</summary>
    public const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private readonly Process process;
    private readonly string dataDir;

    private LocalServer(Process process, string dataDir, Uri url, Uri grpcUrl)
    {
        this.process = process;
        this.dataDir = dataDir;
        Url = url;
        GrpcUrl = grpcUrl;
    }

    public Uri Url { get; }

    public Uri GrpcUrl { get; }

    public int Pid => process.Id;

    public string DataDir => dataDir;

    public static async Task<LocalServer> Start()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Attest.LogServer.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("the server build output is missing; build Attest.sln first", dll);
        string dataDir = Directory.CreateTempSubdirectory("attest-load-").FullName;
        var (port, grpcPort) = FreePorts.Two();
        var (url, grpcUrl) = (new Uri($"http://127.0.0.1:{port}"), new Uri($"http://127.0.0.1:{grpcPort}"));
        var psi = new ProcessStartInfo("dotnet", [dll, "--urls", url.ToString().TrimEnd('/')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["Attest__DataDir"] = dataDir;
        psi.Environment["Attest__AdminKey"] = AdminKey;
        // The tool measures the server, not its per-address limits of public routes: all its load comes from 127.0.0.1.
        psi.Environment["Attest__RateLimits__PublicPerMinute"] = "0";
        psi.Environment["Attest__RateLimits__ExpensiveConcurrency"] = "0";
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = grpcUrl.ToString().TrimEnd('/');
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment.Remove(InlineCompletions); // the tool's own setting (Program.cs); the server runs with the defaults
        var process = Process.Start(psi)!;
        // Its log goes to our stderr, so that stdout holds only the report.
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LocalServer(process, dataDir, url, grpcUrl);
        await server.WaitReady();
        return server;
    }

    /// <summary>Resident and peak resident memory, from /proc/&lt;pid&gt;/status (VmRSS, VmHWM), in bytes.</summary>
    public (long Rss, long Peak) Memory()
    {
        long Field(string[] lines, string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name + ":"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is { } kb ? long.Parse(kb) * 1024 : 0;
        var status = File.ReadAllLines($"/proc/{Pid}/status");
        return (Field(status, "VmRSS"), Field(status, "VmHWM"));
    }

    private async Task WaitReady()
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"the server exited with {process.ExitCode}");
            try
            {
                // Kestrel binds its endpoints one after the other: REST may answer before gRPC listens.
                using var ready = await http.GetAsync("readyz");
                using var grpc = new TcpClient();
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    await grpc.ConnectAsync(IPAddress.Loopback, GrpcUrl.Port);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not become ready in 60 s");
    }

    /// <summary>SIGTERM (the graceful path), SIGKILL after 30 s; then the data directory goes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])) await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
        process.Dispose();
        Directory.Delete(dataDir, recursive: true);
    }
}
