using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
    private bool disposed;

    private ServerProcess(Process process, string dataDir, int port, int grpcPort)
    {
        this.process = process;
        DataDir = dataDir;
        Port = port;
        GrpcPort = grpcPort;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        // A loaded machine may take over a second to answer Expect: 100-continue; the default would then send the body anyway.
        Client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDir { get; }

    public int Port { get; }

    /// <summary>The HTTP/2-only gRPC endpoint (Kestrel:Endpoints:Grpc).</summary>
    public int GrpcPort { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public string Output { get { lock (output) return output.ToString(); } }

    public bool HasExited => process.HasExited;

    /// <summary>The server process's id, to read its memory from <c>/proc/&lt;pid&gt;/status</c>.</summary>
    public int ProcessId => process.Id;

    public static string NewDataDir() => Directory.CreateTempSubdirectory("attest-test-").FullName;

    /// <summary>Starts the server and waits until it answers /readyz (or only /healthz, for a server expected to stay unready).</summary>
    public static async Task<ServerProcess> Start(string? dataDir = null, IDictionary<string, string>? settings = null, bool withAdminKey = true, bool waitReady = true)
    {
        dataDir ??= NewDataDir();
        var (port, grpcPort) = FreePorts.Two();
        var psi = new ProcessStartInfo("dotnet", [ServerDll(), "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["Attest__DataDir"] = dataDir;
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}";
        psi.Environment["Attest__Log__Origin"] = "test.attest.local/log";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Attest"] = "Information";
        if (withAdminKey) psi.Environment["Attest__AdminKey"] = AdminKey;
        // Tests hammer the public routes from one address; a test of the public limits sets its own.
        psi.Environment["Attest__RateLimits__PublicPerMinute"] = "6000000";
        psi.Environment["Attest__RateLimits__PublicBurst"] = "1000000";
        psi.Environment["Attest__RateLimits__ExpensiveQueue"] = "100000";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        if (psi.Environment["Kestrel__Endpoints__Grpc__Url"] is { } grpcUrl) grpcPort = new Uri(grpcUrl).Port;
        var server = new ServerProcess(Process.Start(psi)!, dataDir, port, grpcPort);
        await server.WaitReady(waitReady ? "readyz" : "healthz");
        return server;
    }

    private async Task WaitReady(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                process.WaitForExit(); // without a timeout it also waits for the redirected output to be read to its end
                throw new InvalidOperationException($"server exited with {process.ExitCode}:\n{Output}");
            }
            try
            {
                // Kestrel binds its endpoints one after another: REST may answer before the gRPC endpoint listens.
                using var r = await Client.GetAsync(path);
                using var grpc = new TcpClient();
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    await grpc.ConnectAsync(IPAddress.Loopback, GrpcPort);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"server did not become ready:\n{Output}");
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
        Client.Dispose();
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
