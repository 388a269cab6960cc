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
/// file may hold a torn or unflushed tail; the owner truncates it back to a length it knows was flushed. Readers
/// MUST be done before <see cref="Dispose"/>.
/// </remarks>
/// <remarks>
/// With <c>map</c>, reads go through a read-only shared mapping of the file, so reading one record costs no system
/// call. The price is resident memory: every page read stays mapped (and the kernel maps up to 64 KiB around each
/// fault), so random reads soon count the whole file in the process's RSS. The mapping reserves address space well
/// beyond the file (Linux allows it), so it never moves as the file grows; only records below <see cref="Count"/>,
/// which the file holds, are ever touched. Writes stay pwrite: on Linux the page cache is shared, so the mapping
/// sees them at once. Without <c>map</c>, and for records beyond the reservation (a log of over a billion entries),
/// reads are pread.
/// </remarks>
public sealed unsafe class RecordFile<T> : IDisposable where T : unmanaged
{
    private static readonly long Reserve = 64L << 30;
    private static readonly int Size = Unsafe.SizeOf<T>();
    private readonly SafeFileHandle handle;
    private readonly byte* map;
    private long count;

    public RecordFile(string path, bool map)
    {
        handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        count = RandomAccess.GetLength(handle) / Size;
        if (!map) return;
        this.map = (byte*)RecordFileNative.mmap(null, (nuint)Reserve, 1 /* PROT_READ */, 1 /* MAP_SHARED */, (int)handle.DangerousGetHandle(), 0);
        if (this.map == (byte*)-1) throw new IOException($"cannot map {path}: errno {Marshal.GetLastPInvokeError()}");
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
        long offset = index * Size;
        if (map is not null && offset + bytes.Length <= Reserve)
        {
            new ReadOnlySpan<byte>(map + offset, bytes.Length).CopyTo(bytes);
            return;
        }
        int n = RandomAccess.Read(handle, bytes, offset);
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

    public void Dispose()
    {
        if (map is not null) RecordFileNative.munmap(map, (nuint)Reserve);
        handle.Dispose();
    }
}

/// <summary>libc memory mapping for <see cref="RecordFile{T}"/> (a generic type cannot hold the imports).</summary>
internal static unsafe partial class RecordFileNative
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc")]
    internal static partial int munmap(void* addr, nuint length);
}
