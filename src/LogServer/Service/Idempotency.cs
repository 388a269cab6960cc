using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

/// <summary>
/// Idempotency keys (TruthStamp and Truthlocks manner): a retry of the same request with the same key within 24
/// hours returns the entry the first request appended; the same key with another request is a 409; failures are
/// not remembered. The key, its scope (the caller) and a digest of the request ride in the entry's private data,
/// so they are as durable as the entry and rebuilt with the index.
/// </summary>
public sealed class Idempotency(IIndexStore index, TransparencyLog log, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);
    private readonly ConcurrentDictionary<string, Task<long>> inFlight = new();

    /// <summary>
    /// Returns the log index of the entry for this request: the earlier one for a retry, else the one
    /// <paramref name="append"/> makes (it must put the given record under <c>"idempotency"</c> in the private data).
    /// </summary>
    public async Task<long> Run(string scope, string? key, byte[]? requestDigest, Func<IdempotencyRecord?, Task<long>> append, CancellationToken token)
    {
        if (key is null) return await append(null);
        ArgumentNullException.ThrowIfNull(requestDigest);
        string slot = scope + "\n" + key;
        string digest = Convert.ToHexStringLower(requestDigest);
        while (true)
        {
            // Two concurrent requests with one key must not both append: the second waits for the first.
            var mine = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = inFlight.GetOrAdd(slot, mine.Task);
            if (running != mine.Task)
            {
                try { await running.WaitAsync(token); } catch (Exception) when (!token.IsCancellationRequested) { } // failures are not remembered
                continue;
            }
            try
            {
                long i = await Find(scope, key, digest, token)
                    ?? await append(new IdempotencyRecord(scope, key, digest, StampService.Timestamp(time.GetUtcNow())));
                mine.SetResult(i);
                return i;
            }
            catch (Exception e)
            {
                mine.SetException(e);
                throw;
            }
            finally
            {
                inFlight.TryRemove(slot, out _);
            }
        }
    }

    private async Task<long?> Find(string scope, string key, string digest, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.IdempotencyKey(scope, key), out EntryAt first)) return null;
        using var priv = JsonDocument.Parse(LogRecord.Private(await log.ReadRecordAsync(first.Index, token)).ToArray());
        var idem = priv.RootElement.GetProperty("idempotency");
        if (time.GetUtcNow() - DateTimeOffset.Parse(idem.Str("at")) > Window) return null;
        if (idem.Str("request") != digest)
            throw DomainError.FailedPrecondition("idempotency_key_reused", "this Idempotency-Key was already used with a different request");
        return first.Index;
    }
}

/// <summary>What an entry's private data holds under <c>"idempotency"</c>: the caller's scope, the key, the request digest and when.</summary>
public sealed record IdempotencyRecord(string Scope, string Key, string Request, string At)
{
    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("scope", Scope);
        w.WriteString("key", Key);
        w.WriteString("request", Request);
        w.WriteString("at", At);
        w.WriteEndObject();
    }

    public JsonObject ToJson() => new() { ["scope"] = Scope, ["key"] = Key, ["request"] = Request, ["at"] = At };
}
