using System.Globalization;
using System.Text;
using Attest.Merkle;

namespace Attest.Verification;

/// <summary>
/// The log's signed statement of an attestation's status at a checkpoint (docs/VERIFYING.md "The proof bundle's
/// evidence"): a c2sp.org/signed-note by the log key whose text is <c>attest-status/v1</c>, the origin, the tree size
/// and root, the attestation id, its status, the kid and the key's status, and the time, one per line. Its first
/// line is not the origin, so no c2sp.org/tlog-checkpoint parser takes it for a checkpoint.
/// </summary>
public sealed record StatusNote(string Origin, long TreeSize, Hash Root, string AttestationId, string Status, string Kid, string KeyStatus, DateTimeOffset Time)
{
    public const string Header = "attest-status/v1";

    public static readonly string[] Statuses = ["VALID", "REVOKED", "SUPERSEDED"];
    public static readonly string[] KeyStatuses = ["active", "rotated", "compromised"];

    /// <summary>The note's text, every line ending in a newline; the time is written to the second, in UTC.</summary>
    public string Text() =>
        $"{Header}\n{Origin}\n{TreeSize.ToString(CultureInfo.InvariantCulture)}\n{Root.ToBase64()}\n{AttestationId}\n{Status}\n{Kid} {KeyStatus}\n" +
        $"{Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\n";

    /// <summary>The signed note, as a bundle's <c>status_note</c> carries it.</summary>
    public string Sign(NoteSigner logKey) => Note.Sign(Text(), logKey);

    /// <summary>Reads the text strictly: exactly the eight lines, each canonical.</summary>
    public static bool TryParse(string text, out StatusNote? note)
    {
        note = null;
        if (!text.EndsWith('\n')) return false;
        string[] l = text[..^1].Split('\n');
        if (l.Length != 8 || l[0] != Header || !NoteKeyName.IsValid(l[1])) return false;
        if (!long.TryParse(l[2], NumberStyles.None, CultureInfo.InvariantCulture, out long size) || size.ToString(CultureInfo.InvariantCulture) != l[2]) return false;
        if (!Hash.TryParseBase64(l[3], out var root) || root.ToBase64() != l[3]) return false;
        if (l[4].Length == 0 || l[4].Contains(' ') || !Statuses.Contains(l[5])) return false;
        string[] key = l[6].Split(' ');
        if (key.Length != 2 || key[0].Length == 0 || !KeyStatuses.Contains(key[1])) return false;
        if (!DateTimeOffset.TryParseExact(l[7], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return false;
        note = new StatusNote(l[1], size, root, l[4], l[5], key[0], key[1], time);
        return true;
    }

    /// <summary>Opens the signed note with the trusted log keys and reads it; its origin must be the signing key's name.</summary>
    public static bool TryOpen(string signedNote, IReadOnlyList<NoteVerifier> logKeys, out StatusNote? note, out string problem)
    {
        note = null;
        OpenedNote opened;
        try
        {
            opened = Note.Open(Encoding.UTF8.GetBytes(signedNote), [.. logKeys]);
        }
        catch (NoteException e)
        {
            problem = $"the status note is not signed by a trusted log key: {e.Message}";
            return false;
        }
        if (!TryParse(opened.Text, out var read)) return Fail(out problem, $"the status note is not an {Header} statement");
        if (!opened.Verified.Any(s => s.Name == read!.Origin)) return Fail(out problem, $"the status note's origin \"{read!.Origin}\" is not the name of the key that signed it");
        note = read;
        problem = "";
        return true;
    }

    private static bool Fail(out string problem, string why)
    {
        problem = why;
        return false;
    }
}
