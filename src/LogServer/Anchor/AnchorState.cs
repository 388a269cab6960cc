using System.Text.Json;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Anchor;

/// <summary>One signed transaction sent for an anchor: <paramref name="Fee"/> is its maxFeePerGas (EIP-1559) or gasPrice (legacy), in wei.</summary>
public sealed record SentTransaction(string Hash, string Raw, string Fee, string? PriorityFee, DateTimeOffset SentAt);

/// <summary>
/// The anchor in flight: the checkpoint it anchors and every transaction sent for it. All of them share one nonce,
/// so at most one can ever be mined: that is what makes "never anchor the same size twice" hold across fee bumps,
/// re-sends and restarts.
/// </summary>
public sealed record PendingAnchor(long TreeSize, string Checkpoint, string Calldata, long Nonce, long GasLimit, SentTransaction[] Sent);

/// <summary>
/// <c>anchor-state.json</c> in the data directory. Contract: a transaction MUST be recorded here (durably, by
/// <see cref="Save"/>) before it is sent, so a restart finds and resends it instead of signing another; the
/// pending anchor MUST be cleared only after its <c>anchor/v1</c> entry is durable in the log (the log, not this
/// file, is the record of confirmed anchors).
/// </summary>
public sealed record AnchorState(long ChainId, string From, long NextNonce, PendingAnchor? Pending)
{
    public static AnchorState? Load(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<AnchorState>(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path} is empty") : null;

    public void Save(string path) => DurableFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this));
}
