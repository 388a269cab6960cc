using System.Security.Cryptography;
using System.Text;
using Attest.Merkle;

namespace Attest.Verification;

/// <summary>A policy file that is not of the shape docs/VERIFYING.md "Policy file" gives; the message names the line.</summary>
public sealed class PolicyFormatException(string message) : Exception(message);

/// <summary>A quorum rule: a witness, or a group of rules of which at least <see cref="Threshold"/> must hold.</summary>
public abstract record Quorum(string Name)
{
    /// <summary>
    /// Whether the rule holds; each rule is judged once. Groups may share members, so a policy of n groups each naming
    /// the two above it is a DAG whose tree of paths has about 1.6^n leaves: walked without remembering, a 1 KiB
    /// policy keeps a core busy for hours (and the server takes policies from anyone, in POST /v1/verify).
    /// </summary>
    public bool IsMet(IReadOnlySet<string> passingWitnesses) => IsMet(passingWitnesses, new Dictionary<Quorum, bool>(ReferenceEqualityComparer.Instance));

    internal abstract bool IsMet(IReadOnlySet<string> passingWitnesses, Dictionary<Quorum, bool> judged);
}

public sealed record WitnessRule(string Name, CosignatureVerifier Key) : Quorum(Name)
{
    internal override bool IsMet(IReadOnlySet<string> passingWitnesses, Dictionary<Quorum, bool> judged) => passingWitnesses.Contains(Name);
}

public sealed record GroupRule(string Name, int Threshold, IReadOnlyList<Quorum> Members) : Quorum(Name)
{
    internal override bool IsMet(IReadOnlySet<string> passingWitnesses, Dictionary<Quorum, bool> judged)
    {
        if (judged.TryGetValue(this, out bool met)) return met;
        met = Members.Count(m => m.IsMet(passingWitnesses, judged)) >= Threshold;
        judged[this] = met;
        return met;
    }
}

/// <summary>
/// What a relying party trusts before it sees a bundle (docs/VERIFYING.md "What a verifier trusts"): one or more log
/// keys, the witnesses and the quorum of them that must cosign, and whether an anchor is required. Read from a policy
/// file in the manner of the Sigsum policy file (sigsum-go doc/policy.md) with C2SP vkeys, or made of one log key.
/// </summary>
public sealed record TrustPolicy(IReadOnlyList<NoteVerifier> LogKeys, IReadOnlyList<WitnessRule> Witnesses, Quorum? Quorum, bool AnchorRequired)
{
    public const int MaxBytes = 64 << 10;

    public static TrustPolicy OfLogKey(NoteVerifier logKey) => new([logKey], [], null, false);

    /// <summary>Reads a policy file's text strictly.</summary>
    /// <exception cref="PolicyFormatException">naming the line, when a statement is unknown, malformed or repeated, or no log is named.</exception>
    public static TrustPolicy Parse(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes) throw new PolicyFormatException($"a policy is at most {MaxBytes} bytes");
        var logs = new List<NoteVerifier>();
        var witnesses = new List<WitnessRule>();
        var names = new Dictionary<string, Quorum>(StringComparer.Ordinal);
        Quorum? quorum = null;
        bool quorumSeen = false, anchorSeen = false, anchorRequired = false;
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            string[] t = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (t.Length == 0) continue;
            string at = $"policy line {n + 1}";
            switch (t[0])
            {
                case "log":
                    if (t.Length is < 2 or > 3) throw new PolicyFormatException($"{at}: \"log <vkey> [url]\"");
                    if (!NoteVerifier.TryParse(t[1], out var log)) throw new PolicyFormatException($"{at}: \"{t[1]}\" is not a signed-note verifier key (name+hex8+base64 of 0x01 and an Ed25519 key)");
                    if (logs.Any(l => l.Name == log!.Name && l.KeyId == log.KeyId)) throw new PolicyFormatException($"{at}: the log key is named twice");
                    logs.Add(log!);
                    break;
                case "witness":
                    if (t.Length is < 3 or > 4) throw new PolicyFormatException($"{at}: \"witness <name> <vkey> [url]\"");
                    Declare(names, t[1], at);
                    if (!CosignatureVerifier.TryParse(t[2], out var key)) throw new PolicyFormatException($"{at}: \"{t[2]}\" is not a cosignature verifier key (name+hex8+base64 of 0x04 and an Ed25519 key)");
                    var witness = new WitnessRule(t[1], key!);
                    if (witnesses.Any(w => w.Key.Name == key!.Name && w.Key.KeyId == key.KeyId)) throw new PolicyFormatException($"{at}: the witness key is named twice");
                    witnesses.Add(witness);
                    names[t[1]] = witness;
                    break;
                case "group":
                    if (t.Length < 4) throw new PolicyFormatException($"{at}: \"group <name> <k|any|all> <member>...\"");
                    Declare(names, t[1], at);
                    var members = new List<Quorum>();
                    foreach (string m in t[3..])
                    {
                        if (!names.TryGetValue(m, out var member)) throw new PolicyFormatException($"{at}: \"{m}\" is not a witness or group defined above");
                        if (members.Contains(member)) throw new PolicyFormatException($"{at}: \"{m}\" is named twice in the group");
                        members.Add(member);
                    }
                    int k = t[2] switch
                    {
                        "any" => 1,
                        "all" => members.Count,
                        _ => int.TryParse(t[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) && v >= 1 && v <= members.Count
                            ? v : throw new PolicyFormatException($"{at}: the threshold \"{t[2]}\" is not any, all or a number from 1 to {members.Count}"),
                    };
                    names[t[1]] = new GroupRule(t[1], k, members);
                    break;
                case "quorum":
                    if (t.Length != 2) throw new PolicyFormatException($"{at}: \"quorum <name|none>\"");
                    if (quorumSeen) throw new PolicyFormatException($"{at}: a second quorum");
                    quorumSeen = true;
                    quorum = t[1] == "none" ? null : names.TryGetValue(t[1], out var q) ? q : throw new PolicyFormatException($"{at}: \"{t[1]}\" is not a witness or group defined above");
                    break;
                case "anchor":
                    if (t.Length != 2 || t[1] is not ("required" or "optional")) throw new PolicyFormatException($"{at}: \"anchor <required|optional>\"");
                    if (anchorSeen) throw new PolicyFormatException($"{at}: a second anchor statement");
                    anchorSeen = true;
                    anchorRequired = t[1] == "required";
                    break;
                default:
                    throw new PolicyFormatException($"{at}: unknown statement \"{t[0]}\" (log, witness, group, quorum, anchor)");
            }
        }
        if (logs.Count == 0) throw new PolicyFormatException("the policy names no log (\"log <vkey>\")");
        return new TrustPolicy(logs, witnesses, quorum, anchorRequired);
    }

    private static void Declare(Dictionary<string, Quorum> names, string name, string at)
    {
        if (name == "none") throw new PolicyFormatException($"{at}: \"none\" is reserved");
        if (names.ContainsKey(name)) throw new PolicyFormatException($"{at}: \"{name}\" is defined twice");
    }

    /// <summary>
    /// The fingerprint a person compares (docs/VERIFYING.md): the first 16 bytes of SHA-256 over the vkey's UTF-8
    /// text, lowercase hex in groups of four joined by ':'.
    /// </summary>
    public static string Fingerprint(string verifierKey)
    {
        string hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(verifierKey)).AsSpan(0, 16));
        return string.Join(':', Enumerable.Range(0, 8).Select(i => hex.Substring(i * 4, 4)));
    }
}
