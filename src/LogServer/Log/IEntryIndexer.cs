namespace Attest.LogServer.Log;

/// <summary>
/// Derives index state from committed entry-log records.
/// </summary>
/// <remarks>
/// Contract: called by one thread, in log order, only for committed records. MUST be idempotent for a given
/// (index, record): after a crash, records since the last index checkpoint are applied again.
/// </remarks>
public interface IEntryIndexer
{
    void Apply(long index, ReadOnlySpan<byte> record);
}
