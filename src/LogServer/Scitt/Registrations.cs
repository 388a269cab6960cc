using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Service;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Scitt;

/// <summary>A registered statement: its log index and its entry id (the lowercase hex of its RFC 9162 leaf hash).</summary>
public readonly record struct Registered(long Index, string EntryId);

/// <summary>
/// Registers Signed Statements (RFC 9943 §6.3) under the <see cref="RegistrationPolicy"/>: the statement is appended
/// to the log byte for byte as the public entry, with who registered it in the private data. The entry id is the
/// statement's RFC 9162 §2.1.1 leaf hash, SHA-256(0x00 || statement), so anyone holding the statement computes it.
/// </summary>
/// <remarks>
/// Idempotent by content: a statement already in the log answers its first entry and appends nothing, and concurrent
/// registrations of the same bytes share one append. A retry is answered even if the key changed state since, as a
/// mint's retry is: the same bytes were verified when first logged.
/// </remarks>
public sealed class Registrations(Registry registry, IIndexStore index, LogWriter writer, CreditOptions costs, KeyGates gates)
{
    private readonly ConcurrentDictionary<Hash, Task<long>> inFlight = new();

    public async Task<Registered> Register(Principal caller, ReadOnlyMemory<byte> bytes)
    {
        var (statement, key) = RegistrationPolicy.Admit(caller, bytes, registry);
        var leaf = LeafHash(bytes.Span);
        string id = leaf.ToHex();
        if (Find(leaf) is { } logged) return new Registered(logged, id);
        var mine = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = inFlight.GetOrAdd(leaf, mine.Task);
        if (running != mine.Task) return new Registered(await running, id);
        try
        {
            // Between the lookup above and taking the slot, an earlier registration may have finished.
            long i = Find(leaf) ?? await Append(caller, statement, key);
            mine.SetResult(i);
            return new Registered(i, id);
        }
        catch (Exception e)
        {
            mine.SetException(e);
            // Waiters see the failure; nobody else may be waiting, so it is observed here.
            _ = mine.Task.Exception;
            throw;
        }
        finally
        {
            inFlight.TryRemove(new KeyValuePair<Hash, Task<long>>(leaf, mine.Task));
        }
    }

    /// <summary>The log index of the statement with entry id <paramref name="leaf"/>, or null when none is logged.</summary>
    public long? Find(in Hash leaf) => index.TryGet(EntryIndexer.StatementKey(leaf), out EntryAt at) ? at.Index : null;

    /// <summary>RFC 9162 §2.1.1: the leaf hash of an entry is SHA-256(0x00 || entry).</summary>
    public static Hash LeafHash(ReadOnlySpan<byte> statement) => Rfc6962.HashLeaf(statement);

    private async Task<long> Append(Principal caller, SignedStatement statement, IssuerKey key)
    {
        // Inside the key's gate from the state check until the entry is acknowledged, as a mint is (KeyGates): else a
        // statement that read "active" could be sequenced after the key event that rotated or compromised its key.
        if (!gates.TryEnter(key.Kid, out var gate)) throw KeyNotActive(key);
        try
        {
            key = registry.Key(key.Kid) ?? throw KeyNotActive(key);
            RegistrationPolicy.Verify(statement, key);
            // After every check, so a refused statement costs nothing; given back unless its record is appended (LogWriter).
            var charge = caller.Credits?.Reserve(costs.Statement);
            var priv = new JsonObject { ["issuer_id"] = key.IssuerId.ToString(), ["registered_by"] = caller.Scope };
            if (charge is not null) priv["charge"] = charge.ToJson();
            return await writer.AppendCharging(LogWriter.Record(statement.Bytes.ToArray(), priv), charge);
        }
        finally
        {
            gate.Leave();
        }
    }

    private static DomainError KeyNotActive(IssuerKey key) =>
        DomainError.FailedPrecondition("key_not_active", $"key \"{key.Kid}\" is being rotated or marked compromised and signs nothing more");
}
