using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Verification;

/// <summary>
/// The log side of a proof bundle, shared by the server's <c>POST /v1/verify {bundle}</c> and the offline
/// <c>attest verify</c>: an entry's c2sp.org/tlog-proof@v1 (RFC 9162 §2.1.3.2 inclusion against the proof's
/// checkpoint), the checkpoint's C2SP signed-note signature by the log key, and the anchor evidence of
/// docs/ANCHORING.md. Each answers true or false with the reason, never throws on bad input.
/// </summary>
public static class EntryProofs
{
    /// <summary>
    /// The entry is at its index in the tree of the proof's checkpoint: the tlog-proof parses, its index is the
    /// entry's, and the leaf hash SHA-256(0x00 || entry) walked up the proof gives the checkpoint's root. The
    /// checkpoint is read from the note's text without checking its signatures (<see cref="CheckSignature"/> does).
    /// </summary>
    public static bool CheckInclusion(BundleEntry entry, out Checkpoint? checkpoint, out string note, out string problem)
    {
        checkpoint = null;
        note = "";
        if (!TlogProof.TryParse(entry.TlogProof, out var proof)) return Fail(out problem, "the tlog-proof is not a c2sp.org/tlog-proof@v1");
        note = proof!.SignedCheckpoint;
        if (!TryReadCheckpoint(note, out checkpoint, out problem)) return false;
        if (proof.Index != entry.Index) return Fail(out problem, $"the tlog-proof is for index {proof.Index}, the entry says {entry.Index}");
        if (!InclusionProof.Verify(proof.Index, checkpoint!.Size, Rfc6962.HashLeaf(entry.EntryBytes()), [.. proof.Proof], checkpoint.Root))
            return Fail(out problem, $"the inclusion proof of entry {entry.Index} does not lead to the root of the checkpoint of size {checkpoint.Size}");
        problem = "";
        return true;
    }

    /// <summary>
    /// The note carries a valid signature by <paramref name="logKey"/> (c2sp.org/signed-note; other signers, such as
    /// witnesses, are ignored) and is a checkpoint whose origin is the key's name (c2sp.org/tlog-checkpoint).
    /// </summary>
    public static bool CheckSignature(string note, NoteVerifier logKey, out Checkpoint? checkpoint, out string problem)
    {
        checkpoint = null;
        OpenedNote opened;
        try
        {
            opened = Note.Open(Encoding.UTF8.GetBytes(note), [logKey]);
        }
        catch (NoteException e)
        {
            return Fail(out problem, $"the checkpoint is not signed by {logKey.Name}+{logKey.KeyId:x8}: {e.Message}");
        }
        if (!Checkpoint.TryParse(opened.Text, out checkpoint)) return Fail(out problem, "the signed note is not a checkpoint");
        if (checkpoint!.Origin != logKey.Name) return Fail(out problem, $"the checkpoint's origin \"{checkpoint.Origin}\" is not the log key's name \"{logKey.Name}\"");
        problem = "";
        return true;
    }

    /// <summary>
    /// <see cref="CheckInclusion"/>, and when <paramref name="logKey"/> is given, <see cref="CheckSignature"/> of the
    /// proof's checkpoint: what the server checks of a bundle entry.
    /// </summary>
    public static bool CheckEntry(BundleEntry entry, NoteVerifier? logKey, out Checkpoint? checkpoint, out string problem)
    {
        if (!CheckInclusion(entry, out checkpoint, out string note, out problem)) return false;
        return logKey is null || CheckSignature(note, logKey, out _, out problem);
    }

    /// <summary>
    /// The anchor evidence holds (docs/ANCHORING.md "Verifying an anchor offline"): the attestation's entry is included
    /// at the anchored size, in the anchored checkpoint the anchor names (size, root, and the note itself); the
    /// calldata is exactly <see cref="AnchorCalldata.Encode"/> of that checkpoint; and the anchor is a logged
    /// <c>anchor/v1</c> entry (docs/ENTRIES.md) saying all of this. With <paramref name="logKey"/>, both checkpoints
    /// must be signed by it. The chain side (that the transaction carries the calldata) needs a node.
    /// </summary>
    public static bool CheckAnchor(BundleEntry attested, BundleAnchor anchor, NoteVerifier? logKey, out string problem)
    {
        if (!CheckEntry(attested with { TlogProof = anchor.TlogProof }, logKey, out var anchored, out problem))
            return Fail(out problem, "at the anchored size: " + problem);
        if (anchored!.Size != anchor.TreeSize) return Fail(out problem, $"the anchored checkpoint has size {anchored.Size}, the anchor says {anchor.TreeSize}");
        if (anchored.Root.ToBase64() != anchor.RootHash) return Fail(out problem, "the anchored checkpoint's root is not the anchor's root_hash");
        TlogProof.TryParse(anchor.TlogProof, out var proof);
        if (proof!.SignedCheckpoint != anchor.Checkpoint) return Fail(out problem, "the entry's anchored proof is not against the anchor's checkpoint");
        string calldata = EthRpc.Hex(AnchorCalldata.Encode(anchored.Size, anchored.Root, anchored.Origin));
        if (!string.Equals(anchor.Calldata, calldata, StringComparison.OrdinalIgnoreCase))
            return Fail(out problem, $"the calldata {anchor.Calldata} is not the anchored checkpoint's {calldata}");

        if (!CheckEntry(anchor.LogEntry, logKey, out _, out problem)) return Fail(out problem, "the anchor/v1 entry: " + problem);
        if (anchor.LogEntry.Index != anchor.LogIndex) return Fail(out problem, $"the anchor/v1 entry is at {anchor.LogEntry.Index}, the anchor says {anchor.LogIndex}");
        try
        {
            using var doc = JsonDocument.Parse(anchor.LogEntry.Entry);
            var e = doc.RootElement;
            bool same = Text(e, "type") == "anchor/v1" && Number(e, "tree_size") == anchor.TreeSize && Text(e, "root_hash") == anchor.RootHash
                && Text(e, "tx_hash") == anchor.TxHash && Number(e, "chain_id") == anchor.ChainId && Number(e, "block_number") == anchor.BlockNumber
                && Text(e, "block_hash") == anchor.BlockHash && Number(e, "block_timestamp") == anchor.BlockTimestamp
                && Text(e, "from") == anchor.From && Text(e, "to") == anchor.To && Text(e, "checkpoint") == anchor.Checkpoint;
            if (!same) return Fail(out problem, "the logged anchor/v1 entry does not say what the anchor evidence says");
        }
        catch (JsonException)
        {
            return Fail(out problem, "the anchor's log entry is not JSON");
        }
        problem = "";
        return true;
    }

    /// <summary>A signed note's text (c2sp.org/signed-note: all before the last blank line, final newline kept) read as a checkpoint.</summary>
    public static bool TryReadCheckpoint(string note, out Checkpoint? checkpoint, out string problem)
    {
        checkpoint = null;
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) return Fail(out problem, "the checkpoint is not a signed note");
        if (!Checkpoint.TryParse(note[..(split + 1)], out checkpoint)) return Fail(out problem, "the signed note is not a c2sp.org/tlog-checkpoint");
        problem = "";
        return true;
    }

    internal static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static long? Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;

    private static bool Fail(out string problem, string why)
    {
        problem = why;
        return false;
    }
}
