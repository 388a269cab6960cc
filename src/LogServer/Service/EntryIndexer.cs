using System.Text.Json;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

/// <summary>
/// Derives the lookup state from log entries (docs/ENTRIES.md): point lookups in the index (<see cref="IIndexStore"/>),
/// issuers, keys, API keys and packs in the <see cref="Service.Registry"/>. Every update is idempotent per log
/// index, as <see cref="IEntryIndexer"/> requires; each store checkpoints on its own and recovery replays from the
/// older of the two.
/// </summary>
public sealed class EntryIndexer(IIndexStore kv, Registry registry, string registryPath) : IEntryIndexer
{
    /// <summary>Version of the keys below; a change makes every existing index rebuild (1: leaf-hash keys added).</summary>
    public const long Schema = 1;

    private static readonly JsonElement NoPrivate = JsonDocument.Parse("{}").RootElement;

    public long AppliedUpTo => Math.Min(kv.AppliedUpTo, registry.AppliedUpTo);

    public async Task Checkpoint(long appliedUpTo)
    {
        registry.Save(registryPath, appliedUpTo);
        await kv.Checkpoint(appliedUpTo);
    }

    public static IndexKey StampKey(string id) => IndexKey.For("stamp-id", id);

    public static IndexKey ContentKey(in Hash contentHash) => IndexKey.For("content-hash", contentHash.Bytes);

    /// <summary>RFC 6962 leaf hash → the index of the first entry with that leaf (entries carry unique ids, so the only one).</summary>
    public static IndexKey LeafKey(in Hash leaf) => IndexKey.For("leaf-hash", leaf.Bytes);

    public static IndexKey IdempotencyKey(string scope, string key) => IndexKey.For("idempotency", scope + "\n" + key);

    /// <summary>Attestation id → (entry index, revocation entry index + 1 or 0, superseding entry index + 1 or 0).</summary>
    public static IndexKey AttestationKey(Guid id) => IndexKey.For("attestation-id", id.ToString());

    /// <summary>Document hash → index of the latest attestation of that document.</summary>
    public static IndexKey DocumentKey(string documentHash) => IndexKey.For("document-hash", documentHash);

    /// <summary>Key id → (attestations signed, last counted index); (key id, n) → the entry index of its n-th attestation.</summary>
    public static IndexKey KidCountKey(string kid) => IndexKey.For("kid-count", kid);

    public static IndexKey KidSeqKey(string kid, long n) => IndexKey.For("kid-seq", kid + "\n" + n);

    public void Apply(long i, ReadOnlyMemory<byte> record, in Hash leafHash)
    {
        using var entryDoc = JsonDocument.Parse(LogRecord.Entry(record));
        var priv = LogRecord.Private(record);
        using var privDoc = priv.IsEmpty ? null : JsonDocument.Parse(priv);
        var entry = entryDoc.RootElement;
        var p = privDoc?.RootElement ?? NoPrivate;
        var leafKey = LeafKey(leafHash);
        if (!kv.TryGet(leafKey, out _)) kv.Put(leafKey, new IndexValue(i, 0, 0));
        switch (entry.Str("type"))
        {
            case StampEntry.Type:
                kv.Put(StampKey(entry.Str("id")), new IndexValue(i, 0, 0));
                Hash.TryParseHex(entry.Str("content_hash"), out var contentHash);
                // (earliest index, count, last counted index): counting only above the last counted index makes a
                // re-applied entry a no-op.
                Count(ContentKey(contentHash), i);
                break;
            case AttestationEntries.AttestationType:
                var id = entry.Guid("id");
                var key = AttestationKey(id);
                if (!kv.TryGet(key, out _)) kv.Put(key, new IndexValue(i, 0, 0));
                if (entry.OptStr("supersedes") is { } old && kv.TryGet(AttestationKey(Guid.Parse(old)), out var o))
                    kv.Put(AttestationKey(Guid.Parse(old)), o with { C = i + 1 });
                if (p.OptStr("document_hash") is { } doc)
                {
                    var dk = DocumentKey(doc);
                    if (!kv.TryGet(dk, out var d) || d.A < i) kv.Put(dk, new IndexValue(i, 0, 0));
                }
                // The n-th attestation of a key, so a compromise can count those signed after it; written before the
                // count, so a crash between the two re-writes the same slot.
                var kidCount = KidCountKey(entry.Str("kid"));
                bool counted = kv.TryGet(kidCount, out var kc);
                if (!counted || i > kc.C)
                {
                    long n = counted ? kc.B : 0;
                    kv.Put(KidSeqKey(entry.Str("kid"), n), new IndexValue(i, 0, 0));
                    kv.Put(kidCount, new IndexValue(0, n + 1, i));
                }
                break;
            case Anchor.AnchorEntry.Type:
                Anchor.AnchorLedger.Apply(kv, i, entry);
                break;
            case AttestationEntries.RevocationType:
                var target = AttestationKey(entry.Guid("attestation_id"));
                if (kv.TryGet(target, out var t)) kv.Put(target, t with { B = i + 1 });
                break;
        }
        registry.Apply(i, entry, p);
        if (p.TryGetProperty("idempotency", out var idem))
            kv.Put(IdempotencyKey(idem.Str("scope"), idem.Str("key")), new IndexValue(i, 0, 0));
    }

    /// <summary>(earliest index, count, last counted index) under <paramref name="key"/>.</summary>
    private void Count(IndexKey key, long i)
    {
        if (!kv.TryGet(key, out var c)) kv.Put(key, new IndexValue(i, 1, i));
        else if (i > c.C) kv.Put(key, new IndexValue(c.A, c.B + 1, i));
    }
}
