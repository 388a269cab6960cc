using System.Security.Cryptography;
using System.Text;

namespace Attest.LogServer.Service;

/// <summary>
/// Encrypts issuer private keys at rest with AES-256-GCM under the key-encryption key (KEK): <c>Attest:KeyEncryptionKey</c>
/// (base64 of 32 bytes, e.g. from the environment), else the file named by <c>Attest:KeyEncryptionKeyFile</c>, else
/// <c>kek</c> in the data dir, created with mode 0600 on first start.
/// </summary>
/// <remarks>
/// A KEK inside the data directory protects against little: a copy or backup of the directory holds both the key
/// and the seeds it encrypts. So that fallback logs a warning at every start, naming the settings to use instead.
/// </remarks>
public sealed class KeyVault
{
    private readonly byte[] kek;

    public KeyVault(AttestOptions options, ILogger<KeyVault> logger)
    {
        if (!TryReadConfigured(options, out var configured, out var problem)) throw new InvalidOperationException(problem);
        if (configured is not null)
        {
            kek = configured;
            if (options.KeyEncryptionKeyFile is { Length: > 0 } file && IsInside(file, options.DataDir))
                logger.LogWarning("Attest:KeyEncryptionKeyFile {Path} is inside the data directory: a backup of the directory holds both the key-encryption key and the issuer keys it protects. Keep the file elsewhere (a secret store or another volume)", file);
            return;
        }
        string path = Path.Combine(options.DataDir, "kek");
        if (!File.Exists(path))
            DurableFile.Write(path, Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n"));
        kek = Convert.FromBase64String(File.ReadAllText(path).Trim());
        logger.LogWarning("The key-encryption key of the issuer keys is {Path}, inside the data directory: a copy or backup of the directory holds both the key and the issuer keys it protects. "
            + "Move it to a secret store and set Attest:KeyEncryptionKey (its base64, e.g. from the environment as Attest__KeyEncryptionKey) or Attest:KeyEncryptionKeyFile (a path outside the data directory), then delete {Path}", path, path);
    }

    /// <summary>Checks the configured KEK, if any, before the server starts; the problem names the setting, never the key.</summary>
    public static bool TryValidate(AttestOptions options, out string? problem) => TryReadConfigured(options, out _, out problem);

    private static bool TryReadConfigured(AttestOptions options, out byte[]? kek, out string? problem)
    {
        kek = null;
        problem = null;
        string? text, setting;
        if (options.KeyEncryptionKey is { Length: > 0 } configured)
        {
            if (options.KeyEncryptionKeyFile is { Length: > 0 })
            {
                problem = "set Attest:KeyEncryptionKey or Attest:KeyEncryptionKeyFile, not both";
                return false;
            }
            (text, setting) = (configured, "Attest:KeyEncryptionKey");
        }
        else if (options.KeyEncryptionKeyFile is { Length: > 0 } file)
        {
            setting = $"Attest:KeyEncryptionKeyFile ({file})";
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"{setting} cannot be read: {e.GetType().Name}: {e.Message}";
                return false;
            }
        }
        else
        {
            return true;
        }
        var bytes = new byte[33];
        if (!Convert.TryFromBase64String(text.Trim(), bytes, out int length) || length != 32)
        {
            problem = $"{setting} must hold the base64 of 32 random bytes (e.g. openssl rand -base64 32)";
            return false;
        }
        kek = bytes[..32];
        return true;
    }

    private static bool IsInside(string path, string dir)
    {
        string d = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(path).StartsWith(d, StringComparison.Ordinal);
    }

    /// <summary><c>base64(nonce(12) || ciphertext || tag(16))</c>, bound to <paramref name="kid"/> as associated data.</summary>
    public string Seal(ReadOnlySpan<byte> seed, string kid)
    {
        var sealedBytes = new byte[12 + seed.Length + 16];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, 12));
        using var gcm = new AesGcm(kek, 16);
        gcm.Encrypt(sealedBytes.AsSpan(0, 12), seed, sealedBytes.AsSpan(12, seed.Length), sealedBytes.AsSpan(12 + seed.Length), Encoding.UTF8.GetBytes(kid));
        return Convert.ToBase64String(sealedBytes);
    }

    /// <summary>A 32-byte key for one <paramref name="purpose"/> (HKDF-SHA256, RFC 5869), as secret as the KEK itself.</summary>
    public byte[] DeriveKey(string purpose) => HKDF.DeriveKey(HashAlgorithmName.SHA256, kek, 32, info: Encoding.UTF8.GetBytes(purpose));

    public byte[] Open(string sealedText, string kid)
    {
        var sealedBytes = Convert.FromBase64String(sealedText);
        var seed = new byte[sealedBytes.Length - 28];
        using var gcm = new AesGcm(kek, 16);
        gcm.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, seed.Length), sealedBytes.AsSpan(12 + seed.Length), seed, Encoding.UTF8.GetBytes(kid));
        return seed;
    }
}
