using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

/// <summary>
/// The reveal of a sealed stamp (TruthStamp's <c>POST /stamps/:id/reveal</c>): after its <c>sealed_until</c>, the
/// creating issuer's API keys or the admin log a <c>stamp-reveal/v1</c> entry carrying the content, which anyone can
/// hash and compare with the <c>content_hash</c> logged when the stamp was sealed.
/// </summary>
/// <remarks>
/// A stamp is revealed at most once. The check "not yet revealed" and the append are one step per stamp: concurrent
/// reveals of one stamp wait on one of its gates, and <see cref="LogWriter.Append(byte[])"/> returns only
/// once the reveal is indexed, so the next one finds it. A crash after the append's commit leaves a reveal that the
/// index replays from the log at the next start; one before it leaves nothing.
/// </remarks>
public sealed class StampReveals(TransparencyLog log, IIndexStore index, LogWriter writer, Idempotency idempotency, StampService stamps, TimeProvider time, CreditOptions costs)
{
    // Striped: reveals are rare, and a fixed set of gates needs no cleanup.
    private readonly SemaphoreSlim[] gates = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>
    /// Reveals stamp <paramref name="id"/> and answers it as <paramref name="caller"/> now sees it (revealed); a retry with
    /// the same idempotency key answers the same. A key with a credit balance pays as for the text stamp it reveals.
    /// </summary>
    public async Task<Stamp> Reveal(Principal caller, string id, string? idempotencyKey, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.StampKey(id), out EntryAt at)) throw DomainError.NotFound($"no stamp with id {id}");
        byte[]? digest = idempotencyKey is null ? null : IdempotencyDigest.Of("reveal " + id, id, static (_, w) => w.End());
        bool appended = false;
        await idempotency.Run(caller.Scope, idempotencyKey, digest, async idem =>
        {
            var record = await log.ReadRecordAsync(at.Index, token);
            var priv = AttestationService.PrivateOf(record);
            // A stamp made with the admin key has no issuer_id: only the admin reveals it.
            string? owner = priv.ValueKind == System.Text.Json.JsonValueKind.Object ? priv.OptStr("issuer_id") : null;
            if (!caller.IsAdmin && (owner is null || caller.IssuerId?.ToString() != owner))
                throw new DomainError(ErrorKind.PermissionDenied, "not_owner", "only the API keys of the issuer that created the stamp, or the admin, can reveal it");
            var stamp = StampEntry.Parse(LogRecord.Entry(record));
            if (stamp.SealedUntil is not { } until) throw DomainError.Invalid("not_sealed", "the stamp is not a sealed stamp");
            if (time.GetUtcNow().ToUnixTimeSeconds() < until)
                throw DomainError.Invalid("still_sealed", $"the stamp is sealed until {DateTimeOffset.FromUnixTimeSeconds(until):yyyy-MM-dd'T'HH:mm:ss'Z'} (sealed_until {until})");
            var gate = gates[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % (uint)gates.Length)];
            await gate.WaitAsync(token);
            try
            {
                if (index.TryGet(EntryIndexer.RevealKey(id), out EntryAt _))
                    throw new DomainError(ErrorKind.AlreadyExists, "already_revealed", "the stamp was already revealed");
                // The last check, so a refused reveal costs nothing; given back unless its record is appended (LogWriter).
                var charge = caller.Credits?.Reserve(costs.Text);
                byte[] revealRecord;
                try
                {
                    var entry = new StampRevealEntry(id, stamp.ContentHash, priv.Str("content"), StampService.Timestamp(time.GetUtcNow())).Encode();
                    var side = new JsonObject();
                    if (owner is not null) side["issuer_id"] = owner;
                    if (idem is not null) side["idempotency"] = idem.ToJson();
                    if (charge is not null) side["charge"] = charge.ToJson();
                    revealRecord = LogWriter.Record(entry, side);
                }
                catch
                {
                    charge?.Release();
                    throw;
                }
                long revealed = await writer.AppendCharging(revealRecord, charge);
                appended = true;
                return revealed;
            }
            finally
            {
                gate.Release();
            }
        }, token);
        var answer = await stamps.Get(caller, id, token);
        return caller.Credits is { } account ? new ChargedStamp(answer, appended ? costs.Text : 0, account.Remaining) : answer;
    }
}
