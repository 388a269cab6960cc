using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Attest.Merkle;

/// <summary>
/// SHA-256 (FIPS 180-4) of one buffer: through the system OpenSSL's low-level <c>SHA256_Init/Update/Final</c> when
/// libcrypto 3 exports them, else <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>. Both are OpenSSL's
/// same SHA-NI code; the difference is the wrapper. .NET's one-shot creates and frees an EVP context per call and
/// clears OpenSSL's error queue, 0.5–0.8 µs here against 0.08 µs for the hash of a 65-byte Merkle node itself, and a
/// mint hashes about ten small inputs (docs/PERFORMANCE.md, "SHA-256 without the EVP wrapper"). The digest is the
/// same either way: a test compares the
/// two on every input length up to several blocks.
/// </summary>
public static unsafe class Sha256
{
    public const int Size = 32;

    // OpenSSL 3 declares SHA256_CTX as 8 + 2 + 16 words and two ints: 112 bytes; 128 leaves room.
    private const int ContextSize = 128;

    private static readonly delegate* unmanaged<byte*, int> Init;
    private static readonly delegate* unmanaged<byte*, byte*, nuint, int> Update;
    private static readonly delegate* unmanaged<byte*, byte*, int> Final;

    static Sha256()
    {
        // The deprecated low-level API may be dropped by a later OpenSSL; then every call takes the .NET path.
        if (!NativeLibrary.TryLoad("libcrypto.so.3", out var lib)) return;
        if (NativeLibrary.TryGetExport(lib, "SHA256_Init", out var init) &&
            NativeLibrary.TryGetExport(lib, "SHA256_Update", out var update) &&
            NativeLibrary.TryGetExport(lib, "SHA256_Final", out var final))
        {
            Init = (delegate* unmanaged<byte*, int>)init;
            Update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
            Final = (delegate* unmanaged<byte*, byte*, int>)final;
        }
    }

    /// <summary>Whether hashes go through libcrypto's low-level functions (false: through .NET's one-shot).</summary>
    public static bool Direct => Init != null;

    /// <summary>Writes SHA-256(<paramref name="data"/>) to the first 32 bytes of <paramref name="digest"/>. Does not allocate.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        if (digest.Length < Size) throw new ArgumentException("a SHA-256 digest needs 32 bytes", nameof(digest));
        if (Init == null)
        {
            SHA256.HashData(data, digest);
            return;
        }
        byte* context = stackalloc byte[ContextSize];
        fixed (byte* d = data)
        fixed (byte* md = digest)
        {
            // Each returns 1; none can fail for a valid context, so a 0 would mean a broken library, not bad input.
            if ((Init(context) & Update(context, d, (nuint)data.Length) & Final(md, context)) != 1)
                throw new CryptographicException("libcrypto's SHA256_Init/Update/Final failed");
        }
        // SHA256_Final wipes the buffered block but not the chaining state; the input may be a secret (an API key).
        new Span<byte>(context, ContextSize).Clear();
    }

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var digest = new byte[Size];
        Hash(data, digest);
        return digest;
    }
}
