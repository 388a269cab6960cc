using Attest.LogServer.Log;
using Attest.Merkle;

namespace Attest.Tests.Shared;

/// <summary>An index that keeps nothing, for tests of the log on its own: nothing there looks an entry up.</summary>
public sealed class NoIndex : IEntryIndexer
{
    public long AppliedUpTo => 0;

    public void Apply(long index, ReadOnlyMemory<byte> record, in Hash leafHash) { }

    public Task Checkpoint(long appliedUpTo) => Task.CompletedTask;
}
