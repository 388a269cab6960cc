namespace Attest.LogServer.Storage;

/// <summary>
/// The index: point lookups derived from the log's entries (id → log index, content hash → earliest stamp,
/// idempotency key → log index, …), as fixed-size keys and values. Derived state: it can be rebuilt from the entry log.
/// The embedded implementation is <see cref="KvIndex"/> (a FASTER KV).
/// </summary>
/// <remarks>
/// Exactly one writer (the sequencer's indexer, <see cref="Log.IEntryIndexer"/>) calls <see cref="Put"/> and
/// <see cref="Checkpoint"/>, only for entries already committed in the entry log, in log order. Reads MAY run on any
/// thread at the same time as the writer.
/// </remarks>
public interface IIndexStore
{
    /// <summary>
    /// Every entry below this log index is reflected in the durable state the store recovered at open (0 when it has
    /// none). The indexer re-applies the entries from here on; the store MAY already reflect some of them.
    /// </summary>
    long AppliedUpTo { get; }

    /// <summary>Reads the value of <paramref name="key"/>: the last one put, as seen by this thread's reads.</summary>
    bool TryGet(in IndexKey key, out IndexValue value);

    /// <summary>
    /// Sets the value of <paramref name="key"/>, visible to reads once it returns. It need not be durable before the
    /// next <see cref="Checkpoint"/>: a crash MAY lose any put since then, and the indexer puts them again (its updates
    /// are idempotent per log index).
    /// </summary>
    void Put(in IndexKey key, in IndexValue value);

    /// <summary>
    /// Records that every entry below <paramref name="appliedUpTo"/> is applied and makes every put before the call
    /// durable, atomically: after a crash the store MUST recover either this checkpoint whole or the one before it
    /// whole, never a mix, and <see cref="AppliedUpTo"/> MUST NOT exceed what the recovered state reflects.
    /// </summary>
    Task Checkpoint(long appliedUpTo);
}
