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
            DurableFile.Write(path, Encoding.UTF8.GetBytes(text + "\n"));
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
    /// key is generated and written to <c>admin-key</c> (mode 0600) beside its hash. Only the file's path is printed:
    /// standard output goes to journals and log collectors that keep it, readable by more people than the key should be.
    /// </summary>
    public static byte[] LoadAdminKeyHash(AttestOptions options)
    {
        if (options.AdminKey is { Length: > 0 } configured) return HashKey(configured);
        string path = Path.Combine(options.DataDir, "admin-key.sha256");
        if (File.Exists(path)) return Convert.FromHexString(File.ReadAllText(path).Trim());
        string key = "attest_admin_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var hash = HashKey(key);
        string keyPath = Path.Combine(options.DataDir, "admin-key");
        DurableFile.Write(keyPath, Encoding.UTF8.GetBytes(key + "\n")); // before the hash: a crash between them leaves no key unknown to anyone
        DurableFile.Write(path, Encoding.UTF8.GetBytes(Convert.ToHexStringLower(hash) + "\n"));
        Console.WriteLine($"Generated an admin API key and wrote it to {Path.GetFullPath(keyPath)} (mode 0600). Move it to a secret store and "
            + "delete the file (only its hash, in admin-key.sha256, is needed), or set Attest:AdminKey instead.");
        return hash;
    }

    public static byte[] HashKey(string key) => Attest.Merkle.Sha256.Hash(Encoding.UTF8.GetBytes(key));

    public static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
