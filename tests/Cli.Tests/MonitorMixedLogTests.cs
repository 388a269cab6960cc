using Attest.Cli.Monitor;
using Attest.Merkle;

namespace Attest.Cli.Tests;

/// <summary>
/// <c>attest monitor</c> over a log whose entries are not all JSON (docs/ENTRIES.md "Entry kinds"): SCITT Signed
/// Statements appended to a stopped server's entry log (<see cref="MixedLog"/>) between entries written through the API.
/// </summary>
public sealed class MonitorMixedLogTests
{
    private const string Origin = "test.attest.local/log";

    [Fact]
    public async Task monitor_follows_a_mixed_log_from_start_to_end_and_labels_each_statement_with_its_claimed_header()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        var settings = new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey };
        string dir = Directory.CreateTempSubdirectory("attest-monitor-mixed-").FullName;
        string state = Path.Combine(dir, "state.json");
        string dataDir = ServerProcess.NewDataDir();
        var statement = MixedLog.Statement("https://issuer.example", "pkg:npm/left-pad@1.3.0", kid: "issuer-key-1");
        try
        {
            await using (var before = await ServerProcess.Start(dataDir, settings))
            {
                await before.Client.Stamp("before " + Guid.NewGuid());
                await before.Client.CheckpointCovering(await before.Client.TreeSize());
                var r1 = await Monitor(before, verifierKey, state, "--entries");
                AttestCli.AssertExit(0, r1);
                Assert.DoesNotContain(EntryKinds.Statement, r1.Stdout);
                await before.Stop();
            }
            await MixedLog.AppendOffline(dataDir, statement);
            await using var server = await ServerProcess.Start(dataDir, settings);
            long statementIndex = await server.Client.TreeSize() - 1;
            // Past a full tile, so the statement's partial bundle is read again from the state's edge and then completed.
            await Task.WhenAll(Enumerable.Range(0, 260).Select(i => server.Client.Stamp($"after {i}")));
            var (cp, _) = await server.Client.CheckpointCovering(await server.Client.TreeSize());

            var r2 = await Monitor(server, verifierKey, state, "--entries");
            AttestCli.AssertExit(0, r2);
            Assert.Contains($"size {cp.Size}", r2.Stdout);
            Assert.Contains($"entry {statementIndex}: SCITT statement, {statement.Length} bytes, iss \"https://issuer.example\", sub \"pkg:npm/left-pad@1.3.0\", kid \"issuer-key-1\", alg ES256 (as claimed, unverified)", r2.Stdout);
            Assert.Contains("1 SCITT statement", r2.Stdout);
            Assert.Contains("260 stamp/v1", r2.Stdout);
            Assert.DoesNotContain("unrecognised", r2.Stdout + r2.Stderr);

            // A fresh monitor from the empty tree sees the same.
            var fresh = await Monitor(server, verifierKey, Path.Combine(dir, "fresh.json"));
            AttestCli.AssertExit(0, fresh);
            Assert.Contains($"{cp.Size} new entries verified", fresh.Stdout);
            Assert.Contains("1 SCITT statement", fresh.Stdout);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task monitor_catches_a_mirror_that_changes_one_byte_of_a_statement_in_its_entry_bundle()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        var settings = new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey };
        string dir = Directory.CreateTempSubdirectory("attest-lying-mixed-").FullName;
        string dataDir = ServerProcess.NewDataDir();
        var statement = MixedLog.Statement("https://issuer.example", "artifact");
        try
        {
            await using (var before = await ServerProcess.Start(dataDir, settings))
            {
                await before.Client.Stamp("before " + Guid.NewGuid());
                await before.Client.CheckpointCovering(await before.Client.TreeSize());
                await before.Stop();
            }
            await MixedLog.AppendOffline(dataDir, statement);
            await using var server = await ServerProcess.Start(dataDir, settings);
            await server.Client.Stamp("after " + Guid.NewGuid());
            await server.Client.CheckpointCovering(await server.Client.TreeSize());
            // The statement's last byte (its signature's) flipped, wherever the bundle holds it: a valid-looking statement still.
            await using var mirror = await LyingMirror.Start(server.BaseAddress, (path, body) =>
            {
                int at = body.AsSpan().IndexOf(statement);
                if (path.StartsWith("/tile/entries/", StringComparison.Ordinal) && at >= 0) body[at + statement.Length - 1] ^= 0x01;
                return body;
            });
            var honest = await Monitor(server, verifierKey, Path.Combine(dir, "honest.json"));
            AttestCli.AssertExit(0, honest);

            var lied = await AttestCli.Run(["monitor", "--url", mirror.Url, "--log-key", verifierKey, "--state", Path.Combine(dir, "lied.json"), "--once"], directory: dir);
            Assert.True(lied.ExitCode == 1, $"expected exit 1: {lied}");
            Assert.Contains("LOG INCONSISTENCY", lied.Stdout);
            Assert.True(mirror.Tampered > 0, "the mirror never served the tampered statement");
            Assert.False(File.Exists(Path.Combine(dir, "lied.json")), "a state file was written from a lying log");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task monitor_prints_the_entry_types_and_claimed_headers_a_hostile_log_holds_with_their_terminal_escapes_escaped()
    {
        // The operator is who a monitor distrusts: its entries (here appended to its own entry log) are its words, and an
        // OSC 52 (clipboard write), a cursor-up or a right-to-left override in them must reach the terminal as text.
        const string hostile = "\u001b]52;c;cHduZWQ=\u0007\u001b[1A\u202E";
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        var settings = new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey };
        string dir = Directory.CreateTempSubdirectory("attest-monitor-hostile-").FullName;
        string dataDir = ServerProcess.NewDataDir();
        try
        {
            await using (var before = await ServerProcess.Start(dataDir, settings))
            {
                await before.Client.Stamp("before " + Guid.NewGuid());
                await before.Stop();
            }
            await MixedLog.AppendOffline(dataDir, System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { type = hostile })),
                MixedLog.Statement("https://issuer.example", hostile), [0xD2, .. System.Text.Encoding.UTF8.GetBytes(hostile)]);
            await using var server = await ServerProcess.Start(dataDir, settings);
            await server.Client.CheckpointCovering(await server.Client.TreeSize());

            var r = await Monitor(server, verifierKey, Path.Combine(dir, "state.json"), "--entries");

            AttestCli.AssertExit(0, r);
            Assert.Contains("\\u001b]52;c;cHduZWQ=\\u0007\\u001b[1A\\u202e", r.Stdout);
            Assert.DoesNotContain(r.Stdout + r.Stderr, c => c is '\u001b' or '\u0007' or '\u202E');
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void an_entry_of_neither_kind_is_labelled_unrecognised_and_counted_not_thrown()
    {
        var kinds = new EntryKinds();
        Assert.Contains("\"stamp/v1\"", kinds.Add(0, """{"id":"x","type":"stamp/v1"}"""u8.ToArray()));
        Assert.Contains("SCITT statement", kinds.Add(1, MixedLog.Statement("iss\u001b[31m", "sub")));
        Assert.Contains("unrecognised", kinds.Add(2, [0xD2, 0x00]));
        Assert.Contains("unrecognised", kinds.Add(3, "not json"u8.ToArray()));
        Assert.Contains("unrecognised", kinds.Add(4, """{"type":"stamp/v1"} trailing"""u8.ToArray()));
        Assert.Contains("unrecognised", kinds.Add(5, """{"no_type":1}"""u8.ToArray()));
        Assert.Contains("unrecognised", kinds.Add(6, []));
        Assert.Equal(5, kinds.Problems.Count);
        Assert.Equal("1 SCITT statement, 1 stamp/v1, 5 unrecognised", kinds.Summary());
        // A claimed issuer is untrusted text: its control characters are escaped, never sent to the terminal.
        Assert.DoesNotContain('\u001b', string.Concat(kinds.Problems) + kinds.Add(7, MixedLog.Statement("iss\u001b[31m", "sub")));
    }

    private static Task<ProcessResult> Monitor(ServerProcess server, string verifierKey, string state, params string[] more) =>
        AttestCli.Run(["monitor", "--url", server.BaseAddress.ToString(), "--log-key", verifierKey, "--state", state, "--once", .. more], directory: Path.GetDirectoryName(state));
}
