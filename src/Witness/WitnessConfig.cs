using Attest.Merkle;

namespace Attest.Witness;

/// <summary>A witness's configuration: its cosigning key, the logs it witnesses, and where it keeps their state.</summary>
public sealed class WitnessConfig
{
    /// <summary>Optional: when set, the key's name must be this (a guard against starting with the wrong key).</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The Ed25519 cosigning key in Go's <c>PRIVATE+KEY+name+hex8+base64(0x01||seed)</c> form (or type 0x04). A secret:
    /// never logged. Its name is the witness's name in the cosignature lines.
    /// </summary>
    public string PrivateKey { get; set; } = "";

    /// <summary>The logs this witness cosigns, by checkpoint origin. Checkpoints of any other origin get 404.</summary>
    public List<WitnessedLog> Logs { get; set; } = [];

    /// <summary>Holds the latest cosigned checkpoint of each log. Losing it means the witness must be retired, or rolls back.</summary>
    public string StateDir { get; set; } = "witness-state";

    /// <summary>Largest add-checkpoint body read; larger ones get 413. A checkpoint with many signatures and 63 proof lines fits easily.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}

/// <summary>A witnessed log: its checkpoint origin and the signed-note verifier key(s) its checkpoints are signed with.</summary>
public sealed class WitnessedLog
{
    public string Origin { get; set; } = "";

    /// <summary>The log's verifier key, <c>name+hex8+base64(0x01||pub)</c>.</summary>
    public string? VerifierKey { get; set; }

    /// <summary>More verifier keys (a log may sign with several, e.g. during a rotation); any one suffices.</summary>
    public List<string> VerifierKeys { get; set; } = [];
}

/// <summary>A setting a witness cannot start with; the message names the setting (never a secret's value).</summary>
public sealed class WitnessConfigException(string message) : Exception(message);

/// <summary>The checked configuration.</summary>
internal sealed record WitnessSetup(CosignatureSigner Signer, IReadOnlyDictionary<string, INoteVerifier[]> Logs, string StateDir, int MaxBodyBytes)
{
    public static WitnessSetup Create(WitnessConfig config)
    {
        if (!CosignatureSigner.TryParse(config.PrivateKey ?? "", out var signer))
            throw new WitnessConfigException("PrivateKey is not an Ed25519 signer key in the form PRIVATE+KEY+<name>+<8 hex key ID>+<base64 of 0x01 or 0x04 and the 32-byte seed>");
        try
        {
            if (config.Name is not null && config.Name != signer!.Name)
                throw new WitnessConfigException($"Name is \"{config.Name}\" but PrivateKey is the key of \"{signer.Name}\"");
            if (config.Logs.Count == 0) throw new WitnessConfigException("Logs is empty: a witness needs at least one log (origin and verifier key)");
            if (string.IsNullOrWhiteSpace(config.StateDir)) throw new WitnessConfigException("StateDir is required");
            if (config.MaxBodyBytes < 1024) throw new WitnessConfigException("MaxBodyBytes must be at least 1024");
            var logs = new Dictionary<string, INoteVerifier[]>(StringComparer.Ordinal);
            for (int i = 0; i < config.Logs.Count; i++)
            {
                var log = config.Logs[i];
                if (!Checkpoint.TryParse(log.Origin + "\n0\n" + new Hash().ToBase64() + "\n", out _))
                    throw new WitnessConfigException($"Logs[{i}].Origin is not a checkpoint origin line (non-empty, no control characters)");
                if (logs.ContainsKey(log.Origin)) throw new WitnessConfigException($"Logs[{i}].Origin \"{log.Origin}\" is listed twice");
                var keys = (log.VerifierKey is null ? log.VerifierKeys : [log.VerifierKey, .. log.VerifierKeys]).Distinct().ToList();
                if (keys.Count == 0) throw new WitnessConfigException($"Logs[{i}] (\"{log.Origin}\") has no VerifierKey");
                var verifiers = new INoteVerifier[keys.Count];
                for (int k = 0; k < keys.Count; k++)
                {
                    if (!NoteVerifier.TryParse(keys[k], out var v)) throw new WitnessConfigException($"Logs[{i}] (\"{log.Origin}\") verifier key \"{keys[k]}\" is not an Ed25519 signed-note verifier key (name+hex8+base64(0x01||key))");
                    if (verifiers.Take(k).Any(o => o.Name == v!.Name && o.KeyId == v.KeyId)) throw new WitnessConfigException($"Logs[{i}] (\"{log.Origin}\") lists the key {v!.Name}+{v.KeyId:x8} twice");
                    verifiers[k] = v!;
                }
                logs.Add(log.Origin, verifiers);
            }
            return new WitnessSetup(signer!, logs, config.StateDir, config.MaxBodyBytes);
        }
        catch
        {
            signer!.Dispose();
            throw;
        }
    }
}
