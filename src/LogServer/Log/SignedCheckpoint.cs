using Attest.Merkle;

namespace Attest.LogServer.Log;

/// <summary>A published checkpoint: the parsed body and the exact signed note served at <c>/checkpoint</c>.</summary>
public sealed record SignedCheckpoint(Checkpoint Checkpoint, string Note)
{
    public long Size => Checkpoint.Size;
}
