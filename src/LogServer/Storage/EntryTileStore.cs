using System.Buffers.Binary;
using Attest.Merkle;

namespace Attest.LogServer.Storage;

/// <summary>
/// The log's entry bundles (c2sp.org/tlog-tiles <c>/tile/entries/&lt;N&gt;</c>: <c>uint16_be length || entry</c> for
/// each of up to 256 entries), kept apart from the entry log's records so that serving public entries never reads a
/// record's private bytes: a full bundle is one file under <c>&lt;DataDir&gt;/tiles/entries/</c>, the bundle being
/// filled is in memory. The embedded <see cref="IEntryBundleStore"/>.
/// </summary>
/// <remarks>
/// Contract:
/// - The store is derived state (design invariant 1). Exactly one writer (the log's integrator) MUST call
///   <see cref="Append"/> with every committed record, in log-index order, after <see cref="Reset"/> named the
///   index of the first one.
/// - When a bundle fills, it is handed to a background writer and served from memory until its file is complete. The
///   writer makes no file durable (<see cref="DurableFile.WriteDerived"/>: no fsync, so it keeps up with the entry
///   log's group commits and takes no share of the disk's flushes from them). At most <see cref="MaxPending"/> bundles
///   (and <see cref="MaxPendingBytes"/>) wait for it: beyond that the oldest waiting bundle is dropped, so a writer
///   that falls behind neither blocks the integrator nor grows memory; a dropped bundle is rebuilt when asked for.
/// - A file is trusted only once checked: the first time a full bundle is read from its file in a process, its
///   framing and the RFC 6962 root of its 256 entries are compared with the log's stored level-8 hash. A file that
///   fails (torn by a crash before the kernel wrote it back, truncated or altered on disk) is rebuilt, and the
///   rebuilt file renamed over it.
/// - After a crash, the owner re-applies the entry log's tail, which refills the partial bundle and re-hands the
///   bundles it completes. A full bundle whose file is missing or fails its check (a crash before its write reached
///   the disk, a dropped write, or a data directory from before this store) is rebuilt from the records on its first
///   request, one bundle at a time, and written: that is the only path that reads records, and at most once per
///   bundle and process.
/// </remarks>
public sealed class EntryTileStore : IEntryBundleStore
{
    /// <summary>
    /// The most full bundles waiting for the background writer; beyond it the oldest is dropped. 32 bundles are 8,192
    /// entries: 40 ms of the writer's stall at 200k appends/s. Each buffer the deepest backlog adds is allocated once, so
    /// the cap also bounds what a stall costs the sequencer's allocation budget (bench alloc-guard).
    /// </summary>
    public const int MaxPending = 32;

    /// <summary>The most bytes of full bundles waiting for the background writer (bundles of long entries).</summary>
    public const long MaxPendingBytes = 16L << 20;

    private const int Full = Tile.FullWidth;
    private readonly string directory;
    private readonly Func<long, CancellationToken, ValueTask<byte[]>> readRecord;
    private readonly IHashReader hashes;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly int[] ends = new int[Full + 1]; // ends[k]: bytes of the partial bundle's first k entries
    // Full bundles waiting for their background write, oldest first, in buffers of the store's own: a bundle of 256
    // attestation entries is over 85 KB, and a fresh array of that size per 256 entries would go to the large object
    // heap. The shared ArrayPool keeps only a few buffers of a size per core and drops the rest, so each time the
    // writer fell a few bundles behind it allocated again; spare buffers here are kept up to MaxSpareBytes, so new
    // ones are allocated only when the backlog is deeper than it ever was (at most MaxPending + 2 buffers in use).
    private readonly Dictionary<long, (byte[] Buffer, int Length)> unwritten = [];
    private readonly Stack<byte[]> spare = new();
    private long spareBytes;
    private const long MaxSpareBytes = MaxPendingBytes;
    private readonly Queue<long> order = new(MaxPending + 1);
    private readonly SemaphoreSlim doorbell = new(0);
    private readonly SemaphoreSlim rebuilding = new(1, 1);
    private readonly Task writer;
    private long pendingBytes;
    private bool closing;
    private byte[] partial = new byte[64 * 1024];
    private long partialN;
    private int count;
    // Bundles whose file this process has checked, or written itself: bit n % 64 of verified[n / 64].
    private ulong[] verified = new ulong[64];

    /// <param name="readRecord">Reads the entry-log record of a log index: used only to rebuild a missing or failed full bundle.</param>
    /// <param name="hashes">The log's stored hashes: a bundle file is checked against the level-8 hash of its 256 leaves.</param>
    public EntryTileStore(string directory, Func<long, CancellationToken, ValueTask<byte[]>> readRecord, IHashReader hashes, ILogger logger)
    {
        this.directory = directory;
        this.readRecord = readRecord;
        this.hashes = hashes;
        this.logger = logger;
        Directory.CreateDirectory(directory);
        writer = Task.Factory.StartNew(WriteFullBundles, TaskCreationOptions.LongRunning);
    }

    /// <summary>Full bundles rebuilt from the entry log's records because their file was missing or failed its check.</summary>
    public long Rebuilt => Interlocked.Read(ref rebuilt);

    /// <summary>Bundle files found torn or corrupt (and rebuilt).</summary>
    public long Corrupt => Interlocked.Read(ref corrupt);

    /// <summary>Full bundles whose background write was dropped because the writer was too far behind (<see cref="MaxPending"/>, <see cref="MaxPendingBytes"/>).</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    private long rebuilt, corrupt, dropped;

    /// <summary>Starts the partial bundle afresh: the next <see cref="Append"/>ed record is log index <paramref name="size"/>'s
    /// bundle's first entry, so the caller MUST then append the entries of that bundle below <paramref name="size"/>.</summary>
    public void Reset(long size)
    {
        lock (gate)
        {
            partialN = size / Full;
            count = 0;
        }
    }

    /// <summary>Appends the public entries of the next records, in log-index order (the entries only; private bytes are not kept).</summary>
    public void Append(ReadOnlySpan<byte[]> records)
    {
        lock (gate)
        {
            foreach (var record in records)
            {
                var entry = LogRecord.Entry(record);
                int start = ends[count], end = start + 2 + entry.Length;
                if (end > partial.Length) Array.Resize(ref partial, Math.Max(end, 2 * partial.Length));
                BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(start), (ushort)entry.Length);
                entry.CopyTo(partial.AsSpan(start + 2));
                ends[++count] = end;
                if (count < Full) continue;
                // A replay after a crash, or a rebuild of the derived files, completes bundles already written: a file
                // under its final name is checked when first read, and rewriting them all would repeat the writes.
                if (!unwritten.ContainsKey(partialN) && !File.Exists(PathOf(partialN)))
                {
                    ObjectDisposedException.ThrowIf(closing, this);
                    var buffer = TakeBuffer(end);
                    partial.AsSpan(0, end).CopyTo(buffer);
                    unwritten[partialN] = (buffer, end);
                    order.Enqueue(partialN);
                    pendingBytes += end;
                    DropBeyondCap();
                    if (doorbell.CurrentCount == 0) doorbell.Release();
                }
                partialN++;
                count = 0;
            }
        }
    }

    /// <summary>
    /// The first <paramref name="width"/> entries of bundle <paramref name="n"/>, as the tile's bytes. The caller MUST
    /// ask only for entries already appended (those of a published checkpoint are).
    /// </summary>
    public async ValueTask<byte[]> ReadAsync(long n, int width, CancellationToken token)
    {
        lock (gate)
        {
            if (n == partialN)
                return width <= count ? partial.AsSpan(0, ends[width]).ToArray() : throw new ArgumentOutOfRangeException(nameof(width), "entries not yet appended");
            if (n > partialN) throw new ArgumentOutOfRangeException(nameof(n), "entries not yet appended");
            // Copied under the lock: the buffer is reused once written.
            if (unwritten.TryGetValue(n, out var pending)) return Prefix(pending.Buffer.AsSpan(0, pending.Length).ToArray(), width, n);
        }
        // Not in memory, so its background write finished (or failed, or was dropped, or was never made): the file if
        // it is whole, else a rebuild.
        var bundle = await ReadFile(n, token);
        return Prefix(bundle is not null && (IsVerified(n) || Check(n, bundle)) ? bundle : await Rebuild(n, token), width, n);
    }

    private async Task<byte[]?> ReadFile(long n, CancellationToken token)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(n), token);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Checks a bundle's file once per process; one that fails is reported, and replaced by its rebuild.</summary>
    private bool Check(long n, byte[] bundle)
    {
        if (Matches(n, bundle))
        {
            MarkVerified(n);
            return true;
        }
        Interlocked.Increment(ref corrupt);
        logger.LogWarning("Entry bundle file {Path} is torn or corrupt ({Length} bytes that do not hash to the log's level-8 hash of bundle {N}); rebuilding it from the entry log",
            PathOf(n), bundle.Length, n);
        return false;
    }

    /// <summary>
    /// Whether <paramref name="bundle"/> is exactly 256 framed entries whose RFC 6962 §2.1 subtree root is the stored
    /// hash of level 8, index <paramref name="n"/> (the tree over leaves 256n to 256n + 255).
    /// </summary>
    private bool Matches(long n, ReadOnlySpan<byte> bundle)
    {
        var entries = new List<byte[]>(Full);
        if (!EntryBundle.TryParse(bundle, Full, entries)) return false;
        Span<Hash> level = stackalloc Hash[Full];
        for (int i = 0; i < Full; i++) level[i] = Rfc6962.HashLeaf(entries[i]);
        for (int width = Full; width > 1; width /= 2)
            for (int i = 0; i < width / 2; i++) level[i] = Rfc6962.HashChildren(level[2 * i], level[2 * i + 1]);
        Span<Hash> stored = stackalloc Hash[1];
        hashes.ReadHashes([StoredHashes.StoredHashIndex(Tile.Height, n)], stored);
        return level[0] == stored[0];
    }

    private bool IsVerified(long n)
    {
        lock (gate) return n / 64 < verified.Length && (verified[n / 64] & (1UL << (int)(n % 64))) != 0;
    }

    private void MarkVerified(long n)
    {
        lock (gate) MarkVerifiedLocked(n);
    }

    private void MarkVerifiedLocked(long n)
    {
        if (n / 64 >= verified.Length) Array.Resize(ref verified, (int)Math.Max(n / 64 + 1, 2L * verified.Length));
        verified[n / 64] |= 1UL << (int)(n % 64);
    }

    private async Task<byte[]> Rebuild(long n, CancellationToken token)
    {
        // One at a time, so that asking for many missing bundles at once cannot multiply the record reads.
        await rebuilding.WaitAsync(token);
        try
        {
            // Another request may have rebuilt it meanwhile (a file this process wrote is marked verified).
            if (IsVerified(n) && await ReadFile(n, token) is { } done) return done;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            for (long i = n * Full; i < (n + 1) * Full; i++) EntryBundle.Append(buffer, LogRecord.Entry(await readRecord(i, token)));
            var bundle = buffer.WrittenSpan.ToArray();
            Interlocked.Increment(ref rebuilt);
            try
            {
                Write(n, bundle); // renamed over a failed file
                MarkVerified(n);
                logger.LogInformation("Rebuilt entry bundle {N} from the entry log: its file was missing or failed its check", n);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The bundle is right; only its file is missing, so the next request rebuilds it again.
                logger.LogError(e, "Writing rebuilt entry bundle {N} failed", n);
            }
            return bundle;
        }
        finally
        {
            rebuilding.Release();
        }
    }

    /// <summary>The bytes of the first <paramref name="width"/> entries of a full bundle, checking its framing.</summary>
    private static byte[] Prefix(byte[] bundle, int width, long n)
    {
        int offset = 0;
        for (int i = 0; i < Full; i++)
        {
            if (i == width) return bundle.AsSpan(0, offset).ToArray();
            if (offset + 2 > bundle.Length) throw new InvalidDataException($"entry bundle {n} is truncated");
            offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(offset));
        }
        if (offset != bundle.Length) throw new InvalidDataException($"entry bundle {n} does not hold exactly {Full} entries");
        return bundle;
    }

    /// <summary>Drops the oldest waiting bundles beyond the caps (never the one being written, nor the newest). Under the lock.</summary>
    private void DropBeyondCap()
    {
        while (order.Count > MaxPending || (pendingBytes > MaxPendingBytes && order.Count > 1))
        {
            Release(order.Dequeue());
            if (Interlocked.Increment(ref dropped) % 1024 == 1)
                logger.LogWarning("The entry bundle writer is {Max} bundles behind: dropped the write of a bundle ({Dropped} so far); a dropped bundle is rebuilt from the entry log when asked for",
                    MaxPending, Dropped);
        }
    }

    /// <summary>Forgets a waiting bundle and returns its buffer. Under the lock.</summary>
    private void Release(long n)
    {
        if (!unwritten.Remove(n, out var pending)) return;
        pendingBytes -= pending.Length;
        if (spareBytes + pending.Buffer.Length <= MaxSpareBytes)
        {
            spare.Push(pending.Buffer);
            spareBytes += pending.Buffer.Length;
        }
    }

    /// <summary>A buffer of at least <paramref name="length"/> bytes: a spare one, else a new one of the next power of two. Under the lock.</summary>
    private byte[] TakeBuffer(int length)
    {
        while (spare.TryPop(out var buffer))
        {
            spareBytes -= buffer.Length;
            if (buffer.Length >= length) return buffer;
        }
        return GC.AllocateUninitializedArray<byte>((int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length), Array.MaxLength));
    }

    private void WriteFullBundles()
    {
        while (true)
        {
            doorbell.Wait();
            while (true)
            {
                long n;
                (byte[] Buffer, int Length) pending;
                lock (gate)
                {
                    // Out of the queue, so never dropped while written; still in unwritten, so still served from memory.
                    if (!order.TryDequeue(out n))
                    {
                        if (closing) return;
                        break;
                    }
                    pending = unwritten[n];
                }
                bool written = false;
                try
                {
                    // A pending buffer is never written to again, and only this loop releases it while it is out of the queue: it is safe to read unlocked.
                    Write(n, pending.Buffer.AsSpan(0, pending.Length));
                    written = true;
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Writing entry bundle {N} failed; it will be rebuilt from the entry log when asked for", n);
                }
                lock (gate)
                {
                    Release(n);
                    // Written from memory by this process, so whole for as long as the process runs.
                    if (written) MarkVerifiedLocked(n);
                }
            }
        }
    }

    private void Write(long n, ReadOnlySpan<byte> bundle)
    {
        string path = PathOf(n);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DurableFile.WriteDerived(path, bundle);
    }

    // tile/entries/x001/x234/067 is stored as <directory>/x001/x234/067.
    private string PathOf(long n) => Path.Combine(directory, new Tile(Tile.EntriesLevel, n, Full).Path["tile/entries/".Length..]);

    /// <summary>Finishes the background writes of every full bundle appended so far.</summary>
    public void Dispose()
    {
        lock (gate) closing = true;
        doorbell.Release();
        writer.GetAwaiter().GetResult();
        doorbell.Dispose();
        rebuilding.Dispose();
    }
}
