using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Attest.Merkle;

/// <summary>
/// Ed25519 (RFC 8032 §5.1, PureEdDSA) through the system libsodium, because .NET has no Ed25519 of its own and the
/// project takes no NuGet packages. Keys and signatures are the RFC 8032 encodings: 32-byte public key, 32-byte seed
/// (the RFC's "private key"), 64-byte signature R || S.
/// </summary>
public static class Ed25519
{
    public const int SeedSize = 32, PublicKeySize = 32, SignatureSize = 64;

    /// <summary>Whether libsodium could be loaded and initialised; if not, <paramref name="problem"/> says why.</summary>
    public static bool IsAvailable(out string problem)
    {
        problem = Sodium.Problem ?? "";
        return Sodium.Problem is null;
    }

    /// <summary>
    /// RFC 8032 §5.1.7 verification of <paramref name="signature"/> (64 bytes) over <paramref name="message"/> by
    /// <paramref name="publicKey"/> (32 bytes). Wrong lengths are simply invalid signatures. Does not allocate.
    /// </summary>
    /// <exception cref="DllNotFoundException">when libsodium is not installed (see <see cref="IsAvailable"/>).</exception>
    public static unsafe bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Sodium.EnsureAvailable();
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize) return false;
        fixed (byte* pk = publicKey)
        fixed (byte* m = message)
        fixed (byte* sig = signature)
        {
            return Sodium.crypto_sign_verify_detached(sig, m, (ulong)message.Length, pk) == 0;
        }
    }
}

/// <summary>
/// An Ed25519 private key held as libsodium's 64-byte secret key (seed || public key) in unmanaged memory, so the
/// garbage collector never leaves copies behind, and zeroed on <see cref="Dispose"/> (or finalisation).
/// Concurrent <see cref="Sign(ReadOnlySpan{byte}, Span{byte})"/> calls are safe: libsodium only reads the key, and
/// the handle's reference count keeps the memory alive until the last signer returns even if disposed meanwhile.
/// </summary>
public sealed class Ed25519PrivateKey : IDisposable
{
    private const int SecretKeySize = Ed25519.SeedSize + Ed25519.PublicKeySize;

    private readonly SecretKey secret;
    private readonly byte[] publicKey;

    private Ed25519PrivateKey(SecretKey secret, byte[] publicKey)
    {
        this.secret = secret;
        this.publicKey = publicKey;
    }

    /// <summary>Expands a 32-byte RFC 8032 private key (the seed), as stored by Go's ed25519.NewKeyFromSeed.</summary>
    /// <exception cref="ArgumentException">when <paramref name="seed"/> is not 32 bytes.</exception>
    /// <exception cref="DllNotFoundException">when libsodium is not installed.</exception>
    public static unsafe Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException($"an Ed25519 seed is {Ed25519.SeedSize} bytes, not {seed.Length}", nameof(seed));
        Sodium.EnsureAvailable();
        var secret = SecretKey.Allocate();
        var publicKey = new byte[Ed25519.PublicKeySize];
        fixed (byte* pk = publicKey)
        fixed (byte* s = seed)
        {
            if (Sodium.crypto_sign_seed_keypair(pk, (byte*)secret.DangerousGetHandle(), s) != 0)
            {
                secret.Dispose();
                throw new UnreachableException("crypto_sign_seed_keypair cannot fail");
            }
        }
        return new Ed25519PrivateKey(secret, publicKey);
    }

    /// <summary>A fresh key from libsodium's CSPRNG (randombytes_buf).</summary>
    /// <exception cref="DllNotFoundException">when libsodium is not installed.</exception>
    public static unsafe Ed25519PrivateKey Generate()
    {
        Sodium.EnsureAvailable();
        Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
        try
        {
            fixed (byte* s = seed) Sodium.randombytes_buf(s, (nuint)seed.Length);
            return FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The 32-byte RFC 8032 public key.</summary>
    public ReadOnlySpan<byte> PublicKey => publicKey;

    /// <summary>RFC 8032 §5.1.6 signature of <paramref name="message"/> into exactly 64 bytes. Does not allocate.</summary>
    /// <exception cref="ArgumentException">when <paramref name="signature"/> is not 64 bytes.</exception>
    /// <exception cref="ObjectDisposedException">after <see cref="Dispose"/>.</exception>
    public unsafe void Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        if (signature.Length != Ed25519.SignatureSize) throw new ArgumentException($"an Ed25519 signature is {Ed25519.SignatureSize} bytes, not {signature.Length}", nameof(signature));
        bool added = false;
        secret.DangerousAddRef(ref added); // throws ObjectDisposedException once disposed
        try
        {
            fixed (byte* sig = signature)
            fixed (byte* m = message)
            {
                if (Sodium.crypto_sign_detached(sig, null, m, (ulong)message.Length, (byte*)secret.DangerousGetHandle()) != 0)
                    throw new UnreachableException("crypto_sign_detached cannot fail");
            }
        }
        finally
        {
            if (added) secret.DangerousRelease();
        }
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
    public unsafe void ExportSeed(Span<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException($"an Ed25519 seed is {Ed25519.SeedSize} bytes, not {seed.Length}", nameof(seed));
        bool added = false;
        secret.DangerousAddRef(ref added);
        try
        {
            // libsodium's secret key is seed || public key (the layout crypto_sign_ed25519_sk_to_seed reads).
            new ReadOnlySpan<byte>((byte*)secret.DangerousGetHandle(), Ed25519.SeedSize).CopyTo(seed);
        }
        finally
        {
            if (added) secret.DangerousRelease();
        }
    }

    public void Dispose() => secret.Dispose();

    /// <summary>The 64 secret bytes; the runtime releases them (zeroed) only when no call holds a reference.</summary>
    private sealed unsafe class SecretKey : SafeHandle
    {
        private SecretKey() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        public static SecretKey Allocate()
        {
            var key = new SecretKey();
            key.SetHandle((IntPtr)NativeMemory.AllocZeroed(SecretKeySize));
            return key;
        }

        protected override bool ReleaseHandle()
        {
            CryptographicOperations.ZeroMemory(new Span<byte>((void*)handle, SecretKeySize));
            NativeMemory.Free((void*)handle);
            return true;
        }
    }
}

/// <summary>The libsodium entry points we use, bound once with sodium_init.</summary>
internal static unsafe partial class Sodium
{
    private const string Library = "libsodium";

    // Debian's libsodium23 ships only the versioned soname; the unversioned name comes with libsodium-dev.
    private static readonly string[] Candidates = ["libsodium.so.23", "libsodium", "sodium"];

    /// <summary>Null when libsodium is loaded and initialised; otherwise why not.</summary>
    public static readonly string? Problem = Initialize();

    public static void EnsureAvailable()
    {
        if (Problem is not null) throw new DllNotFoundException(Problem);
    }

    private static string? Initialize()
    {
        NativeLibrary.SetDllImportResolver(typeof(Sodium).Assembly, Resolve);
        const string missing = "libsodium (Debian package libsodium23) is not installed: ";
        try
        {
            // 0 = initialised now, 1 = already initialised; -1 means its CSPRNG or CPU detection failed.
            return sodium_init() >= 0 ? null : "libsodium's sodium_init failed";
        }
        catch (DllNotFoundException e)
        {
            return missing + e.Message;
        }
        catch (EntryPointNotFoundException e)
        {
            return missing + "the library found lacks an entry point: " + e.Message;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle)) return handle;
        }
        return IntPtr.Zero; // the runtime then throws DllNotFoundException listing what it tried
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    internal static partial int crypto_sign_seed_keypair(byte* pk, byte* sk, byte* seed);

    [LibraryImport(Library)]
    internal static partial int crypto_sign_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);

    [LibraryImport(Library)]
    internal static partial int crypto_sign_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    [LibraryImport(Library)]
    internal static partial void randombytes_buf(byte* buf, nuint size);
}
