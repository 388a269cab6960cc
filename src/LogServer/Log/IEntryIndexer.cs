namespace Attest.LogServer.Log;

/// <summary>
/// Derives index state from committed entry-log records.
/// </summary>
/// <remarks>
/// Contract: <see cref="Apply"/> is called by one thread, in log order, only for committed records, and MUST be
/// idempotent for a given (index, record): after a crash, records from <see cref="AppliedUpTo"/> on are applied
/// again, and the recovered state may already reflect some of them. <see cref="Checkpoint"/> MUST make durable
/// everything applied below its argument before <see cref="AppliedUpTo"/> reports it.
/// </remarks>
public interface IEntryIndexer
{
    /// <summary>Every entry below this log index is reflected in the durable (recovered) index state.</summary>
    long AppliedUpTo { get; }

    /// <param name="leafHash">the RFC 6962 leaf hash of the record's entry, which the log has just computed.</param>
    void Apply(long index, ReadOnlyMemory<byte> record, in Merkle.Hash leafHash);

    Task Checkpoint(long appliedUpTo);
}
