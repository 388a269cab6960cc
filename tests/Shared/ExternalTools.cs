using System.ComponentModel;
using System.Diagnostics;

namespace Attest.Tests.Shared;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Programs nobody here wrote (node, python, npm), run by the interop tests; a missing one fails the test, saying what to install.</summary>
public static class ExternalTools
{
    private static readonly SemaphoreSlim NpmLock = new(1, 1);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Interop(string name) => Path.Combine(RepoRoot, "tests", "interop", name);

    /// <summary>Runs <c>npm ci</c> in an interop folder unless its packages are already installed (scripts/test installs them).</summary>
    public static async Task NpmCi(string folder, params string[] packages)
    {
        await NpmLock.WaitAsync();
        try
        {
            if (packages.All(p => File.Exists(Path.Combine(folder, "node_modules", p, "package.json")))) return;
            var npm = await Run("npm", ["ci", "--no-audit", "--no-fund"], folder, TimeSpan.FromMinutes(5));
            Assert.True(npm.ExitCode == 0, $"npm ci in {folder} failed: {npm}");
        }
        finally
        {
            NpmLock.Release();
        }
    }

    public static async Task<ProcessResult> Run(string program, string[] arguments, string directory, TimeSpan timeout, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) start.Environment[name] = value;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException(program + " did not start");
        }
        catch (Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"'{program}' is not on PATH ({e.Message}): the interop tests need Node.js and npm and Debian's " +
                "python3-grpcio and python3-grpc-tools (apt-get install nodejs npm python3-grpcio python3-grpc-tools; scripts/test installs them).");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
            }
            return new ProcessResult(process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Attest.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Attest.sln above {AppContext.BaseDirectory}");
    }
}
