using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Attest.LogServer.Storage;

/// <summary>
/// A file of fixed-size records addressed by position: record i lives at byte i * size. Derived state only
/// (stored Merkle hashes, entry-log addresses), so it may be truncated and rebuilt from the entry log.
/// </summary>
/// <remarks>
/// Contract: one writer appends; any number of readers read records below <see cref="Count"/>. Appended records
/// are visible to readers at once (page cache) but durable only after <see cref="Flush"/>. After a crash the
/// file may hold a torn or unflushed tail; the owner truncates it back to a length it knows was flushed.
/// </remarks>
public sealed class RecordFile<T> : IDisposable where T : unmanaged
{
    private static readonly int Size = Unsafe.SizeOf<T>();
    private readonly SafeFileHandle handle;
    private long count;

    public RecordFile(string path)
    {
        handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        count = RandomAccess.GetLength(handle) / Size;
    }

    public long Count => Volatile.Read(ref count);

    public void Append(ReadOnlySpan<T> records)
    {
        RandomAccess.Write(handle, MemoryMarshal.AsBytes(records), count * Size);
        Volatile.Write(ref count, count + records.Length);
    }

    public T Read(long index)
    {
        T value = default;
        Read(index, new Span<T>(ref value));
        return value;
    }

    public void Read(long index, Span<T> destination)
    {
        if (index < 0 || index + destination.Length > Count) throw new ArgumentOutOfRangeException(nameof(index), $"records {index}..{index + destination.Length} are not all below {Count}");
        var bytes = MemoryMarshal.AsBytes(destination);
        int n = RandomAccess.Read(handle, bytes, index * Size);
        if (n != bytes.Length) throw new IOException($"short read of record {index}");
    }

    /// <summary>Drops every record from <paramref name="newCount"/> on.</summary>
    public void Truncate(long newCount)
    {
        if (newCount > Count) throw new ArgumentOutOfRangeException(nameof(newCount));
        RandomAccess.SetLength(handle, newCount * Size);
        Volatile.Write(ref count, newCount);
    }

    /// <summary>Makes every appended record durable.</summary>
    public void Flush() => RandomAccess.FlushToDisk(handle);

    public void Dispose() => handle.Dispose();
}
