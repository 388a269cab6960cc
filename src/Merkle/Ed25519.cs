using NSec.Cryptography;

namespace Attest.Merkle;

/// <summary>
/// Ed25519 (RFC 8032 §5.1, PureEdDSA) through NSec, whose package carries its own libsodium. Keys and signatures are
/// the RFC 8032 encodings: 32-byte public key, 32-byte seed (the RFC's "private key"), 64-byte signature R || S.
/// </summary>
public static class Ed25519
{
    public const int SeedSize = 32, PublicKeySize = 32, SignatureSize = 64;

    internal static SignatureAlgorithm Algorithm => SignatureAlgorithm.Ed25519;

    /// <summary>
    /// RFC 8032 §5.1.7 verification of <paramref name="signature"/> (64 bytes) over <paramref name="message"/> by
    /// <paramref name="publicKey"/> (32 bytes). Wrong lengths are simply invalid signatures. Imports the key for this
    /// one check (a small allocation); a caller that checks many signatures under one key holds an
    /// <see cref="Ed25519PublicKey"/>, whose <see cref="Ed25519PublicKey.Verify"/> allocates nothing.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Ed25519PublicKey.TryImport(publicKey, out var key) && key.Verify(message, signature);
}

/// <summary>An Ed25519 public key, imported once so that each <see cref="Verify"/> under it allocates nothing.</summary>
public sealed class Ed25519PublicKey
{
    private readonly PublicKey key;
    private readonly byte[] bytes;

    private Ed25519PublicKey(PublicKey key, byte[] bytes)
    {
        this.key = key;
        this.bytes = bytes;
    }

    /// <summary>Imports a 32-byte RFC 8032 public key; false for any other length.</summary>
    public static bool TryImport(ReadOnlySpan<byte> publicKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Ed25519PublicKey? key)
    {
        key = null;
        if (publicKey.Length != Ed25519.PublicKeySize
            || !PublicKey.TryImport(Ed25519.Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var imported) || imported is null) return false;
        key = new Ed25519PublicKey(imported, publicKey.ToArray());
        return true;
    }

    /// <summary>The 32-byte RFC 8032 encoding.</summary>
    public ReadOnlySpan<byte> Bytes => bytes;

    /// <summary>
    /// RFC 8032 §5.1.7 verification of <paramref name="signature"/> over <paramref name="message"/>; a signature that is
    /// not 64 bytes is simply invalid. Does not allocate.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Ed25519.Algorithm.Verify(key, message, signature);
}

/// <summary>
/// An Ed25519 private key: NSec keeps the secret in libsodium's guarded memory (sodium_malloc), outside the garbage
/// collector's reach so no copies are left behind, and zeroes it on <see cref="Dispose"/>. Concurrent
/// <see cref="Sign(ReadOnlySpan{byte}, Span{byte})"/> calls are safe: the key's handle is reference counted across
/// each call, so it stays alive until the last signer returns even if disposed meanwhile.
/// </summary>
public sealed class Ed25519PrivateKey : IDisposable
{
    private readonly Key key;
    private readonly byte[] publicKey;

    private Ed25519PrivateKey(Key key)
    {
        this.key = key;
        publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    // The seed may be exported (ExportSeed) because the server writes the keys it generates to its data directory.
    private static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    /// <summary>Expands a 32-byte RFC 8032 private key (the seed), as stored by Go's ed25519.NewKeyFromSeed.</summary>
    /// <exception cref="ArgumentException">when <paramref name="seed"/> is not 32 bytes.</exception>
    public static Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException($"an Ed25519 seed is {Ed25519.SeedSize} bytes, not {seed.Length}", nameof(seed));
        var parameters = Exportable;
        return new Ed25519PrivateKey(Key.Import(Ed25519.Algorithm, seed, KeyBlobFormat.RawPrivateKey, in parameters));
    }

    /// <summary>A fresh key from libsodium's CSPRNG.</summary>
    public static Ed25519PrivateKey Generate()
    {
        var parameters = Exportable;
        return new Ed25519PrivateKey(Key.Create(Ed25519.Algorithm, in parameters));
    }

    /// <summary>The 32-byte RFC 8032 public key.</summary>
    public ReadOnlySpan<byte> PublicKey => publicKey;

    /// <summary>RFC 8032 §5.1.6 signature of <paramref name="message"/> into exactly 64 bytes. Does not allocate.</summary>
    /// <exception cref="ArgumentException">when <paramref name="signature"/> is not 64 bytes.</exception>
    /// <exception cref="ObjectDisposedException">after <see cref="Dispose"/>.</exception>
    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        if (signature.Length != Ed25519.SignatureSize) throw new ArgumentException($"an Ed25519 signature is {Ed25519.SignatureSize} bytes, not {signature.Length}", nameof(signature));
        Ed25519.Algorithm.Sign(key, message, signature);
    }

    /// <summary>Convenience form of <see cref="Sign(ReadOnlySpan{byte}, Span{byte})"/> that allocates the result.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[Ed25519.SignatureSize];
        Sign(message, signature);
        return signature;
    }

    /// <summary>Writes the 32-byte seed, from which <see cref="FromSeed"/> rebuilds this key.</summary>
    /// <exception cref="ArgumentException">when <paramref name="seed"/> is not 32 bytes.</exception>
    /// <exception cref="ObjectDisposedException">after <see cref="Dispose"/>.</exception>
    public void ExportSeed(Span<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException($"an Ed25519 seed is {Ed25519.SeedSize} bytes, not {seed.Length}", nameof(seed));
        if (!key.TryExport(KeyBlobFormat.RawPrivateKey, seed, out int written) || written != Ed25519.SeedSize)
            throw new System.Diagnostics.UnreachableException("an Ed25519 raw private key is its 32-byte seed");
    }

    public void Dispose() => key.Dispose();
}
