using System.Numerics;
using System.Text.Json;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Service;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Anchor;

/// <summary>The checked <c>Attest:Anchor</c> configuration; <see cref="TryCreate"/> is null when anchoring is off.</summary>
public sealed record AnchorSetup(Uri RpcUrl, EvmKey Key, byte[] To, AnchorOptions Options)
{
    public static bool TryCreate(AnchorOptions o, out AnchorSetup? setup, out string problem)
    {
        setup = null;
        problem = "";
        if (string.IsNullOrEmpty(o.RpcUrl)) return true;
        // Messages never quote the URL or the key: both may be secrets.
        if (!Uri.TryCreate(o.RpcUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            problem = "Attest:Anchor:RpcUrl must be an absolute http or https URL";
        // The node signs nothing, but it tells the anchorer fees, nonces and receipts, and the URL may carry a key.
        else if (url.Scheme == "http" && !url.IsLoopback)
            problem = "Attest:Anchor:RpcUrl must be https unless the node is on a loopback address (in the clear, anyone on the path could read its API key and feed the anchorer false fees and receipts)";
        else if (string.IsNullOrEmpty(o.PrivateKey))
            problem = "Attest:Anchor:PrivateKey is required when Attest:Anchor:RpcUrl is set";
        else if (o.Interval <= TimeSpan.Zero || o.ReplaceAfter <= TimeSpan.Zero || o.RpcTimeout <= TimeSpan.Zero)
            problem = "Attest:Anchor:Interval, ReplaceAfter and RpcTimeout must be positive";
        else if (o.Confirmations < 1)
            problem = "Attest:Anchor:Confirmations must be at least 1 (the including block)";
        else if (o.MaxFeePerGas < 1 || o.MaxGas < 21_000 || o.MaxReplacements < 0)
            problem = "Attest:Anchor:MaxFeePerGas must be positive, MaxGas at least 21000 and MaxReplacements not negative";
        else
        {
            EvmKey key;
            try { key = EvmKey.FromHex(o.PrivateKey); }
            catch (FormatException) { problem = "Attest:Anchor:PrivateKey is not a secp256k1 private key (64 hex digits)"; return false; }
            byte[] to = key.AddressBytes;
            if (o.To is not null && !EvmAddress.TryParse(o.To, out to)) { problem = "Attest:Anchor:To is not a 0x address (EIP-55 checksum, if mixed case)"; return false; }
            setup = new AnchorSetup(url, key, to, o);
            return true;
        }
        return false;
    }
}

public sealed record PendingStatus(long TreeSize, long Nonce, string TxHash, int Transactions, DateTimeOffset FirstSentAt, long? MinedInBlock, long Confirmations);

/// <summary>
/// <c>/v1/anchors/status</c> and <c>/readyz</c>: <see cref="LagEntries"/> counts checkpointed entries no anchor covers
/// (anchor entries aside); <see cref="LagSeconds"/> is how long some have waited, as seen since this process started.
/// </summary>
public sealed record AnchorStatus(
    bool Enabled, long? ChainId, string? Account, string? To, int RequiredConfirmations, long AnchoredSize, long CheckpointSize,
    long LagEntries, double LagSeconds, PendingStatus? Pending, string? LastError, DateTimeOffset? LastErrorAt, int ConsecutiveFailures,
    string? Waiting);

/// <summary>
/// Anchors signed checkpoints in an EVM chain (docs/ANCHORING.md). Each interval, when the latest checkpoint is
/// larger than the last anchored one, one transaction carrying <see cref="AnchorCalldata"/> is signed here and
/// sent; once the configured number of blocks confirm it, its receipt is appended to the log as an
/// <c>anchor/v1</c> entry. Minting never waits for any of this.
/// </summary>
/// <remarks>
/// Steps, and what a crash between them leaves:
/// 1. Begin: pick the latest checkpoint, sign a transaction with the account's next nonce, save it as pending
///    (<see cref="AnchorState"/>), then send it. A crash after the save resends the same transaction.
/// 2. Advance, each poll: a receipt of any transaction of the pending anchor (a replacement may be the one mined)
///    with enough confirmations, whose block is still the chain's block at that height, goes to step 3. With no
///    receipt: if the nonce is spent by a transaction not ours, the anchor is begun again with a new nonce; if the
///    newest transaction waited <see cref="AnchorOptions.ReplaceAfter"/>, it is replaced with higher fees (same
///    nonce); if the node forgot it (dropped), it is sent again.
/// 3. Confirm: append the <c>anchor/v1</c> entry (durable when Append returns), then clear the pending anchor. A
///    crash between the two finds the anchor already in the log and only clears it.
/// Only one anchor is ever in flight, and a new one begins only after the last is logged, so sizes are anchored in
/// order, none twice, none skipped while unconfirmed. Failures are retried with exponential backoff.
/// </remarks>
public sealed class Anchorer(
    AnchorSetup? setup, TransparencyLog log, AnchorLedger ledger, LogWriter writer, TimeProvider time, AttestOptions options, ILogger<Anchorer> logger)
    : BackgroundService
{
    private static readonly BigInteger Gwei = 1_000_000_000;
    private readonly string statePath = Path.Combine(options.DataDir, "anchor-state.json");
    private AnchorState? state;
    private EthRpc? rpc;
    private DateTimeOffset nextBegin;
    private DateTimeOffset? unanchoredSince;
    private (long Block, long Confirmations)? mined;
    private string? lastError;
    private DateTimeOffset? lastErrorAt;
    private int failures;
    private string? waiting; // why no transaction is sent now although one is due: a limit of the hot wallet

    private AnchorOptions Options => setup!.Options;

    private string From => setup!.Key.Address;

    private TimeSpan Poll => TimeSpan.FromTicks(Math.Clamp(Options.Interval.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(5).Ticks));

    public AnchorStatus Status()
    {
        long anchored = ledger.AnchoredSize, checkpoint = log.Latest.Size, lag = ledger.Unanchored(checkpoint);
        var now = time.GetUtcNow();
        var s = state;
        var p = s?.Pending;
        return new AnchorStatus(
            setup is not null, s?.ChainId, setup?.Key.Address, setup is null ? null : EvmAddress.Format(setup.To), setup?.Options.Confirmations ?? 0,
            anchored, checkpoint, lag, lag > 0 && unanchoredSince is { } since ? (now - since).TotalSeconds : 0,
            p is null ? null : new PendingStatus(p.TreeSize, p.Nonce, p.Sent[^1].Hash, p.Sent.Length, p.Sent[0].SentAt, mined?.Block, mined?.Confirmations ?? 0),
            lastError, lastErrorAt, failures, waiting);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (setup is null) return;
        using var http = new HttpClient { Timeout = Options.RpcTimeout };
        rpc = new EthRpc(http, setup.RpcUrl);
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                delay = await Step(stopping);
                failures = 0;
                lastError = null;
            }
            // Anything but shutdown is retried: a fault here must never stop the host (and with it, minting).
            catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                failures++;
                lastError = ex is OperationCanceledException ? $"the node did not answer within {Options.RpcTimeout}" : ex.Message;
                lastErrorAt = time.GetUtcNow();
                delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures - 1, 10))));
                if (ex is HttpRequestException or EthRpcException or FormatException or JsonException or InvalidOperationException or OperationCanceledException)
                    logger.LogWarning("Anchoring failed ({Failures} in a row), retrying in {Delay}: {Error}", failures, delay, lastError);
                else
                    logger.LogError(ex, "Anchoring failed unexpectedly ({Failures} in a row), retrying in {Delay}", failures, delay);
            }
            try { await Task.Delay(delay, time, stopping); }
            catch (OperationCanceledException) { }
        }
    }

    private async Task<TimeSpan> Step(CancellationToken stopping)
    {
        var latest = log.Latest;
        bool unanchored = ledger.Unanchored(latest.Size) > 0;
        var now = time.GetUtcNow();
        if (!unanchored) unanchoredSince = null;
        else unanchoredSince ??= now;
        state ??= await Start();

        if (state.Pending is { } p) return await Advance(p);
        if (!unanchored)
        {
            // Nothing to anchor until the log grows: its next checkpoint wakes the anchorer.
            try { await log.CheckpointAfter(latest.Size, stopping); }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
            return TimeSpan.Zero;
        }
        if (now < nextBegin) return nextBegin - now;
        nextBegin = now + Options.Interval;
        await Begin(latest);
        return Poll;
    }

    private async Task<AnchorState> Start()
    {
        long chainId = await rpc!.ChainId();
        if (Options.ChainId is { } want && want != chainId)
            throw new InvalidOperationException($"the node is on chain {chainId}, not the configured chain {want}; nothing is sent");
        var saved = AnchorState.Load(statePath);
        if (saved is not null && (saved.ChainId != chainId || saved.From != From))
        {
            logger.LogWarning("The saved anchor state is for chain {Chain} and account {Account}; starting afresh on chain {NewChain} with {NewAccount}",
                saved.ChainId, saved.From, chainId, From);
            saved = null;
        }
        logger.LogInformation("Anchoring on chain {Chain} from {Account}, every {Interval}, after {Confirmations} confirmations", chainId, From, Options.Interval, Options.Confirmations);
        return saved ?? new AnchorState(chainId, From, 0, null);
    }

    private async Task Begin(SignedCheckpoint checkpoint)
    {
        var data = AnchorCalldata.Encode(checkpoint.Size, checkpoint.Checkpoint.Root, log.Origin);
        long nonce = await rpc!.TransactionCount(From, "pending");
        if (nonce < state!.NextNonce)
            logger.LogWarning("The node reports nonce {Nonce} for the anchoring account, below the {Expected} already used here: the chain lost transactions", nonce, state.NextNonce);
        long estimate = await rpc.EstimateGas(From, EvmAddress.Format(setup!.To), data);
        if (estimate > Options.MaxGas)
            throw new InvalidOperationException($"the node estimates {estimate} gas for the anchor, above Attest:Anchor:MaxGas ({Options.MaxGas}); nothing is sent");
        long gasLimit = Math.Min(estimate + estimate / 5, Options.MaxGas);
        if (await Sign(nonce, gasLimit, data, previous: null) is not { } tx) return;
        var pending = new PendingAnchor(checkpoint.Size, checkpoint.Note, EthRpc.Hex(data), nonce, gasLimit, [tx]);
        Save(state with { Pending = pending });
        logger.LogInformation("Anchoring checkpoint {Size} in transaction {Tx} (nonce {Nonce})", checkpoint.Size, tx.Hash, nonce);
        await Broadcast(tx);
    }

    private async Task<TimeSpan> Advance(PendingAnchor p)
    {
        if (ledger.AnchoredSize >= p.TreeSize)
        {
            Finish(p);
            return TimeSpan.Zero;
        }
        if (await FindReceipt(p) is { } found) return await Confirm(p, found.Tx, found.Receipt);
        mined = null;

        long spent = await rpc!.TransactionCount(From, "latest");
        if (spent > p.Nonce)
        {
            // Read after the count: if one of ours was mined, its receipt is there now.
            if (await FindReceipt(p) is { } late) return await Confirm(p, late.Tx, late.Receipt);
            logger.LogWarning("Nonce {Nonce} of the anchoring account was spent by a transaction not sent for this anchor; anchoring again", p.Nonce);
            Save(state! with { Pending = null, NextNonce = spent });
            return TimeSpan.Zero;
        }

        var newest = p.Sent[^1];
        // Past the replacement limit, or when a replacement would pay above the fee cap, the newest one is waited for.
        if (time.GetUtcNow() - newest.SentAt >= Options.ReplaceAfter && p.Sent.Length - 1 >= Options.MaxReplacements)
        {
            waiting = $"the anchor transaction was replaced {p.Sent.Length - 1} times, the limit Attest:Anchor:MaxReplacements; waiting for {newest.Hash} to be mined";
        }
        else if (time.GetUtcNow() - newest.SentAt >= Options.ReplaceAfter
            && await Sign(p.Nonce, p.GasLimit, Convert.FromHexString(p.Calldata.AsSpan(2)), newest) is { } replacement)
        {
            Save(state! with { Pending = p with { Sent = [.. p.Sent, replacement] } });
            logger.LogInformation("Anchor transaction {Tx} not mined after {Wait}; replacing it with {Replacement} at higher fees", newest.Hash, Options.ReplaceAfter, replacement.Hash);
            await Broadcast(replacement);
            return Poll;
        }
        if (await rpc.TransactionByHash(newest.Hash) is null)
        {
            logger.LogInformation("The node does not know anchor transaction {Tx}; sending it again", newest.Hash);
            await Broadcast(newest);
        }
        return Poll;
    }

    private async Task<(SentTransaction Tx, JsonElement Receipt)?> FindReceipt(PendingAnchor p)
    {
        for (int i = p.Sent.Length - 1; i >= 0; i--)
            if (await rpc!.Receipt(p.Sent[i].Hash) is { } receipt) return (p.Sent[i], receipt);
        return null;
    }

    private async Task<TimeSpan> Confirm(PendingAnchor p, SentTransaction tx, JsonElement receipt)
    {
        long blockNumber = EthRpc.Long(receipt.GetProperty("blockNumber"));
        string blockHash = EthRpc.Hash32(receipt, "blockHash");
        long confirmations = await rpc!.BlockNumber() - blockNumber + 1;
        mined = (blockNumber, Math.Max(0, confirmations));
        if (confirmations < Options.Confirmations) return Poll;
        if (EthRpc.Long(receipt.GetProperty("status")) != 1)
        {
            logger.LogWarning("Anchor transaction {Tx} failed on chain (status 0); anchoring again with the next nonce", tx.Hash);
            Save(state! with { Pending = null, NextNonce = p.Nonce + 1 });
            return TimeSpan.Zero;
        }
        // A reorganisation may have replaced the receipt's block since the node answered: wait until they agree.
        var block = await rpc.BlockByNumber(EthRpc.Quantity(blockNumber));
        if (block is null || EthRpc.Hash32(block.Value, "hash") != blockHash) return Poll;
        long timestamp = EthRpc.Long(block.Value.GetProperty("timestamp"));

        var checkpoint = Checkpoint.TryParse(Note.Open(System.Text.Encoding.UTF8.GetBytes(p.Checkpoint), [log.Verifier]).Text, out var cp) ? cp!
            : throw new System.Diagnostics.UnreachableException("the pending checkpoint is not ours");
        var entry = new AnchorEntry(state!.ChainId, tx.Hash, blockNumber, blockHash, timestamp, p.TreeSize, checkpoint.Root.ToBase64(),
            From, EvmAddress.Format(setup!.To), p.Checkpoint);
        long index = await writer.Append(entry.Encode(), null);
        Finish(p);
        logger.LogInformation("Anchored checkpoint {Size} in block {Block} ({Tx}), logged at index {Index}", p.TreeSize, blockNumber, tx.Hash, index);
        return TimeSpan.Zero;
    }

    private void Finish(PendingAnchor p)
    {
        mined = null;
        waiting = null;
        Save(state! with { Pending = null, NextNonce = Math.Max(state.NextNonce, p.Nonce + 1) });
    }

    /// <summary>
    /// Signs with fees from the node: EIP-1559 where the latest block has a base fee, else EIP-155 legacy; a replacement
    /// pays at least 1/8 more. Never offers more than <see cref="AnchorOptions.MaxFeePerGas"/>: null (and
    /// <see cref="waiting"/> says why) when the chain's base fee, its gas price, or the bump a replacement needs is above it.
    /// </summary>
    private async Task<SentTransaction?> Sign(long nonce, long gasLimit, byte[] data, SentTransaction? previous)
    {
        var latest = await rpc!.BlockByNumber("latest") ?? throw new FormatException("the node has no latest block");
        var now = time.GetUtcNow();
        BigInteger cap = Options.MaxFeePerGas;
        if (latest.TryGetProperty("baseFeePerGas", out var baseFeeJson) && baseFeeJson.ValueKind == JsonValueKind.String)
        {
            BigInteger tip;
            try { tip = await rpc.MaxPriorityFeePerGas(); }
            catch (EthRpcException) { tip = Gwei; } // a node without the method: a common default tip
            var baseFee = EthRpc.Quantity(baseFeeJson);
            if (baseFee >= cap) return Wait($"the chain's base fee ({baseFee} wei a gas) is not below Attest:Anchor:MaxFeePerGas ({cap}); waiting for it to fall");
            var maxFee = 2 * baseFee + tip;
            if (previous is not null)
            {
                tip = BigInteger.Max(tip, Bump(BigInteger.Parse(previous.PriorityFee ?? previous.Fee)));
                maxFee = BigInteger.Max(BigInteger.Max(maxFee, Bump(BigInteger.Parse(previous.Fee))), tip);
                if (maxFee > cap)
                    return Wait($"a replacement would offer {maxFee} wei a gas, above Attest:Anchor:MaxFeePerGas ({cap}); waiting for {previous.Hash} to be mined");
            }
            // Capped, the offer still covers the base fee (checked above); the tip may not exceed the offer.
            maxFee = BigInteger.Min(maxFee, cap);
            tip = BigInteger.Min(tip, maxFee);
            var tx = EvmTransaction.Eip1559(setup!.Key, state!.ChainId, nonce, tip, maxFee, gasLimit, setup.To, 0, data);
            waiting = null;
            return new SentTransaction(tx.Hash, EthRpc.Hex(tx.Raw), maxFee.ToString(), tip.ToString(), now);
        }
        var gasPrice = await rpc.GasPrice();
        if (previous is not null) gasPrice = BigInteger.Max(gasPrice, Bump(BigInteger.Parse(previous.Fee)));
        if (gasPrice > cap)
            return Wait($"the gas price ({gasPrice} wei{(previous is null ? "" : ", with the bump a replacement needs")}) is above Attest:Anchor:MaxFeePerGas ({cap}); waiting");
        var legacy = EvmTransaction.Legacy(setup!.Key, state!.ChainId, nonce, gasPrice, gasLimit, setup.To, 0, data);
        waiting = null;
        return new SentTransaction(legacy.Hash, EthRpc.Hex(legacy.Raw), gasPrice.ToString(), null, now);
    }

    private SentTransaction? Wait(string why)
    {
        if (waiting != why) logger.LogWarning("Anchoring waits: {Why}", why);
        waiting = why;
        return null;
    }

    // Nodes accept a replacement only if it pays at least 10% more (geth's default price bump).
    private static BigInteger Bump(BigInteger fee) => fee + fee / 8 + 1;

    private async Task Broadcast(SentTransaction tx)
    {
        try
        {
            await rpc!.SendRawTransaction(Convert.FromHexString(tx.Raw.AsSpan(2)));
        }
        catch (EthRpcException ex) when (ex.NodeMessage.Contains("already known", StringComparison.OrdinalIgnoreCase)
            || ex.NodeMessage.Contains("known transaction", StringComparison.OrdinalIgnoreCase))
        {
        }
    }

    private void Save(AnchorState next)
    {
        next.Save(statePath);
        state = next;
    }
}
