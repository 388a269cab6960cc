using System.Security.Cryptography;

namespace Attest.LogServer.Storage;

/// <summary>
/// Large payloads (up to 50 MB) kept outside the log, named by their SHA-256: the log entry's private side data
/// holds the hash. Contract: <see cref="Put"/> returns only once the blob is durable, so an entry written after
/// it never points at a missing blob; a blob whose entry never committed is harmless garbage. Writers of the same
/// blob at once each write a temporary file of their own (<see cref="DurableFile"/>) and both succeed: the bytes are
/// the same, so whichever rename lands last leaves the same whole file.
/// </summary>
public sealed class BlobStore(AttestOptions options, FreeSpace freeSpace)
{
    private readonly string directory = Directory.CreateDirectory(Path.Combine(options.DataDir, "blobs")).FullName;

    public BlobStore(AttestOptions options) : this(options, new FreeSpace(options))
    {
    }

    public string Put(ReadOnlySpan<byte> bytes)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string path = Path.Combine(directory, hash);
        if (!File.Exists(path))
        {
            freeSpace.EnsureRoomFor(bytes.Length);
            DurableFile.Write(path, bytes);
        }
        // Another writer's rename may not be durable yet; the entry that names this blob must not outlive it.
        else DurableFile.SyncDirectory(directory);
        return hash;
    }

    public byte[]? Get(string hash) => File.Exists(Path.Combine(directory, hash)) ? File.ReadAllBytes(Path.Combine(directory, hash)) : null;
}
