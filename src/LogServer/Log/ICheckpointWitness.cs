using Attest.Merkle;

namespace Attest.LogServer.Log;

/// <summary>
/// Gets a freshly signed checkpoint cosigned before <see cref="TransparencyLog"/> publishes it (see
/// <see cref="Witnessing.CheckpointWitnessing"/>, c2sp.org/tlog-witness).
/// </summary>
/// <remarks>
/// Contract: called by one publisher at a time, with checkpoints of non-decreasing size; <paramref name="hashes"/>
/// MUST hold (durably) every stored hash of the tree at <c>signed.Size</c>, so consistency proofs up to it can be made.
/// </remarks>
public interface ICheckpointWitness
{
    /// <summary>The checkpoint to publish, with the cosignatures obtained appended to its note; or null to hold it back.</summary>
    Task<SignedCheckpoint?> Cosign(SignedCheckpoint signed, IHashReader hashes, CancellationToken token);
}
