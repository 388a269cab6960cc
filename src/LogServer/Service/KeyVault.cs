using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

/// <summary>
/// Encrypts issuer private keys at rest with AES-256-GCM under the key-encryption key: <c>Attest:KeyEncryptionKey</c>
/// (base64 of 32 bytes), else <c>kek</c> in the data dir, created with mode 0600 on first start.
/// </summary>
public sealed class KeyVault
{
    private readonly byte[] kek;

    public KeyVault(AttestOptions options)
    {
        if (options.KeyEncryptionKey is { Length: > 0 } configured)
        {
            kek = Convert.FromBase64String(configured);
            if (kek.Length != 32) throw new InvalidOperationException("Attest:KeyEncryptionKey must be the base64 of 32 bytes");
            return;
        }
        string path = Path.Combine(options.DataDir, "kek");
        if (!File.Exists(path))
            AtomicFile.Write(path, Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        kek = Convert.FromBase64String(File.ReadAllText(path).Trim());
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

    public byte[] Open(string sealedText, string kid)
    {
        var sealedBytes = Convert.FromBase64String(sealedText);
        var seed = new byte[sealedBytes.Length - 28];
        using var gcm = new AesGcm(kek, 16);
        gcm.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, seed.Length), sealedBytes.AsSpan(12 + seed.Length), seed, Encoding.UTF8.GetBytes(kid));
        return seed;
    }
}
