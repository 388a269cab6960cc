using System.Text.Json;
using Attest.Cli.Monitor;
using Attest.Merkle;

namespace Attest.Cli.Tests;

/// <summary>
/// <c>attest monitor</c> against real servers: following a growing log across runs with a state file, and catching a
/// log forked in the test (two servers from copies of one data directory, same key and origin, each then given
/// different entries).
/// </summary>
public sealed class MonitorCommandTests
{
    private const string Origin = "test.attest.local/log";

    [Fact]
    public async Task monitor_once_follows_a_growing_log_across_runs_with_a_state_file()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        string dir = Directory.CreateTempSubdirectory("attest-monitor-").FullName;
        string state = Path.Combine(dir, "state.json");
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey });
        try
        {
            await server.Client.Stamp("first");
            var first = await server.Client.CheckpointCovering(1);
            var r1 = await Monitor(server, verifierKey, state);
            AttestCli.AssertExit(0, r1);
            Assert.Contains($"size {first.Checkpoint.Size}", r1.Stdout);
            Assert.Equal(first.Checkpoint.Size, StateSize(state));

            // Past a full tile (256 entries): the level-0 tile completes, and the old partial bundle is read again.
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => server.Client.Stamp($"second {i}")));
            var second = await server.Client.CheckpointCovering(first.Checkpoint.Size + 300);
            var r2 = await Monitor(server, verifierKey, state);
            AttestCli.AssertExit(0, r2);
            Assert.Contains($"size {second.Checkpoint.Size}", r2.Stdout);
            Assert.Contains($"consistent with size {first.Checkpoint.Size}", r2.Stdout);
            Assert.Contains($"{second.Checkpoint.Size - first.Checkpoint.Size} new entries verified", r2.Stdout);
            Assert.Equal(second.Checkpoint.Size, StateSize(state));
            Assert.Equal(second.Note, JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("checkpoint").GetString());

            var r3 = await Monitor(server, verifierKey, state);
            AttestCli.AssertExit(0, r3);
            Assert.Contains("no new entries", r3.Stdout);

            // A state file is bound to its log key.
            var (_, otherKey) = NoteSigner.Generate(Origin);
            var wrong = await Monitor(server, otherKey, state);
            AttestCli.AssertExit(2, wrong);
            Assert.Contains("follows the log key", wrong.Stderr);
            // And the log's checkpoint does not verify under another key at all.
            var unsigned = await Monitor(server, otherKey, Path.Combine(dir, "fresh.json"));
            AttestCli.AssertExit(1, unsigned);
            Assert.Contains("does not verify", unsigned.Stdout);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task monitor_without_once_keeps_polling_checks_each_new_checkpoint_and_stops_on_sigterm_with_its_state_saved()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        string dir = Directory.CreateTempSubdirectory("attest-monitor-").FullName;
        string state = Path.Combine(dir, "state.json");
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey });
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", [AttestCli.Dll, "monitor", "--url", server.BaseAddress.ToString(), "--log-key", verifierKey, "--state", state, "--interval", "1"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir,
        };
        using var monitor = System.Diagnostics.Process.Start(psi)!;
        var stdout = monitor.StandardOutput.ReadToEndAsync();
        var stderr = monitor.StandardError.ReadToEndAsync();
        try
        {
            await server.Client.Stamp("first");
            var first = await server.Client.CheckpointCovering(1);
            await StateReaches(state, first.Checkpoint.Size, monitor);
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i => server.Client.Stamp($"more {i}")));
            var second = await server.Client.CheckpointCovering(first.Checkpoint.Size + 20);
            await StateReaches(state, second.Checkpoint.Size, monitor);

            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", monitor.Id.ToString()])) await kill.WaitForExitAsync();
            Assert.True(monitor.WaitForExit(TimeSpan.FromSeconds(30)), "the monitor did not stop on SIGTERM");
            string output = await stdout;
            // 128 + SIGTERM, System.CommandLine's code for a stopped process; not 1 (no check failed) or 3.
            Assert.True(monitor.ExitCode == 143, $"exit {monitor.ExitCode}: {output} {await stderr}");
            Assert.Contains($"consistent with size {first.Checkpoint.Size}", output);
            Assert.Equal(second.Checkpoint.Size, StateSize(state));
        }
        finally
        {
            if (!monitor.HasExited) monitor.Kill();
            Directory.Delete(server.DataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Waits until the polling monitor has saved a state of at least <paramref name="size"/>.</summary>
    private static async Task StateReaches(string state, long size, System.Diagnostics.Process monitor)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        // The state file is replaced atomically, so it is either absent or whole.
        while (!(File.Exists(state) && StateSize(state) >= size))
        {
            Assert.False(monitor.HasExited, "the monitor exited");
            Assert.True(DateTime.UtcNow < deadline, $"the monitor did not reach size {size} in 60 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task monitor_catches_a_forked_log_and_prints_both_checkpoints_and_the_failing_consistency_proof()
    {
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        var settings = new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey };
        string dir = Directory.CreateTempSubdirectory("attest-fork-").FullName;
        string state = Path.Combine(dir, "state.json");
        string dataA = ServerProcess.NewDataDir(), dataB = ServerProcess.NewDataDir();
        try
        {
            // A common history, then the data directory copied while the server is stopped.
            await using (var original = await ServerProcess.Start(dataA, settings))
            {
                for (int i = 0; i < 5; i++) await original.Client.Stamp($"common {i}");
                await original.Client.CheckpointCovering(5);
                await original.Stop();
            }
            CopyDirectory(dataA, dataB);

            await using var a = await ServerProcess.Start(dataA, settings);
            await using var b = await ServerProcess.Start(dataB, settings);
            for (int i = 0; i < 3; i++) await a.Client.Stamp($"only in A {i}");
            for (int i = 0; i < 6; i++) await b.Client.Stamp($"only in B {i}");
            var cpA = await a.Client.CheckpointCovering(8);
            var cpB = await b.Client.CheckpointCovering(11);
            Assert.True(cpB.Checkpoint.Size > cpA.Checkpoint.Size);

            var seenA = await Monitor(a, verifierKey, state);
            AttestCli.AssertExit(0, seenA);
            string stateBefore = File.ReadAllText(state);

            var atB = await Monitor(b, verifierKey, state);
            AttestCli.AssertExit(1, atB);
            Assert.Contains("LOG INCONSISTENCY", atB.Stdout);
            Assert.Contains("not consistent", atB.Stdout);
            Assert.Contains(cpA.Note, atB.Stdout); // the checkpoint seen before, from the state file
            Assert.Contains(cpB.Note, atB.Stdout); // the one B serves now
            Assert.Contains($"consistency proof {cpA.Checkpoint.Size} -> {cpB.Checkpoint.Size}", atB.Stdout);
            Assert.Equal(stateBefore, File.ReadAllText(state)); // nothing of the bad view is kept

            // The same fork seen the other way round: B first, then A, which is now smaller: a rollback.
            string stateB = Path.Combine(dir, "state-b.json");
            AttestCli.AssertExit(0, await Monitor(b, verifierKey, stateB));
            var atA = await Monitor(a, verifierKey, stateB);
            AttestCli.AssertExit(1, atA);
            Assert.Contains("rolled back", atA.Stdout);
            Assert.Contains(cpA.Note.TrimEnd(), atA.Stdout); // printed last: the runner trims the final newline
            Assert.Contains(cpB.Note, atA.Stdout);
        }
        finally
        {
            Directory.Delete(dataA, recursive: true);
            Directory.Delete(dataB, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("/tile/entries/", "an entry changed in an entry bundle")]
    [InlineData("/tile/0/", "a hash changed in a level-0 hash tile")]
    public async Task monitor_catches_a_log_that_serves_a_tampered_tile_under_a_correctly_signed_checkpoint(string tampered, string what)
    {
        // A lying server cannot be made from a real one, whose tiles always match its signed checkpoint: so a mirror
        // in front of the real log serves everything as it is, except one byte of the tiles under the given path.
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        string dir = Directory.CreateTempSubdirectory("attest-lying-").FullName;
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey });
        try
        {
            for (int i = 0; i < 20; i++) await server.Client.Stamp($"mirrored {i}");
            await server.Client.CheckpointCovering(20);
            await using var mirror = await LyingMirror.Start(server.BaseAddress, (path, body) =>
            {
                if (path.StartsWith(tampered, StringComparison.Ordinal) && body.Length > 40) body[40] ^= 0x01;
                return body;
            });
            var honest = await Monitor(server, verifierKey, Path.Combine(dir, "honest.json"));
            AttestCli.AssertExit(0, honest);

            var lied = await AttestCli.Run(["monitor", "--url", mirror.Url, "--log-key", verifierKey, "--state", Path.Combine(dir, "lied.json"), "--once"], directory: dir);
            Assert.True(lied.ExitCode == 1, $"{what}: expected exit 1: {lied}");
            Assert.Contains("LOG INCONSISTENCY", lied.Stdout);
            Assert.True(mirror.Tampered > 0, "the mirror never served the tampered path");
            Assert.False(File.Exists(Path.Combine(dir, "lied.json")), "a state file was written from a lying log");
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task monitor_refuses_a_checkpoint_signed_by_another_key_under_the_same_origin_and_prints_the_evidence()
    {
        // Anyone can make a key named like the log (the name is the origin): only the key ID and signature tell it apart.
        var (privateKey, verifierKey) = NoteSigner.Generate(Origin);
        var (impostorKey, _) = NoteSigner.Generate(Origin);
        Assert.True(NoteSigner.TryParse(impostorKey, out var impostor));
        string dir = Directory.CreateTempSubdirectory("attest-impostor-").FullName;
        string state = Path.Combine(dir, "state.json");
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey });
        try
        {
            for (int i = 0; i < 5; i++) await server.Client.Stamp($"honest {i}");
            var seen = await server.Client.CheckpointCovering(5);
            AttestCli.AssertExit(0, await Monitor(server, verifierKey, state));
            string stateBefore = File.ReadAllText(state);

            // A split view: more entries, and a checkpoint of a tree the log never had, signed by the impostor's key.
            for (int i = 0; i < 3; i++) await server.Client.Stamp($"later {i}");
            var real = await server.Client.CheckpointCovering(seen.Checkpoint.Size + 3);
            var otherRoot = new Hash(System.Security.Cryptography.SHA256.HashData("another tree"u8));
            string forged = Note.Sign($"{Origin}\n{real.Checkpoint.Size}\n{otherRoot.ToBase64()}\n", impostor!);
            await using var mirror = await LyingMirror.Start(server.BaseAddress, (path, body) => path == "/checkpoint" ? System.Text.Encoding.UTF8.GetBytes(forged) : body);

            var lied = await AttestCli.Run(["monitor", "--url", mirror.Url, "--log-key", verifierKey, "--state", state, "--once"], directory: dir);

            AttestCli.AssertExit(1, lied);
            Assert.True(mirror.Tampered > 0, "the mirror never served the forged checkpoint");
            Assert.Contains("LOG INCONSISTENCY", lied.Stdout);
            Assert.Contains("does not verify", lied.Stdout);
            Assert.Contains(seen.Note, lied.Stdout); // the checkpoint seen before, from the state file
            Assert.Contains(forged.TrimEnd(), lied.Stdout); // the one served now, with the impostor's signature line
            Assert.Equal(stateBefore, File.ReadAllText(state)); // nothing of the forged view is kept

            // The honest log, behind no mirror, is still followed from the same state.
            var honest = await Monitor(server, verifierKey, state);
            AttestCli.AssertExit(0, honest);
            Assert.Contains($"consistent with size {seen.Checkpoint.Size}", honest.Stdout);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task monitor_prints_the_checkpoint_a_hostile_log_serves_with_its_terminal_escapes_escaped()
    {
        // The evidence shows the served checkpoint as text: an OSC 52 (clipboard write), a cursor-up-and-erase over the
        // "LOG INCONSISTENCY" line and a right-to-left override must reach the terminal as text, not act on it.
        const string hostile = "\u001b]52;c;cHduZWQ=\u0007\u001b[1A\u001b[2K\u202E";
        string dir = Directory.CreateTempSubdirectory("attest-hostile-note-").FullName;
        await using var server = await ServerProcess.Start();
        try
        {
            string vkey = (await server.Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");
            await using var mirror = await LyingMirror.Start(server.BaseAddress, (path, body) =>
                path == "/checkpoint" ? System.Text.Encoding.UTF8.GetBytes($"{Origin}\n1\n{hostile}\n\n\u2014 {hostile}\n") : body);

            var lied = await AttestCli.Run(["monitor", "--url", mirror.Url, "--log-key", vkey, "--state", Path.Combine(dir, "state.json"), "--once"], directory: dir);

            AttestCli.AssertExit(1, lied);
            Assert.Contains("LOG INCONSISTENCY", lied.Stdout);
            Assert.Contains("\\u001b]52;c;cHduZWQ=\\u0007\\u001b[1A\\u001b[2K\\u202e", lied.Stdout);
            Assert.DoesNotContain(lied.Stdout + lied.Stderr, c => c is '\u001b' or '\u0007' or '\u202E');
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void the_tile_edge_gives_the_roots_and_tiles_of_the_full_tree_at_every_size()
    {
        var store = new MemoryHashStore();
        var edge = TileEdge.Empty();
        var completed = new List<(Tile Tile, Hash[] Hashes)>();
        // Through a full level-1 tile (65,536 leaves) and beyond.
        for (long n = 0; n <= 66_000; n++)
        {
            if (n <= 600 || n % 997 == 0 || n >= 65_530)
            {
                Assert.Equal(StoredHashes.TreeHash(n, store), edge.Root());
                foreach (var (tile, hashes) in edge.PartialTiles()) Assert.Equal(Tile.ReadTileData(tile, store), ToBytes(hashes));
                Assert.True(TileEdge.TryCreate(n, [.. Enumerable.Range(0, edge.Levels).Select(edge.Level)], out var copy));
                Assert.Equal(edge.Root(), copy!.Root());
            }
            var entry = BitConverter.GetBytes(n);
            store.Append(entry);
            edge.Append(Rfc6962.HashLeaf(entry), (t, h) => completed.Add((t, h)));
        }
        Assert.Equal(66_000 / 256 + 1, completed.Count); // every full level-0 tile, and the one level-1 tile
        foreach (var (tile, hashes) in completed) Assert.Equal(Tile.ReadTileData(tile, store), ToBytes(hashes));
        Assert.False(TileEdge.TryCreate(5, [[Rfc6962.EmptyRoot]], out _)); // one hash is not five leaves
    }

    private static byte[] ToBytes(Hash[] hashes) => [.. hashes.SelectMany(h => h.ToArray())];

    private static long StateSize(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("size").GetInt64();

    private static Task<ProcessResult> Monitor(ServerProcess server, string verifierKey, string state) =>
        AttestCli.Run(["monitor", "--url", server.BaseAddress.ToString(), "--log-key", verifierKey, "--state", state, "--once"], directory: Path.GetDirectoryName(state));

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to), overwrite: true);
    }
}
