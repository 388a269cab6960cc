using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli.Monitor;

/// <summary>
/// What a monitor remembers between runs (<c>--state</c>): the log key it follows, the last checkpoint it verified
/// (the signed note, as evidence for a later split view), and the tile edge of that tree, so the next run appends
/// only new entries. JSON <c>{"format": "attest-monitor-state/v1", "verifier_key", "checkpoint", "size", "root",
/// "edge": [[base64 hash, …] per tile level]}</c>, replaced atomically. Not bound to a URL: the same log may be read
/// from mirrors, and a different view from another one is exactly what it must catch.
/// </summary>
public sealed record MonitorState(string VerifierKey, string Checkpoint, long Size, Hash Root, TileEdge Edge)
{
    public const string Format = "attest-monitor-state/v1";
    private const int MaxBytes = 4 << 20;

    /// <summary>Reads and re-checks a state file: its checkpoint is signed by <paramref name="key"/> and its edge hashes to the checkpoint's root.</summary>
    /// <exception cref="UsageException">when the file is unreadable, malformed, of another log, or inconsistent in itself.</exception>
    public static MonitorState Load(string path, NoteVerifier key)
    {
        byte[] bytes;
        try
        {
            if (new FileInfo(path).Length > MaxBytes) throw new UsageException($"state file {path} is larger than {MaxBytes} bytes");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the state file {path}: {e.Message}");
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            var root = doc.RootElement;
            if (Str(root, "format") != Format) throw new FormatException($"not an {Format} file");
            if (Str(root, "verifier_key") != key.ToString())
                throw new UsageException($"state file {path} follows the log key {Str(root, "verifier_key")}, not --log-key {key}");
            string note = Str(root, "checkpoint");
            if (!EntryProofs.CheckSignature(note, key, out var cp, out string problem)) throw new FormatException(problem);
            if (!root.TryGetProperty("size", out var s) || !s.TryGetInt64(out long size) || size != cp!.Size) throw new FormatException("size is not the checkpoint's");
            if (!Hash.TryParseBase64(Str(root, "root"), out var treeRoot) || treeRoot != cp.Root) throw new FormatException("root is not the checkpoint's");
            if (!root.TryGetProperty("edge", out var e) || e.ValueKind != JsonValueKind.Array) throw new FormatException("edge is not an array");
            var levels = new List<IReadOnlyList<Hash>>();
            foreach (var level in e.EnumerateArray())
            {
                if (level.ValueKind != JsonValueKind.Array) throw new FormatException("an edge level is not an array");
                levels.Add([.. level.EnumerateArray().Select(h => h.ValueKind == JsonValueKind.String && Hash.TryParseBase64(h.GetString(), out var x) ? x : throw new FormatException("an edge hash is not base64 of 32 bytes"))]);
            }
            if (!TileEdge.TryCreate(size, levels, out var edge)) throw new FormatException($"the edge does not make a tree of {size} leaves");
            if (edge!.Root() != treeRoot) throw new FormatException("the edge does not hash to the checkpoint's root");
            return new MonitorState(key.ToString(), note, size, treeRoot, edge);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new UsageException($"state file {path} is not a usable monitor state: {e.Message}");
        }
    }

    /// <summary>Writes the state so that a crash leaves either the old or the new file (write, fsync, rename, fsync the directory).</summary>
    public void Save(string path)
    {
        var json = new JsonObject
        {
            ["format"] = Format, ["verifier_key"] = VerifierKey, ["checkpoint"] = Checkpoint, ["size"] = Size, ["root"] = Root.ToBase64(),
            ["edge"] = new JsonArray([.. Enumerable.Range(0, Edge.Levels).Select(k => (JsonNode)new JsonArray([.. Edge.Level(k).Select(h => JsonValue.Create(h.ToBase64()))]))]),
        };
        DurableFile.Write(path, Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"\"{name}\" is missing or not a string");
}
