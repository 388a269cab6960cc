namespace Attest.LogServer.Storage;

/// <summary>
/// The sequenced entry store: the log's source of truth (design invariant 1), one record per log entry, in log
/// order. Every other store is derived from it and can be rebuilt from it. The embedded implementation is
/// <see cref="EntryLog"/> (a FasterLog); docs/SCALING.md describes one on PostgreSQL.
/// </summary>
/// <remarks>
/// A record's place in the store is an <em>address</em>: a number the store assigns, increasing in append order,
/// that means nothing outside the store. The i-th record ever committed is log entry i; the store keeps no log index
/// in the record, and the sequencer keeps the address of each index (<c>addresses.bin</c>).
/// Exactly one writer (the <see cref="Log.Sequencer"/>) calls <see cref="Enqueue"/> and <see cref="CommitAsync"/>;
/// reads and scans MAY run on any thread at the same time, and only ever see committed records.
/// </remarks>
public interface ISequencedEntryStore : IDisposable
{
    /// <summary>The address of the first record.</summary>
    long BeginAddress { get; }

    /// <summary>The address after the last committed record. It MUST only grow while the store is open.</summary>
    long CommittedUntilAddress { get; }

    /// <summary>
    /// Stages <paramref name="record"/> after every record staged before it and returns its address. It MUST NOT be
    /// durable, nor visible to reads, before the next <see cref="CommitAsync"/> returns. A record the store cannot
    /// hold MUST be refused with an <see cref="ArgumentException"/> and leave the store unchanged, so that it fails
    /// alone; any other exception is a storage failure.
    /// </summary>
    long Enqueue(ReadOnlySpan<byte> record);

    /// <summary>
    /// Makes every record staged before the call durable, and MUST return only once they are: on disk through a power
    /// loss, since the sequencer acknowledges their log indexes as soon as it returns (design invariant 2). Records
    /// MUST become durable in the order they were staged: a crash at any moment MUST leave a prefix of the staged
    /// records, never a later record without an earlier one, and never a torn one as if whole. One call covers the
    /// whole batch (group commit). After it throws, which of the staged records are durable is unknown: the caller
    /// stops writing until a restart recovers from what the store holds.
    /// </summary>
    ValueTask CommitAsync(CancellationToken token = default);

    /// <summary>
    /// Reads the committed record at <paramref name="address"/>: exactly the bytes committed, or
    /// <see cref="CorruptRecordException"/> when the store cannot show they are intact (a checksum fails). It MUST
    /// NOT return altered bytes.
    /// </summary>
    ValueTask<byte[]> ReadAsync(long address, CancellationToken token = default);

    /// <summary>
    /// Passes each committed record from <paramref name="fromAddress"/> (inclusive) to <paramref name="toAddress"/>
    /// (exclusive; default: the committed end) to <paramref name="onRecord"/> with its address, in log order, none
    /// skipped. With <paramref name="verifyInMemory"/> it MUST check every record it passes, including any it holds
    /// in memory unchecked since recovery; on a record that fails it MUST throw <see cref="CorruptRecordException"/>,
    /// having passed on only the records before it.
    /// </summary>
    void Scan(long fromAddress, Action<ReadOnlyMemory<byte>, long> onRecord, bool verifyInMemory = false, long toAddress = -1);
}
