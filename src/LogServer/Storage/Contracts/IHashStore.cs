using Attest.Merkle;

namespace Attest.LogServer.Storage;

/// <summary>
/// The tile store: the log's stored Merkle hashes, in the stored-hash layout of <see cref="StoredHashes"/> (Go's
/// sumdb/tlog), from which every hash tile (c2sp.org/tlog-tiles <c>/tile/&lt;L&gt;/&lt;N&gt;</c>), inclusion and
/// consistency proof and tree root is read. Derived state: it can be rebuilt from the entry log. The embedded
/// implementation is <see cref="HashStore"/> (<c>hashes.bin</c>).
/// </summary>
/// <remarks>
/// Exactly one writer (the <see cref="Log.Sequencer"/>) calls <see cref="Stage"/>, <see cref="WriteStaged"/> and
/// <see cref="Truncate"/>; <see cref="IHashReader.ReadHashes"/> MAY run on any thread at the same time, and readers
/// ask only for hashes of published tree sizes, which are written. The publisher calls <see cref="Flush"/>.
/// </remarks>
public interface IHashStore : IHashReader, IDisposable
{
    /// <summary>The number of hashes written (not counting staged ones).</summary>
    long Count { get; }

    /// <summary>
    /// Stages the next hashes after those written and staged before. They MUST be visible at once to the writer's own
    /// <see cref="IHashReader.ReadHashes"/> (a record's hashes depend on the ones before it), and to no other reader
    /// before <see cref="WriteStaged"/>.
    /// </summary>
    void Stage(ReadOnlySpan<Hash> hashes);

    /// <summary>
    /// Writes every staged hash. Once it returns they MUST be readable by every thread. They need not be durable: a
    /// crash MAY lose or tear any hash written since the last <see cref="Flush"/>, which open cuts off and replays.
    /// </summary>
    void WriteStaged();

    /// <summary>
    /// Drops every hash from <paramref name="count"/> on (at open, back to what the last checkpoint covers). Rewriting
    /// them afterwards MUST give the same store as if they had never been dropped: a stored hash depends only on the
    /// entries, so a replay writes the same bytes.
    /// </summary>
    void Truncate(long count);

    /// <summary>
    /// MUST return only once every written hash is durable. The publisher calls it before it writes a checkpoint, so
    /// that every checkpoint on disk covers only durable hashes.
    /// </summary>
    void Flush();
}
