using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace Attest.LogServer.Storage;

/// <summary>
/// FASTER's checkpoint files (the hash-index dump, which is most of an index checkpoint, and the metadata files),
/// written in 1 MiB pieces by one background thread at the lowest CPU priority, at most as fast as a
/// <see cref="WritePace"/> allows.
/// </summary>
/// <remarks>
/// Why: FASTER's own device writes the 64 MB hash table as one O_SYNC write on a thread-pool thread. Here that one
/// write took ~220 ms and the entry log's commits, and so every mint, waited behind it: the open-loop p99 was
/// 41–174 ms, all of it in the second of the checkpoint. Written in 1 MiB pieces, the commits get through between
/// them (p99 11–31 ms, docs/PERFORMANCE.md, "Index checkpoints"). The thread runs at nice 19 because the copy into
/// the page cache is CPU
/// the requests need more, as RocksDB lowers its flush and compaction threads (<c>LowerThreadPoolCPUPriority</c>).
/// Contract: the same files as <see cref="LocalStorageNamedDeviceFactory"/> (segment s of a file is
/// <c>name.s</c>), so checkpoints written by either recover with the other. A write is reported complete only after
/// each of its O_SYNC pwrites returned, as FASTER requires before it commits the checkpoint's metadata. Reads
/// run on the thread pool.
/// </remarks>
internal sealed class BackgroundCheckpointFiles(WritePace pace, WriteRetries retries) : INamedDeviceFactory
{
    private readonly LocalStorageNamedDeviceFactory files = new();
    private string baseName = "";

    public void Initialize(string baseName)
    {
        this.baseName = baseName;
        files.Initialize(baseName);
    }

    public IDevice Get(FileDescriptor fileInfo) => new Device(Path.Combine(baseName, fileInfo.directoryName, fileInfo.fileName), Writer.Checkpoint, pace, retries);

    public void Delete(FileDescriptor fileInfo) => files.Delete(fileInfo);

    public IEnumerable<FileDescriptor> ListContents(string path) => files.ListContents(path);

    /// <summary>
    /// Segment files written by one <see cref="Writer"/> thread. <see cref="KvIndex"/> also puts its log on one (its
    /// own writer, at normal priority): FASTER's device blocks a thread-pool thread for each O_SYNC page write, and
    /// an index checkpoint flushes many pages at once, which left requests waiting for threads.
    /// </summary>
    internal sealed class Device(string path, Writer writer, WritePace pace, WriteRetries retries) : StorageDeviceBase(path, 512, Devices.CAPACITY_UNSPECIFIED)
    {
        private readonly ConcurrentDictionary<int, SafeFileHandle> handles = new();
        private volatile bool disposed;

        private SafeFileHandle Handle(int segment) => handles.GetOrAdd(segment, s =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FileName)!);
            return File.OpenHandle($"{FileName}.{s}", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.WriteThrough);
        });

        public override unsafe void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context) =>
            writer.Queue.Add(() => CompleteRetrying(callback, context, () =>
            {
                // In 1 MiB pieces: one 64 MB O_SYNC write holds the disk for ~220 ms here, pieces ~60 ms in all,
                // and the entry log's small commits get through between them.
                var handle = Handle(segmentId);
                for (uint done = 0; done < numBytesToWrite;)
                {
                    int n = (int)Math.Min(numBytesToWrite - done, 1u << 20);
                    RandomAccess.Write(handle, new ReadOnlySpan<byte>((byte*)sourceAddress + done, n), (long)(destinationAddress + done));
                    done += (uint)n;
                    if (pace.BytesPerSecond is > 0 and var rate) Thread.Sleep(TimeSpan.FromSeconds((double)n / rate));
                }
                return numBytesToWrite;
            }));

        /// <summary>
        /// Runs one write until it succeeds, then reports it to FASTER; only a device disposed meanwhile reports the
        /// error. FASTER must not be told of a failed write: it ignores a failed hash-table write and commits the
        /// checkpoint anyway, removing the good one before it (on a full disk the next start found the half-written
        /// one unreadable and rebuilt the whole index from the entry log; one readable but short would lack entries),
        /// and after a failed page write of the index log it never flushes past that page again, so a checkpoint
        /// waiting for it never completes. A write that failed for a full disk succeeds once space returns;
        /// rewriting the same bytes at the same offset is harmless.
        /// </summary>
        private void CompleteRetrying(DeviceIOCompletionCallback callback, object context, Func<uint> io)
        {
            uint n;
            while (true)
            {
                try
                {
                    n = io();
                    break;
                }
                catch (Exception e) when (!disposed)
                {
                    retries.Failed(e);
                    Thread.Sleep(WriteRetries.Delay);
                }
                catch (Exception)
                {
                    callback(1, 0, context);
                    return;
                }
            }
            retries.Succeeded();
            callback(0, n, context);
        }

        public override unsafe void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
            ThreadPool.UnsafeQueueUserWorkItem(_ => Complete(callback, context, () =>
                (uint)RandomAccess.Read(Handle(segmentId), new Span<byte>((void*)destinationAddress, (int)readLength), (long)sourceAddress)), null);

        /// <summary>Runs one I/O and reports it to FASTER: the bytes done, or error code 1 (FASTER only tests for non-zero).</summary>
        private static void Complete(DeviceIOCompletionCallback callback, object context, Func<uint> io)
        {
            uint n;
            try
            {
                n = io();
            }
            catch (Exception)
            {
                callback(1, 0, context);
                return;
            }
            callback(0, n, context);
        }

        public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
        {
            if (handles.TryRemove(segment, out var h)) h.Dispose();
            File.Delete($"{FileName}.{segment}");
            callback(result);
        }

        public override long GetFileSize(int segment) => RandomAccess.GetLength(Handle(segment));

        public override void Dispose()
        {
            disposed = true;
            foreach (var h in handles.Values) h.Dispose();
            handles.Clear();
        }
    }

    /// <summary>A writer thread: "kv checkpoint" at nice 19 for checkpoint files, "kv log" at normal priority for the index log.</summary>
    internal sealed class Writer
    {
        public static readonly Writer Checkpoint = new("kv checkpoint", nice: 19), IndexLog = new("kv log", nice: 0);

        public readonly BlockingCollection<Action> Queue = new();

        private Writer(string name, int nice) =>
            new Thread(() =>
            {
                // Per-thread on Linux: only this thread is lowered. A failure leaves it at normal priority, which
                // is slower for requests but still correct.
                if (nice != 0) setpriority(0 /* PRIO_PROCESS, which takes a thread id */, gettid(), nice);
                foreach (var write in Queue.GetConsumingEnumerable()) write();
            }) { IsBackground = true, Name = name }.Start();

        [DllImport("libc", SetLastError = true)]
        private static extern int setpriority(int which, int who, int prio);

        [DllImport("libc")]
        private static extern int gettid();
    }
}

/// <summary>
/// A cap on how fast the devices given it write, in bytes per second (0: none). Read after every 1 MiB piece, so a
/// change applies to a write already under way.
/// </summary>
/// <remarks>
/// Why: an index checkpoint writes the hash table (64 MB and more) and flushes the index log's mutable region (up to
/// ~58 MB) at once. Even in 1 MiB pieces that burst held up the entry log's commits: at 10k mints/s in a slow spell
/// of the host, the slowest request of a run had a median of ~106 ms; at 40 MB/s per writer, ~36 ms
/// (docs/PERFORMANCE.md, "Index checkpoints").
/// </remarks>
internal sealed class WritePace
{
    private long bytesPerSecond;

    public long BytesPerSecond
    {
        get => Volatile.Read(ref bytesPerSecond);
        set => Volatile.Write(ref bytesPerSecond, value);
    }
}

/// <summary>
/// Whether the writes of the devices given it are failing (and being retried): the first failure of the current
/// streak, or null once a write succeeds again.
/// </summary>
internal sealed class WriteRetries
{
    /// <summary>How long a failed write waits before it is tried again.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private Exception? failure;

    public Exception? Failure => Volatile.Read(ref failure);

    public void Failed(Exception e) => Interlocked.CompareExchange(ref failure, e, null);

    public void Succeeded()
    {
        if (Volatile.Read(ref failure) is not null) Volatile.Write(ref failure, null);
    }
}
