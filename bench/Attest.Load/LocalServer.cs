using System.Diagnostics;
using System.Net;
using Attest.Tests.Shared;

namespace Attest.Load;

/// <summary>
/// <c>--start-server</c>: the Attest.LogServer.dll built beside this tool (LogServer is a project reference), on the
/// loopback ports it binds and reports, with a fresh temporary data directory and a known admin key, the way the integration tests'
/// ServerProcess runs it.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    public const string AdminKey = "load-admin-key-0123456789";

    /// <summary>The runtime switch that runs socket completions on the epoll thread: set for the tool, not for the server.</summary>
    public const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private readonly Process process;
    private readonly string dataDir;

    private readonly TaskCompletionSource<(Uri Http, Uri Grpc)> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalServer(Process process, string dataDir)
    {
        this.process = process;
        this.dataDir = dataDir;
        // Its log goes to our stderr, so that stdout holds only the report.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Console.Error.WriteLine("server: " + e.Data);
            if (Listening.TryParse(e.Data, out var rest, out var grpc)) listening.TrySetResult((rest, grpc));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Url { get; private set; } = null!;

    public Uri GrpcUrl { get; private set; } = null!;

    public int Pid => process.Id;

    /// <summary>From the process's start to its first 200 from /readyz.</summary>
    public TimeSpan ReadyAfter { get; private set; }

    public string DataDir => dataDir;

    /// <param name="dll">The server to run; by default the one built beside this tool.</param>
    /// <param name="environment">Variables for the server only (such as runtime settings to compare).</param>
    public static async Task<LocalServer> Start(string? dll = null, IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        dll ??= Path.Combine(AppContext.BaseDirectory, "Attest.LogServer.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("the server build output is missing; build Attest.sln first", dll);
        string dataDir = Directory.CreateTempSubdirectory("attest-load-").FullName;
        var psi = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!, // the content root: the server's appsettings.json (its endpoints) is copied here
        };
        psi.Environment["Attest__DataDir"] = dataDir;
        psi.Environment["Attest__AdminKey"] = AdminKey;
        // The tool measures the server, not its per-address limits of public routes: all its load comes from 127.0.0.1.
        psi.Environment["Attest__RateLimits__PublicPerMinute"] = "0";
        psi.Environment["Attest__RateLimits__ExpensiveConcurrency"] = "0";
        // Port 0: the server binds free ports and reports them (no port picked here and released before it binds).
        psi.Environment["Kestrel__Endpoints__Http__Url"] = "http://127.0.0.1:0";
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = "http://127.0.0.1:0";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment.Remove(InlineCompletions); // the tool's own setting (Program.cs); the server runs with the defaults
        foreach (var (name, value) in environment ?? []) psi.Environment[name] = value;
        var server = new LocalServer(Process.Start(psi)!, dataDir);
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
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        // The line comes once every endpoint listens.
        if (await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) != listening.Task)
            throw new InvalidOperationException(process.HasExited ? $"the server exited with {process.ExitCode}" : "the server did not report its addresses in 60 s");
        (Url, GrpcUrl) = await listening.Task;
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"the server exited with {process.ExitCode}");
            try
            {
                using var ready = await http.GetAsync("readyz");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    ReadyAfter = DateTime.Now - process.StartTime;
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
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
