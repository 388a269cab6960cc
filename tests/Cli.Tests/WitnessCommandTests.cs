using System.Diagnostics;
using System.Text;
using Attest.Merkle;

namespace Attest.Cli.Tests;

/// <summary><c>attest witness</c> as a real process, cosigning the checkpoints of a real server.</summary>
public sealed class WitnessCommandTests
{
    [Fact]
    public async Task a_witness_run_from_the_cli_cosigns_the_servers_checkpoints_and_keeps_its_state_across_a_restart()
    {
        var keys = await AttestCli.Run("witness", "generate-key", "--name", "witness.cli.test");
        AttestCli.AssertExit(0, keys);
        var lines = keys.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("PRIVATE+KEY+witness.cli.test+", lines[0]);
        Assert.True(CosignatureVerifier.TryParse(lines[1], out var witnessKey));

        var (logPrivate, logVerifier) = NoteSigner.Generate("test.attest.local/log");
        string dir = Directory.CreateTempSubdirectory("attest-witness-cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "witness.key"), lines[0]);
        using var witness = StartWitness(dir, logVerifier, "http://127.0.0.1:0", out var listening);
        try
        {
            string url = await listening;
            await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
            {
                ["Attest__Log__PrivateKey"] = logPrivate,
                ["Attest__Witnesses__0__Url"] = url,
                ["Attest__Witnesses__0__VerifierKey"] = lines[1],
                ["Attest__WitnessPolicy__Mode"] = "Hold",
            });
            long index = (await server.Client.Stamp("witnessed through the cli")).GetProperty("log_index").GetInt64();
            var (_, note) = await server.Client.CheckpointCovering(index + 1);
            Assert.True(NoteVerifier.TryParse(logVerifier, out var logKey));
            var opened = Note.Open(Encoding.UTF8.GetBytes(note), [logKey!, witnessKey!]);
            Assert.Contains(opened.Verified, s => s.Name == "witness.cli.test");

            // Killed outright: what it answered 200 for was persisted first, so a restarted witness refuses size 0 again.
            witness.Kill();
            await witness.WaitForExitAsync();
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(dir, "state"), "*", SearchOption.AllDirectories));
            using var again = StartWitness(dir, logVerifier, url, out _);
            try
            {
                using var http = new HttpClient();
                HttpResponseMessage? response = null;
                for (int i = 0; i < 200 && response is null; i++)
                {
                    try { response = await http.PostAsync(url + "/add-checkpoint", new StringContent(note.Insert(0, "old 0\n\n"))); }
                    catch (HttpRequestException) { await Task.Delay(50); }
                }
                Assert.NotNull(response);
                Assert.Equal(System.Net.HttpStatusCode.Conflict, response!.StatusCode);
                Assert.Equal("text/x.tlog.size", response.Content.Headers.ContentType?.MediaType);
            }
            finally
            {
                again.Kill();
            }
        }
        finally
        {
            if (!witness.HasExited) witness.Kill();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task a_witness_without_its_key_file_does_not_start_and_says_why()
    {
        var result = await AttestCli.Run("witness", "serve", "--key-file", "/nonexistent/witness.key", "--log", "x+00000000+AQ", "--state-dir", Path.GetTempPath());
        AttestCli.AssertExit(2, result);
        Assert.Contains("--key-file", result.Stderr);
    }

    /// <summary>Starts <c>attest witness serve</c>; <paramref name="listening"/> completes with the address it reports once it listens.</summary>
    private static Process StartWitness(string dir, string logVerifier, string url, out Task<string> listening)
    {
        var psi = new ProcessStartInfo("dotnet", [AttestCli.Dll, "witness", "serve", "--key-file", Path.Combine(dir, "witness.key"), "--log", logVerifier,
            "--state-dir", Path.Combine(dir, "state"), "--listen", url]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var p = Process.Start(psi)!;
        var reported = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        const string prefix = "attest witness: listening ";
        p.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith(prefix, StringComparison.Ordinal) == true) reported.TrySetResult(e.Data[prefix.Length..].Split(',')[0]); };
        p.Exited += (_, _) => reported.TrySetException(new InvalidOperationException($"the witness exited with {p.ExitCode} before it listened"));
        p.EnableRaisingEvents = true;
        listening = reported.Task.WaitAsync(TimeSpan.FromSeconds(60));
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
