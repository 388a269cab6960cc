namespace Attest.LogServer.Storage;

/// <summary>
/// The bundle store: the log's entry bundles (c2sp.org/tlog-tiles <c>/tile/entries/&lt;N&gt;</c>: up to 256
/// <c>uint16_be length || entry</c>), kept apart from the entry log's records so that serving public entries never
/// reads a record's private bytes. Derived state: it can be rebuilt from the entry log. The embedded implementation is
/// <see cref="EntryTileStore"/> (a file per full bundle, the bundle being filled in memory).
/// </summary>
/// <remarks>
/// Exactly one writer (the <see cref="Log.Sequencer"/>) calls <see cref="Reset"/> and <see cref="Append"/>;
/// <see cref="ReadAsync"/> MAY run on any thread at the same time.
/// </remarks>
public interface IEntryBundleStore : IDisposable
{
    /// <summary>
    /// Starts the bundle of log index <paramref name="size"/> afresh, at open: the writer then MUST append that
    /// bundle's entries below <paramref name="size"/> before any new one.
    /// </summary>
    void Reset(long size);

    /// <summary>
    /// Appends the public entries of the next committed records, in log-index order (the entries only: private bytes
    /// MUST NOT be kept). It MUST NOT block on the store's own writes, and need not make anything durable: a bundle a
    /// crash loses or tears MUST be found (checked against the stored level-8 hash) and rebuilt from the entry log,
    /// never served. Appending a bundle's entries again after a crash (a replay) MUST give the same bundle.
    /// </summary>
    void Append(ReadOnlySpan<byte[]> records);

    /// <summary>
    /// The first <paramref name="width"/> entries of bundle <paramref name="n"/>, as the tile's bytes: exactly the
    /// entries the log committed at those indexes. The caller MUST ask only for entries already appended (those of a
    /// published checkpoint are).
    /// </summary>
    ValueTask<byte[]> ReadAsync(long n, int width, CancellationToken token);
}
