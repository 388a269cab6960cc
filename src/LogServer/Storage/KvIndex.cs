using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using FASTER.core;

namespace Attest.LogServer.Storage;

/// <summary>A 32-byte index key: SHA-256 of a namespace and the looked-up value, so keys of any length fit one slot.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct IndexKey(ulong A, ulong B, ulong C, ulong D)
{
    public static IndexKey For(string space, ReadOnlySpan<byte> value)
    {
        // SHA-256(UTF-8(space) || 0x0A || value), hashed in one call: these keys are computed several times per entry.
        int n = Encoding.UTF8.GetByteCount(space) + 1 + value.Length;
        byte[]? rented = n > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(n) : null;
        Span<byte> input = rented ?? stackalloc byte[512];
        int k = Encoding.UTF8.GetBytes(space, input);
        input[k++] = (byte)'\n';
        value.CopyTo(input[k..]);
        Span<byte> hash = stackalloc byte[32];
        Attest.Merkle.Sha256.Hash(input[..n], hash);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return MemoryMarshal.Read<IndexKey>(hash);
    }

    public static IndexKey For(string space, string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        byte[]? rented = n > 256 ? System.Buffers.ArrayPool<byte>.Shared.Rent(n) : null;
        Span<byte> bytes = rented ?? stackalloc byte[256];
        var key = For(space, bytes[..Encoding.UTF8.GetBytes(value, bytes)]);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return key;
    }
}

/// <summary>
/// An index value as the store holds it: three numbers whose meaning belongs to the kind of record under the key. Each
/// kind has a typed value that alone encodes and decodes it (Service/IndexRecords.cs, <see cref="Watermark"/>).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct IndexValue(long A, long B, long C);

/// <summary>
/// Derived indexes (id → log index, content hash → earliest stamp, idempotency key → log index) in a FasterKV: the
/// embedded <see cref="IIndexStore"/>.
/// </summary>
/// <remarks>
/// Contract:
/// - Exactly one writer (the sequencer's apply step) calls <see cref="Put"/>, and only for entries already
///   committed in the entry log, in log order. Updates MUST be idempotent per log index, because after a crash the
///   entries after <see cref="AppliedUpTo"/> are applied again, and some of them may already be in the store.
/// - <see cref="Checkpoint"/> records "every entry below N is applied" inside the store and makes the store
///   durable; on open the store recovers its latest checkpoint, and the owner re-applies entries from
///   <see cref="AppliedUpTo"/>. Without a complete checkpoint (none yet, or a crash during the first) the store
///   starts empty and AppliedUpTo is 0.
/// - Reads are thread-safe and may run concurrently with the writer.
/// </remarks>
public sealed class KvIndex : IIndexStore, IDisposable
{
    private static readonly IndexKey WatermarkKey = IndexKey.For("watermark", "applied-up-to");
    private IDevice device;
    private FasterKV<IndexKey, IndexValue> store;
    private readonly ConcurrentBag<ClientSession<IndexKey, IndexValue, IndexValue, IndexValue, Empty, SimpleFunctions<IndexKey, IndexValue>>> sessions = new();
    private readonly object writeLock = new();
    private readonly long schema;
    private readonly WritePace pace = new();
    private readonly WriteRetries retries = new();

    /// <param name="schema">
    /// The owner's version of what it puts in the store. A store checkpointed under another version (one that
    /// lacks a newer kind of key, say) is started empty, so the owner re-applies the whole entry log.
    /// </param>
    public KvIndex(string directory, long schema)
    {
        this.schema = schema;
        try
        {
            (device, store) = Open(directory, pace, retries);
        }
        catch (FasterException)
        {
            // No complete checkpoint (a crash during the first one): the index is derived, so start it empty and
            // let the owner re-apply the whole entry log.
            (device, store) = Reset(directory, pace, retries);
        }
        bool checkpointed = TryGet(WatermarkKey, out var stored);
        var w = checkpointed ? Watermark.From(stored) : default;
        if (checkpointed && w.Schema != schema)
        {
            Dispose();
            (device, store) = Reset(directory, pace, retries);
            w = default;
        }
        AppliedUpTo = w.AppliedUpTo;
    }

    private static (IDevice, FasterKV<IndexKey, IndexValue>) Reset(string directory, WritePace pace, WriteRetries retries)
    {
        Directory.Delete(directory, recursive: true);
        return Open(directory, pace, retries);
    }

    private static (IDevice, FasterKV<IndexKey, IndexValue>) Open(string directory, WritePace pace, WriteRetries retries)
    {
        Directory.CreateDirectory(directory);
        var device = new BackgroundCheckpointFiles.Device(Path.Combine(directory, "index.log"), BackgroundCheckpointFiles.Writer.IndexLog, pace, retries);
        var store = new FasterKV<IndexKey, IndexValue>(
            1L << 20,
            new LogSettings { LogDevice = device, PageSizeBits = 20, MemorySizeBits = 26, SegmentSizeBits = 30 },
            new CheckpointSettings
            {
                CheckpointManager = new DeviceLogCommitCheckpointManager(
                    new BackgroundCheckpointFiles(pace, retries), new DefaultCheckpointNamingScheme(Path.Combine(directory, "checkpoints")), removeOutdated: true),
            },
            comparer: new KeyComparer());
        try
        {
            if (Directory.Exists(Path.Combine(directory, "checkpoints")) && Directory.EnumerateFileSystemEntries(Path.Combine(directory, "checkpoints")).Any())
                store.Recover();
            return (device, store);
        }
        catch
        {
            store.Dispose();
            device.Dispose();
            throw;
        }
    }

    /// <summary>
    /// At most this many bytes a second for each of the store's two writers (checkpoint files; the index log's
    /// flushes, of which a checkpoint's fold-over is most); 0, the default, is no cap. It can change during a
    /// checkpoint: lifting it makes the rest of that checkpoint go at full speed.
    /// </summary>
    public long WriteBytesPerSecond
    {
        get => pace.BytesPerSecond;
        set => pace.BytesPerSecond = value;
    }

    /// <summary>
    /// The failure of the store's file writes (its log, its checkpoint files) while they fail, or null: a failed
    /// write is retried until it succeeds (a full disk), so a checkpoint then waits rather than fails.
    /// </summary>
    public Exception? WriteFailure => retries.Failure;

    /// <summary>
    /// The least a checkpoint writes: the hash table and its overflow buckets (64-byte cache lines, FASTER's
    /// <c>IndexSize</c>) and the log's mutable region, which a fold-over checkpoint flushes.
    /// </summary>
    public long CheckpointBytes => (store.IndexSize + store.OverflowBucketCount) * 64 + (store.Log.TailAddress - store.Log.ReadOnlyAddress);

    /// <summary>Every entry below this log index is reflected in the store (as of the recovered checkpoint).</summary>
    public long AppliedUpTo { get; private set; }

    public bool TryGet(in IndexKey key, out IndexValue value)
    {
        var session = Rent();
        try
        {
            IndexValue input = default, output = default;
            var status = session.Read(ref Unsafe.AsRef(in key), ref input, ref output);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    if (!outputs.Next()) throw new InvalidOperationException("FASTER read completed without an output");
                    status = outputs.Current.Status;
                    output = outputs.Current.Output;
                }
            }
            value = output;
            return status.Found;
        }
        finally
        {
            sessions.Add(session);
        }
    }

    public void Put(in IndexKey key, in IndexValue value)
    {
        lock (writeLock)
        {
            var session = Rent();
            try
            {
                session.Upsert(ref Unsafe.AsRef(in key), ref Unsafe.AsRef(in value));
                session.CompletePending(wait: true);
            }
            finally
            {
                sessions.Add(session);
            }
        }
    }

    /// <summary>Records that every entry below <paramref name="appliedUpTo"/> is applied, and makes the store durable.</summary>
    public async Task Checkpoint(long appliedUpTo)
    {
        Put(WatermarkKey, new Watermark(appliedUpTo, schema).ToIndexValue());
        // Index and log together: a log-only checkpoint makes recovery rebuild the hash index by scanning the whole
        // log (11 s at 10M entries, docs/PERFORMANCE.md, "Index checkpoints"); with the index saved, it replays only
        // the log after it.
        var (ok, _) = await store.TakeFullCheckpointAsync(CheckpointType.FoldOver);
        if (!ok) throw new IOException("FASTER index checkpoint failed");
        AppliedUpTo = appliedUpTo;
    }

    private ClientSession<IndexKey, IndexValue, IndexValue, IndexValue, Empty, SimpleFunctions<IndexKey, IndexValue>> Rent() =>
        sessions.TryTake(out var s) ? s : store.For(new SimpleFunctions<IndexKey, IndexValue>()).NewSession<SimpleFunctions<IndexKey, IndexValue>>();

    public void Dispose()
    {
        while (sessions.TryTake(out var s)) s.Dispose();
        store.Dispose();
        device.Dispose();
    }

    /// <summary>What the store's last checkpoint covers: every entry below <paramref name="AppliedUpTo"/>, under the owner's schema. Stored as (applied up to, schema, 0).</summary>
    private readonly record struct Watermark(long AppliedUpTo, long Schema)
    {
        public static Watermark From(IndexValue value) => new(value.A, value.B);

        public IndexValue ToIndexValue() => new(AppliedUpTo, Schema, 0);
    }

    private sealed class KeyComparer : IFasterEqualityComparer<IndexKey>
    {
        public bool Equals(ref IndexKey k1, ref IndexKey k2) => k1 == k2;

        public long GetHashCode64(ref IndexKey k) => (long)k.A;
    }
}
