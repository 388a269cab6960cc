using System.Buffers.Binary;
using Attest.Merkle;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace Attest.LogServer.Storage;

/// <summary>
/// Where the entry log keeps its commit metadata: two 4 KiB slots of one file, <c>commit.meta</c>, rewritten in place
/// with an <c>O_DSYNC</c> <c>pwrite</c>. FASTER's own manager creates a new file per commit and deletes the previous
/// one; here that cost ~0.3 ms more per commit and ~6% of a mint's server CPU (docs/PERFORMANCE.md, "O_SYNC
/// commits and the commit file").
/// </summary>
/// <remarks>
/// Contract:
/// - A commit is written to the slot that does not hold the latest valid commit, so that commit survives a torn
///   write of the next one. A slot is <c>SHA-256(the rest) (32) || commit number (8, LE) || length (4, LE) ||
///   metadata</c>; a slot whose hash does not match is ignored.
/// - <see cref="Commit"/> returns only after its write is on disk, as FASTER requires before it acknowledges.
/// </remarks>
internal sealed class EntryLogCommits : ILogCommitManager
{
    private const int SlotSize = 4096, HeaderSize = 32 + 8 + 4;
    private readonly SafeFileHandle file;
    private int latestSlot = -1;
    private long latest = -1;

    public EntryLogCommits(string directory)
    {
        string path = Path.Combine(directory, "commit.meta");
        if (!File.Exists(path)) DurableFile.Write(path, new byte[2 * SlotSize]);
        file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, FileOptions.WriteThrough);
        for (int slot = 0; slot < 2; slot++)
            if (Read(slot) is { } c && c.Number > latest) (latest, latestSlot) = (c.Number, slot);
    }

    public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata)
    {
        lock (file) // FASTER commits one at a time; this keeps two commits from ever picking the same slot regardless
        {
            if (commitNum < 0) commitNum = latest + 1;
            var slot = new byte[SlotSize];
            Encode(commitNum, commitMetadata, slot);
            int target = latestSlot == 0 ? 1 : 0;
            RandomAccess.Write(file, slot, (long)target * SlotSize);
            (latest, latestSlot) = (commitNum, target);
        }
    }

    private static void Encode(long number, byte[] metadata, Span<byte> slot)
    {
        if (metadata.Length > SlotSize - HeaderSize) throw new IOException($"entry-log commit metadata of {metadata.Length} bytes does not fit a slot");
        BinaryPrimitives.WriteInt64LittleEndian(slot[32..], number);
        BinaryPrimitives.WriteInt32LittleEndian(slot[40..], metadata.Length);
        metadata.CopyTo(slot[HeaderSize..]);
        Sha256.Hash(slot[32..(HeaderSize + metadata.Length)], slot[..32]);
    }

    private (long Number, byte[] Metadata)? Read(int slot)
    {
        var bytes = new byte[SlotSize];
        if (RandomAccess.Read(file, bytes, (long)slot * SlotSize) != SlotSize) return null;
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(40));
        if (length <= 0 || length > SlotSize - HeaderSize) return null;
        if (!Sha256.Hash(bytes.AsSpan(32, 8 + 4 + length)).AsSpan().SequenceEqual(bytes.AsSpan(0, 32))) return null;
        return (BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32)), bytes.AsSpan(HeaderSize, length).ToArray());
    }

    public byte[] GetCommitMetadata(long commitNum)
    {
        for (int slot = 0; slot < 2; slot++)
            if (Read(slot) is { } c && c.Number == commitNum) return c.Metadata;
        return null!; // FASTER's own manager answers null for a commit it does not have
    }

    /// <summary>Newest first, as FASTER tries them.</summary>
    public IEnumerable<long> ListCommits() =>
        new[] { Read(0), Read(1) }.OfType<(long Number, byte[] Metadata)>().Select(c => c.Number).OrderDescending().ToList();

    /// <summary>Nothing to do: a commit is removed by being overwritten two commits later.</summary>
    public void RemoveCommit(long commitNum)
    {
    }

    public void RemoveAllCommits()
    {
        lock (file)
        {
            RandomAccess.Write(file, new byte[2 * SlotSize], 0);
            (latest, latestSlot) = (-1, -1);
        }
    }

    public void OnRecovery(long commitNum)
    {
    }

    public void Dispose() => file.Dispose();
}
