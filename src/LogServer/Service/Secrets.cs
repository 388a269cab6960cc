using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>The log's signing key and the admin key: configured, or generated once in the data dir and kept.</summary>
public static class Secrets
{
    /// <summary>
    /// <c>Attest:Log:PrivateKey</c>, else <c>log.key</c> in the data dir (created mode 0600 on first start).
    /// The key's name is the checkpoint origin, so it must equal <c>Attest:Log:Origin</c>.
    /// </summary>
    public static NoteSigner LoadLogKey(AttestOptions options, ILogger logger)
    {
        string path = Path.Combine(options.DataDir, "log.key");
        string? text = options.Log.PrivateKey;
        if (text is null && File.Exists(path)) text = File.ReadAllText(path).Trim();
        if (text is null)
        {
            (text, string vkey) = NoteSigner.Generate(options.Log.Origin);
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(text + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            logger.LogInformation("Generated a new log key in {Path}; verifier key {VerifierKey}", path, vkey);
        }
        if (!NoteSigner.TryParse(text, out var signer))
            throw new InvalidOperationException("Attest:Log:PrivateKey (or log.key) is not a PRIVATE+KEY+<name>+<id>+<key> Ed25519 note key");
        if (signer!.Name != options.Log.Origin)
            throw new InvalidOperationException($"the log key is named \"{signer.Name}\" but Attest:Log:Origin is \"{options.Log.Origin}\"; they must match");
        return signer;
    }

    /// <summary>
    /// The SHA-256 of the admin key: of <c>Attest:AdminKey</c>, else from <c>admin-key.sha256</c>; on first start a new
    /// key is generated, printed once on standard output (never through the logger), and only its hash kept.
    /// </summary>
    public static byte[] LoadAdminKeyHash(AttestOptions options)
    {
        if (options.AdminKey is { Length: > 0 } configured) return HashKey(configured);
        string path = Path.Combine(options.DataDir, "admin-key.sha256");
        if (File.Exists(path)) return Convert.FromHexString(File.ReadAllText(path).Trim());
        string key = "attest_admin_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var hash = HashKey(key);
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(Convert.ToHexStringLower(hash) + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Console.WriteLine($"Generated admin API key (shown once, only its hash is kept in {path}):\n  {key}");
        return hash;
    }

    public static byte[] HashKey(string key) => Attest.Merkle.Sha256.Hash(Encoding.UTF8.GetBytes(key));

    public static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
