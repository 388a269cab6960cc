using System.Buffers.Binary;
using System.Threading.Channels;
using Attest.Merkle;

namespace Attest.LogServer.Storage;

/// <summary>
/// The log's entry bundles (c2sp.org/tlog-tiles <c>/tile/entries/&lt;N&gt;</c>: <c>uint16_be length || entry</c> for
/// each of up to 256 entries), kept apart from the entry log's records so that serving public entries never reads a
/// record's private bytes: a full bundle is one file under <c>&lt;DataDir&gt;/tiles/entries/</c>, the bundle being
/// filled is in memory.
/// </summary>
/// <remarks>
/// Contract:
/// - The store is derived state (design invariant 1). Exactly one writer (the log's integrator) MUST call
///   <see cref="Append"/> with every committed record, in log-index order, after <see cref="Reset"/> named the
///   index of the first one.
/// - When a bundle fills, it is handed to a background writer (one <see cref="DurableFile"/> write per 256 entries,
///   never a file write on the integrator's thread) and served from memory until its file is complete.
/// - After a crash, the owner re-applies the entry log's tail, which refills the partial bundle and re-hands the
///   bundles it completes. A full bundle whose file is missing (a crash before the background write finished, or a
///   data directory from before this store) is rebuilt from the records once, on its first request, one bundle at a
///   time, and written: that is the only path that reads records, and at most once per bundle.
/// </remarks>
public sealed class EntryTileStore : IDisposable
{
    private const int Full = Tile.FullWidth;
    private readonly string directory;
    private readonly Func<long, CancellationToken, ValueTask<byte[]>> readRecord;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly int[] ends = new int[Full + 1]; // ends[k]: bytes of the partial bundle's first k entries
    // Full bundles waiting for their background write, in buffers rented from the shared pool: a bundle of 256
    // attestation entries is over 85 KB, and a fresh array of that size per 256 entries would go to the large object heap.
    private readonly Dictionary<long, (byte[] Buffer, int Length)> unwritten = [];
    private readonly Channel<long> writes = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim rebuilding = new(1, 1);
    private readonly Task writer;
    private byte[] partial = new byte[64 * 1024];
    private long partialN;
    private int count;

    /// <param name="readRecord">Reads the entry-log record of a log index: used only to rebuild a missing full bundle.</param>
    public EntryTileStore(string directory, Func<long, CancellationToken, ValueTask<byte[]>> readRecord, ILogger logger)
    {
        this.directory = directory;
        this.readRecord = readRecord;
        this.logger = logger;
        Directory.CreateDirectory(directory);
        writer = Task.Factory.StartNew(WriteFullBundles, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Full bundles rebuilt from the entry log's records because their file was missing.</summary>
    public long Rebuilt => Interlocked.Read(ref rebuilt);

    private long rebuilt;

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
                // under its final name is whole (DurableFile), and holding them all for the writer could take gigabytes.
                if (!File.Exists(PathOf(partialN)))
                {
                    var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(end);
                    partial.AsSpan(0, end).CopyTo(buffer);
                    unwritten[partialN] = (buffer, end);
                    if (!writes.Writer.TryWrite(partialN)) throw new ObjectDisposedException(nameof(EntryTileStore));
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
            // Copied under the lock: the buffer goes back to the pool once written.
            if (unwritten.TryGetValue(n, out var pending)) return Prefix(pending.Buffer.AsSpan(0, pending.Length).ToArray(), width, n);
        }
        // Not in memory, so its background write finished (or failed, or was never made): the file, else a rebuild.
        byte[] bundle;
        try
        {
            bundle = await File.ReadAllBytesAsync(PathOf(n), token);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            bundle = await Rebuild(n, token);
        }
        return Prefix(bundle, width, n);
    }

    private async Task<byte[]> Rebuild(long n, CancellationToken token)
    {
        // One at a time, so that asking for many missing bundles at once cannot multiply the record reads.
        await rebuilding.WaitAsync(token);
        try
        {
            string path = PathOf(n);
            if (File.Exists(path)) return await File.ReadAllBytesAsync(path, token);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            for (long i = n * Full; i < (n + 1) * Full; i++) EntryBundle.Append(buffer, LogRecord.Entry(await readRecord(i, token)));
            var bundle = buffer.WrittenSpan.ToArray();
            Write(n, bundle);
            Interlocked.Increment(ref rebuilt);
            logger.LogInformation("Rebuilt entry bundle {N} from the entry log: its file was missing", n);
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

    private async Task WriteFullBundles()
    {
        await foreach (long n in writes.Reader.ReadAllAsync())
        {
            (byte[] Buffer, int Length) pending;
            lock (gate)
            {
                // A rebuild of the derived files at start may hand the same bundle twice: the first write serves both.
                if (!unwritten.TryGetValue(n, out pending)) continue;
            }
            try
            {
                // A pending buffer is never written to again, and only this loop returns it to the pool: it is safe to read unlocked.
                Write(n, pending.Buffer.AsSpan(0, pending.Length));
            }
            catch (Exception e)
            {
                logger.LogError(e, "Writing entry bundle {N} failed; it will be rebuilt from the entry log when asked for", n);
            }
            lock (gate) unwritten.Remove(n);
            System.Buffers.ArrayPool<byte>.Shared.Return(pending.Buffer);
        }
    }

    private void Write(long n, ReadOnlySpan<byte> bundle)
    {
        string path = PathOf(n);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DurableFile.Write(path, bundle);
    }

    // tile/entries/x001/x234/067 is stored as <directory>/x001/x234/067.
    private string PathOf(long n) => Path.Combine(directory, new Tile(Tile.EntriesLevel, n, Full).Path["tile/entries/".Length..]);

    /// <summary>Finishes the background writes of every full bundle appended so far.</summary>
    public void Dispose()
    {
        writes.Writer.TryComplete();
        writer.GetAwaiter().GetResult();
        rebuilding.Dispose();
    }
}
