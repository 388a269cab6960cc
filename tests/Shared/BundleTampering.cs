using System.Text.Json.Nodes;

namespace Attest.Tests.Shared;

/// <summary>
/// The changes an attacker makes to a proof bundle (docs/VERIFYING.md), each to one signed or proven value, so that
/// exactly the checks over that value fail. The bundle is changed in place.
/// </summary>
public static class BundleTampering
{
    /// <summary>
    /// Flips one base64 character of the attestation's signature (86 characters: 64 bytes, unpadded base64url): one in
    /// the middle, so every one of its 6 bits is a bit of the signature and none is padding.
    /// </summary>
    public static void FlipSignature(JsonNode bundle)
    {
        string signature = bundle["attestation"]!["signature"]!.GetValue<string>();
        Assert.Equal(86, signature.Length);
        bundle["attestation"]!["signature"] = Flip(signature, 10);
    }

    /// <summary>Changes the first hash of the entry's inclusion proof in its c2sp.org/tlog-proof@v1.</summary>
    public static void ChangeProofHash(JsonNode bundle)
    {
        string proof = bundle["log_entry"]!["tlog_proof"]!.GetValue<string>();
        var lines = proof.Split('\n');
        Assert.Equal("c2sp.org/tlog-proof@v1", lines[0]);
        int index = Array.FindIndex(lines, l => l.StartsWith("index "));
        Assert.True(index > 0 && lines[index + 1].Length == 44, $"the proof has no hash (the tree has issuer, key and attestation entries):\n{proof}");
        lines[index + 1] = Flip(lines[index + 1], 20);
        bundle["log_entry"]!["tlog_proof"] = string.Join('\n', lines);
    }

    /// <summary>Changes the last signature of the checkpoint in the entry's tlog-proof.</summary>
    public static void ChangeCheckpointSignature(JsonNode bundle)
    {
        string proof = bundle["log_entry"]!["tlog_proof"]!.GetValue<string>();
        var lines = proof.Split('\n');
        int line = Array.FindLastIndex(lines, l => l.StartsWith("\u2014 "));
        Assert.True(line > 0, $"no signature line in the tlog-proof:\n{proof}");
        // "— name base64(4-byte key id || 64-byte signature)": a character well inside the signature bytes.
        lines[line] = Flip(lines[line], lines[line].Length - 30);
        bundle["log_entry"]!["tlog_proof"] = string.Join('\n', lines);
    }

    /// <summary>The text with its character at <paramref name="at"/> replaced by another base64 character.</summary>
    private static string Flip(string text, int at) => text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..];
}
