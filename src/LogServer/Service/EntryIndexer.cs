using System.Text.Json;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>
/// Derives the lookup indexes from log entries (see docs/ENTRIES.md for the entry types). Every update is
/// idempotent per log index, as <see cref="IEntryIndexer"/> requires.
/// </summary>
public sealed class EntryIndexer(KvIndex index) : IEntryIndexer
{
    public static IndexKey StampKey(string id) => IndexKey.For("stamp-id", id);

    public static IndexKey ContentKey(in Hash contentHash) => IndexKey.For("content-hash", contentHash.Bytes);

    public static IndexKey IdempotencyKey(string scope, string key) => IndexKey.For("idempotency", scope + "\n" + key);

    public void Apply(long i, ReadOnlySpan<byte> record)
    {
        using var entry = JsonDocument.Parse(LogRecord.Entry(record).ToArray());
        var root = entry.RootElement;
        switch (root.GetProperty("type").GetString())
        {
            case StampEntry.Type:
                index.Put(StampKey(root.GetProperty("id").GetString()!), new IndexValue(i, 0, 0));
                Hash.TryParseHex(root.GetProperty("content_hash").GetString(), out var contentHash);
                var key = ContentKey(contentHash);
                // (earliest index, count, last counted index): counting only indexes above the last counted one
                // makes a re-applied entry a no-op.
                if (!index.TryGet(key, out var c)) index.Put(key, new IndexValue(i, 1, i));
                else if (i > c.C) index.Put(key, new IndexValue(c.A, c.B + 1, i));
                ApplyIdempotency(i, record);
                break;
        }
    }

    private void ApplyIdempotency(long i, ReadOnlySpan<byte> record)
    {
        var priv = LogRecord.Private(record);
        if (priv.IsEmpty) return;
        using var doc = JsonDocument.Parse(priv.ToArray());
        if (doc.RootElement.TryGetProperty("idempotency", out var idem))
            index.Put(IdempotencyKey(idem.GetProperty("scope").GetString()!, idem.GetProperty("key").GetString()!), new IndexValue(i, 0, 0));
    }
}
