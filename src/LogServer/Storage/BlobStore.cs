using System.Security.Cryptography;

namespace Attest.LogServer.Storage;

/// <summary>
/// Large payloads (up to 50 MB) kept outside the log, named by their SHA-256: the log entry's private side data
/// holds the hash. Contract: <see cref="Put"/> returns only once the blob is durable, so an entry written after
/// it never points at a missing blob; a blob whose entry never committed is harmless garbage.
/// </summary>
public sealed class BlobStore
{
    private readonly string directory;

    public BlobStore(AttestOptions options)
    {
        directory = Path.Combine(options.DataDir, "blobs");
        Directory.CreateDirectory(directory);
    }

    public string Put(ReadOnlySpan<byte> bytes)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string path = Path.Combine(directory, hash);
        if (!File.Exists(path)) AtomicFile.Write(path, bytes);
        return hash;
    }

    public byte[]? Get(string hash) => File.Exists(Path.Combine(directory, hash)) ? File.ReadAllBytes(Path.Combine(directory, hash)) : null;
}
