using System.CommandLine;
using System.Diagnostics;
using Attest.Cli.Monitor;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli;

/// <summary>
/// <c>attest monitor</c>: follows a log as a C2SP tlog-tiles monitor. Each round: fetch and verify the checkpoint;
/// prove it consistent with the last one seen (RFC 9162 §2.1.4.2, the proof built from the log's own tiles,
/// authenticated against the new root); download every new entry bundle, hash the leaves, rebuild the tree, and
/// compare every hash tile completed on the way, the new partial tiles and the root with what the log serves and
/// signed. Any difference is printed with its evidence and ends the monitor with exit code 1. Entries are leaves,
/// whatever their kind: each is also labelled (<see cref="EntryKinds"/>: a JSON entry's type, or a SCITT statement).
/// </summary>
public static class MonitorCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "the log's base URL (where /checkpoint and /tile/ are)", Required = true };
        var logKey = new Option<string>("--log-key") { Description = "the log's verifier key (name+hex8+base64), or a file holding it", Required = true };
        var state = new Option<string?>("--state")
        {
            Description = "a file to keep the last verified checkpoint and tree edge in (replaced atomically); without it every run starts from the empty tree",
        };
        var once = new Option<bool>("--once") { Description = "check once and exit, instead of polling until interrupted" };
        var interval = new Option<int>("--interval") { Description = "seconds between checks when polling (default 60)", DefaultValueFactory = _ => 60 };
        var entries = new Option<bool>("--entries")
        {
            Description = "print one line per new entry: its kind (a JSON entry's type, or a SCITT statement with the iss, sub and kid its header claims, unverified)",
        };
        var command = new Command("monitor",
            "Follow a log (C2SP tlog-tiles): verify each new checkpoint's signature and its consistency with the last one seen, download " +
            "the new entries and tiles, recompute the tree and check every tile and the root. On a split view or any inconsistency, print " +
            "the evidence (both signed checkpoints, the consistency proof or the mismatching hashes) and exit 1. Progress goes to stderr.")
        {
            url, logKey, state, once, interval, entries,
        };
        command.SetAction((parse, token) => Common.Run(() => Run(
            parse.GetValue(url)!, parse.GetValue(logKey)!, parse.GetValue(state), parse.GetValue(once), parse.GetValue(interval), parse.GetValue(entries), token)));
        return command;
    }

    private static async Task<int> Run(string urlText, string logKeyText, string? statePath, bool once, int interval, bool listEntries, CancellationToken token)
    {
        var key = Common.LogKey(logKeyText);
        var baseUrl = Common.BaseUrl(urlText);
        if (interval < 1) throw new UsageException("--interval is at least 1 second");
        var state = statePath is not null && File.Exists(statePath) ? MonitorState.Load(statePath, key) : null;
        using var http = Common.Http(TimeSpan.FromMinutes(1));
        while (true)
        {
            var client = new TileClient(http, baseUrl);
            try
            {
                var (result, next) = await Round(client, key, state, listEntries, token);
                if (result != ExitCodes.Ok) return result;
                if (next != state && statePath is not null) next!.Save(statePath);
                state = next;
            }
            catch (UnavailableException e) when (!once)
            {
                Console.Error.WriteLine(Common.Printable($"warning: {e.Message}; retrying in {interval} s"));
            }
            if (once) return ExitCodes.Ok;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(interval), token);
            }
            catch (OperationCanceledException)
            {
                // Interrupted between rounds: every round so far checked out and its state is saved. System.CommandLine
                // still exits with 128 + the signal (130, 143), the usual code of a stopped process.
                return ExitCodes.Ok;
            }
        }
    }

    /// <summary>One check of the log; returns the exit code and the state to keep.</summary>
    private static async Task<(int Result, MonitorState? State)> Round(TileClient log, NoteVerifier key, MonitorState? previous, bool listEntries, CancellationToken token)
    {
        string note = await log.Checkpoint(token);
        if (!EntryProofs.CheckSignature(note, key, out var cp, out string problem))
            return (Evidence($"the log's checkpoint does not verify: {problem}", previous, note, log.BaseUrl), null);
        long n0 = previous?.Size ?? 0, n1 = cp!.Size;

        if (n1 < n0)
            return (Evidence($"the log's checkpoint has size {n1}, smaller than size {n0} signed before: the log rolled back", previous, note, log.BaseUrl), null);
        if (n1 == n0)
        {
            if (previous is not null && cp.Root != previous.Root)
                return (Evidence($"two checkpoints of size {n0} with different roots: a split view", previous, note, log.BaseUrl), null);
            Console.WriteLine($"{cp.Origin}: size {n1}, root {cp.Root}: no new entries");
            return (ExitCodes.Ok, previous ?? new MonitorState(key.ToString(), note, 0, cp.Root, TileEdge.Empty()));
        }

        try
        {
            // The log must prove, from its own tiles, that the old tree is a prefix of the new one (RFC 9162 §2.1.4.2).
            if (previous is not null && n0 > 0)
            {
                var reader = new TileHashReader(n1, cp.Root, t => log.HashTileData(t, n1));
                Hash[] proof;
                try
                {
                    proof = ConsistencyProof.Prove(n0, n1, reader);
                }
                catch (InvalidDataException e)
                {
                    return (Evidence($"the log's hash tiles do not match its own checkpoint of size {n1}: {e.Message}", previous, note, log.BaseUrl), null);
                }
                if (!ConsistencyProof.Verify(n0, n1, proof, previous.Root, cp.Root))
                {
                    return (Evidence($"the checkpoint of size {n1} is not consistent with the one of size {n0} seen before: a split view or rewritten history",
                        previous, note, log.BaseUrl, ["consistency proof " + n0 + " -> " + n1 + ", built from the log's tiles (authenticated against the new root), which does not verify against the old root:", .. proof.Select(h => "  " + h.ToBase64())]), null);
                }
            }

            var edge = previous?.Edge.Clone() ?? TileEdge.Empty();
            var kinds = new EntryKinds();
            var (fault, tiles) = await CatchUp(log, edge, n0, n1, kinds, listEntries, token);
            if (fault is not null) return (Evidence(fault, previous, note, log.BaseUrl), null);
            var root = edge.Root();
            if (root != cp.Root)
                return (Evidence($"the log's entries 0..{n1 - 1} hash to root {root}, but its checkpoint of size {n1} says {cp.Root}", previous, note, log.BaseUrl), null);
            // An entry of no known kind is still a leaf of a consistent tree: reported, not a fault of the log.
            foreach (var unrecognised in kinds.Problems.Take(10)) Console.Error.WriteLine("warning: " + Common.Printable(unrecognised));
            if (kinds.Problems.Count > 10) Console.Error.WriteLine($"warning: {kinds.Problems.Count - 10} more unrecognised entries");
            // The kinds are the log's own words (a JSON entry's type), printed escaped.
            Console.WriteLine(Common.Printable($"{cp.Origin}: size {n1}, root {cp.Root}: {n1 - n0} new entries verified ({tiles} tiles checked)" +
                (n0 > 0 ? $", consistent with size {n0}" : "") + $"; by kind: {kinds.Summary()}"));
            return (ExitCodes.Ok, new MonitorState(key.ToString(), note, n1, cp.Root, edge));
        }
        catch (InvalidDataException e)
        {
            return (Evidence($"the log served malformed data: {e.Message}", previous, note, log.BaseUrl), null);
        }
    }

    /// <summary>
    /// Appends entries n0..n1-1 from the log's entry bundles to <paramref name="edge"/>, checking the entries it already
    /// had (the start of a partial bundle) against their stored leaf hashes, and every hash tile completed on the way
    /// and every partial tile at the end against the log's. Returns the first fault found, if any, and the tiles compared.
    /// </summary>
    private static async Task<(string? Fault, int Tiles)> CatchUp(TileClient log, TileEdge edge, long n0, long n1, EntryKinds kinds, bool listEntries, CancellationToken token)
    {
        var completed = new List<(Tile Tile, Hash[] Hashes)>();
        var progress = Stopwatch.StartNew();
        var oldLeaves = edge.Level(0).ToArray();
        int tiles = 0;
        for (long n = n0 >> Tile.Height; n <= (n1 - 1) >> Tile.Height; n++)
        {
            long first = n << Tile.Height;
            var bundle = new Tile(Tile.EntriesLevel, n, (int)Math.Min(Tile.FullWidth, n1 - first));
            var entries = await log.Entries(bundle, n1, token);
            tiles++;
            for (int i = 0; i < entries.Count; i++)
            {
                long index = first + i;
                var leaf = Rfc6962.HashLeaf(entries[i]);
                if (index < n0)
                {
                    // Entries checked in an earlier run, served again at the start of a partial bundle: they must not have changed.
                    if (leaf != oldLeaves[i])
                        return ($"entry {index} changed: its leaf hash was {oldLeaves[i]} when checked at size {n0}, the log now serves an entry hashing to {leaf}", tiles);
                    continue;
                }
                edge.Append(leaf, (t, hashes) => completed.Add((t, hashes)));
                string line = kinds.Add(index, entries[i]);
                if (listEntries) Console.WriteLine(Common.Printable(line));
            }
            foreach (var (t, hashes) in completed)
            {
                tiles++;
                if (Mismatch(t, hashes, await log.HashTile(t, n1, token)) is { } fault) return (fault, tiles);
            }
            completed.Clear();
            if (progress.ElapsedMilliseconds >= 1000 && n1 - n0 > Tile.FullWidth)
            {
                Console.Error.WriteLine($"catching up: {edge.Size - n0}/{n1 - n0} new entries ({100 * (edge.Size - n0) / (n1 - n0)}%), {log.Fetches} requests");
                progress.Restart();
            }
        }
        foreach (var (t, hashes) in edge.PartialTiles())
        {
            tiles++;
            if (Mismatch(t, hashes, await log.HashTile(t, n1, token)) is { } fault) return (fault, tiles);
        }
        if (n1 - n0 > Tile.FullWidth) Console.Error.WriteLine($"caught up: {n1 - n0} new entries, {log.Fetches} requests");
        return (null, tiles);
    }

    private static string? Mismatch(Tile tile, Hash[] computed, Hash[] served)
    {
        for (int i = 0; i < computed.Length; i++)
        {
            if (computed[i] != served[i])
                return $"tile {tile.Path}, hash {i}: the log serves {served[i]}, the entries hash to {computed[i]}";
        }
        return null;
    }

    /// <summary>Prints a fault with its evidence on stdout (both signed checkpoints and what else shows it) and returns exit code 1.</summary>
    private static int Evidence(string headline, MonitorState? previous, string note, Uri url, IEnumerable<string>? more = null)
    {
        // The served checkpoint need not verify, nor even be a note: the log's text is shown line by line, escaped.
        headline = Common.Printable(headline);
        Console.WriteLine("LOG INCONSISTENCY: " + headline);
        if (previous is not null)
        {
            Console.WriteLine();
            Console.WriteLine($"checkpoint seen before (size {previous.Size}, from the state file):");
            WriteLines(previous.Checkpoint);
        }
        Console.WriteLine();
        Console.WriteLine($"checkpoint now served by {new Uri(url, "checkpoint")}:");
        WriteLines(note);
        if (more is not null)
        {
            Console.WriteLine();
            foreach (var line in more) Console.WriteLine(Common.Printable(line));
        }
        Console.Error.WriteLine("error: " + headline);
        return ExitCodes.Failed;
    }

    private static void WriteLines(string text)
    {
        foreach (string line in (text.EndsWith('\n') ? text[..^1] : text).Split('\n')) Console.WriteLine(Common.Printable(line));
    }
}
