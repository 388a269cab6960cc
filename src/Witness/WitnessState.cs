using System.Security.Cryptography;
using System.Text;
using Attest.Merkle;

namespace Attest.Witness;

/// <summary>
/// The latest cosigned checkpoint of each witnessed log (c2sp.org/tlog-witness: "the witness MUST persist the new
/// checkpoint before responding"). One file per origin, <c>&lt;hex SHA-256(origin)&gt;.checkpoint</c>, holding the log's
/// signed note as submitted; it is replaced with <see cref="DurableFile.Write"/>, so it is the old or the new note
/// after a crash, never a mix.
/// </summary>
/// <remarks>
/// Contract: callers MUST hold the origin's lock (<see cref="Lock"/>) from reading the state to the end of
/// <see cref="Save"/>, so that checking the old size and recording the new one are one atomic step per origin (the
/// race the spec describes, where two requests both advance from the same size, is then impossible). Different
/// origins proceed in parallel.
/// </remarks>
internal sealed class WitnessState
{
    private readonly string directory;
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    private WitnessState(string directory) => this.directory = directory;

    /// <summary>Loads the state of every configured origin; a file that is not a checkpoint of its origin stops the witness.</summary>
    /// <exception cref="InvalidDataException">when a state file is unreadable: starting over would allow a rollback.</exception>
    public static WitnessState Open(string directory, IEnumerable<string> origins)
    {
        Directory.CreateDirectory(directory);
        var state = new WitnessState(directory);
        foreach (var origin in origins)
        {
            var entry = new Entry();
            string path = state.PathOf(origin);
            if (File.Exists(path))
            {
                var note = File.ReadAllBytes(path);
                int split = note.AsSpan().LastIndexOf("\n\n"u8);
                string text;
                try
                {
                    text = split < 0 ? "" : new UTF8Encoding(false, true).GetString(note, 0, split + 1);
                }
                catch (DecoderFallbackException)
                {
                    text = "";
                }
                if (!Checkpoint.TryParse(text, out var cp) || cp!.Origin != origin)
                    throw new InvalidDataException($"witness state file {path} does not hold a checkpoint of \"{origin}\"; refusing to start (restore it, or retire this witness key)");
                entry.Size = cp.Size;
                entry.Root = cp.Root;
            }
            state.entries.Add(origin, entry);
        }
        return state;
    }

    /// <summary>Serialises the check-and-update of one origin.</summary>
    public SemaphoreSlim Lock(string origin) => entries[origin].Lock;

    /// <summary>The latest cosigned size (0 when none) and its root (null when none).</summary>
    public (long Size, Hash? Root) Latest(string origin)
    {
        var e = entries[origin];
        return (e.Size, e.Root);
    }

    /// <summary>Makes <paramref name="signedNote"/> the origin's latest checkpoint, durably, before the caller answers.</summary>
    public void Save(string origin, Checkpoint checkpoint, ReadOnlySpan<byte> signedNote)
    {
        DurableFile.Write(PathOf(origin), signedNote);
        var e = entries[origin];
        e.Size = checkpoint.Size;
        e.Root = checkpoint.Root;
    }

    private string PathOf(string origin) => Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin))) + ".checkpoint");

    private sealed class Entry
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public long Size { get; set; }

        public Hash? Root { get; set; }
    }
}
