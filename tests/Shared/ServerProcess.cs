using System.Diagnostics;
using System.Net;
using System.Text;

namespace Attest.Tests.Shared;

/// <summary>
/// A real server process (the built Attest.LogServer.dll) on a loopback port, with its own data directory.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource<(Uri Http, Uri Grpc)> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool disposed;

    private ServerProcess(Process process, string dataDir)
    {
        this.process = process;
        DataDir = dataDir;
        process.OutputDataReceived += (_, e) =>
        {
            lock (output) output.AppendLine(e.Data);
            if (e.Data is not null && Listening.TryParse(e.Data, out var rest, out var grpc)) listening.TrySetResult((rest, grpc));
        };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDir { get; }

    public int Port => BaseAddress.Port;

    /// <summary>The HTTP/2-only gRPC endpoint (Kestrel:Endpoints:Grpc), as the server reported it.</summary>
    public Uri GrpcUrl { get; private set; } = null!;

    public int GrpcPort => GrpcUrl.Port;

    /// <summary>The REST endpoint (Kestrel:Endpoints:Http), as the server reported it.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string Output { get { lock (output) return output.ToString(); } }

    public bool HasExited => process.HasExited;

    /// <summary>The server process's id, to read its memory from <c>/proc/&lt;pid&gt;/status</c>.</summary>
    public int ProcessId => process.Id;

    public static string NewDataDir() => Directory.CreateTempSubdirectory("attest-test-").FullName;

    /// <summary>Starts the server and waits until it answers /readyz (or only /healthz, for a server expected to stay unready).</summary>
    public static async Task<ServerProcess> Start(string? dataDir = null, IDictionary<string, string>? settings = null, bool withAdminKey = true, bool waitReady = true, string[]? arguments = null)
    {
        dataDir ??= NewDataDir();
        var psi = new ProcessStartInfo("dotnet", [ServerDll(), .. arguments ?? []])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory, // the content root: the server's appsettings.json (its endpoints) is copied here
        };
        psi.Environment["Attest__DataDir"] = dataDir;
        // Port 0: the server binds free ports and reports them, so no other process can take them between choice and bind.
        psi.Environment["Kestrel__Endpoints__Http__Url"] = "http://127.0.0.1:0";
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = "http://127.0.0.1:0";
        psi.Environment["Attest__Log__Origin"] = "test.attest.local/log";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Attest"] = "Information";
        if (withAdminKey) psi.Environment["Attest__AdminKey"] = AdminKey;
        // Tests hammer the public routes from one address; a test of the public limits sets its own.
        psi.Environment["Attest__RateLimits__PublicPerMinute"] = "6000000";
        psi.Environment["Attest__RateLimits__PublicBurst"] = "1000000";
        psi.Environment["Attest__RateLimits__ExpensiveQueue"] = "100000";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var server = new ServerProcess(Process.Start(psi)!, dataDir);
        try
        {
            await server.WaitReady(waitReady ? "readyz" : "healthz");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task WaitReady(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        // The line comes once every endpoint listens.
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(listening.Task, exited, Task.Delay(deadline - DateTime.UtcNow)) != listening.Task) Fail("did not report its addresses");
        var (rest, grpc) = await listening.Task;
        BaseAddress = new Uri(rest, "/");
        GrpcUrl = grpc;
        // A loaded machine may take over a second to answer Expect: 100-continue; the default would then send the body anyway.
        Client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) Fail("exited");
            try
            {
                using var r = await Client.GetAsync(path);
                if (r.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        Fail("did not become ready");
    }

    private void Fail(string what)
    {
        if (process.HasExited)
        {
            process.WaitForExit(); // without a timeout it also waits for the redirected output to be read to its end
            throw new InvalidOperationException($"server exited with {process.ExitCode}:\n{Output}");
        }
        throw new TimeoutException($"server {what}:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>SIGTERM: the graceful shutdown path.</summary>
    public async Task Stop()
    {
        if (process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
    }

    /// <summary>Kills the server if it still runs. A second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        Client?.Dispose();
        if (!process.HasExited) Kill();
        process.Dispose();
    }

    private static string ServerDll()
    {
        // The test project references LogServer, so its build output sits beside ours.
        string dll = Path.Combine(AppContext.BaseDirectory, "Attest.LogServer.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("the server build output is missing", dll);
        return dll;
    }
}
