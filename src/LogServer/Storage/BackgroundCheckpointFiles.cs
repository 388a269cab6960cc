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
/// them (p99 11–31 ms, docs/PERFORMANCE.md). The thread runs at nice 19 because the copy into the page cache is CPU
/// the requests need more, as RocksDB lowers its flush and compaction threads (<c>LowerThreadPoolCPUPriority</c>).
/// Contract: the same files as <see cref="LocalStorageNamedDeviceFactory"/> (segment s of a file is
/// <c>name.s</c>), so checkpoints written by either recover with the other. A write is reported complete only after
/// each of its O_SYNC pwrites returned, as FASTER requires before it commits the checkpoint's metadata. Reads
/// run on the thread pool.
/// </remarks>
internal sealed class BackgroundCheckpointFiles(WritePace pace) : INamedDeviceFactory
{
    private readonly LocalStorageNamedDeviceFactory files = new();
    private string baseName = "";

    public void Initialize(string baseName)
    {
        this.baseName = baseName;
        files.Initialize(baseName);
    }

    public IDevice Get(FileDescriptor fileInfo) => new Device(Path.Combine(baseName, fileInfo.directoryName, fileInfo.fileName), Writer.Checkpoint, pace);

    public void Delete(FileDescriptor fileInfo) => files.Delete(fileInfo);

    public IEnumerable<FileDescriptor> ListContents(string path) => files.ListContents(path);

    /// <summary>
    /// Segment files written by one <see cref="Writer"/> thread. <see cref="KvIndex"/> also puts its log on one (its
    /// own writer, at normal priority): FASTER's device blocks a thread-pool thread for each O_SYNC page write, and
    /// an index checkpoint flushes many pages at once, which left requests waiting for threads.
    /// </summary>
    internal sealed class Device(string path, Writer writer, WritePace pace) : StorageDeviceBase(path, 512, Devices.CAPACITY_UNSPECIFIED)
    {
        private readonly ConcurrentDictionary<int, SafeFileHandle> handles = new();

        private SafeFileHandle Handle(int segment) => handles.GetOrAdd(segment, s =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FileName)!);
            return File.OpenHandle($"{FileName}.{s}", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.WriteThrough);
        });

        public override unsafe void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context) =>
            writer.Queue.Add(() => Complete(callback, context, () =>
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
/// (docs/PERFORMANCE.md).
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
