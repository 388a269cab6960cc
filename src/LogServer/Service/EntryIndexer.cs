using System.Text.Json;
using Attest.LogServer.Entries;
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
    /// <summary>
    /// Version of the keys below and of their values' encodings (<see cref="IIndexRecord{TSelf}"/>); a change makes
    /// every existing index rebuild (1: leaf-hash keys added).
    /// </summary>
    public const long Schema = 1;

    private static readonly JsonElement NoPrivate = JsonDocument.Parse("{}").RootElement;

    public long AppliedUpTo => Math.Min(kv.AppliedUpTo, registry.AppliedUpTo);

    public async Task Checkpoint(long appliedUpTo)
    {
        registry.Save(registryPath, appliedUpTo);
        await kv.Checkpoint(appliedUpTo);
    }

    /// <summary>Stamp id → <see cref="EntryAt"/> its entry.</summary>
    public static IndexKey StampKey(string id) => IndexKey.For("stamp-id", id);

    /// <summary>Stamp id → <see cref="EntryAt"/> the <c>stamp-reveal/v1</c> entry that revealed it (a stamp is revealed once).</summary>
    public static IndexKey RevealKey(string stampId) => IndexKey.For("stamp-reveal", stampId);

    /// <summary>Content hash → <see cref="ContentStamps"/>, the earliest stamp of that hash and their count.</summary>
    public static IndexKey ContentKey(in Hash contentHash) => IndexKey.For("content-hash", contentHash.Bytes);

    /// <summary>RFC 6962 leaf hash → <see cref="EntryAt"/> the first entry with that leaf (entries carry unique ids, so the only one).</summary>
    public static IndexKey LeafKey(in Hash leaf) => IndexKey.For("leaf-hash", leaf.Bytes);

    /// <summary>(Scope, idempotency key) → <see cref="EntryAt"/> the entry that request appended.</summary>
    public static IndexKey IdempotencyKey(string scope, string key) => IndexKey.For("idempotency", scope + "\n" + key);

    /// <summary>Attestation id → <see cref="AttestationState"/>: its entry, its revocation's and its superseding attestation's.</summary>
    public static IndexKey AttestationKey(Guid id) => IndexKey.For("attestation-id", id.ToString());

    /// <summary>Document hash → <see cref="EntryAt"/> the latest attestation of that document.</summary>
    public static IndexKey DocumentKey(string documentHash) => IndexKey.For("document-hash", documentHash);

    /// <summary>Key id → <see cref="Counter"/> of the attestations it signed; (key id, n) → <see cref="EntryAt"/> its n-th attestation (from 0).</summary>
    public static IndexKey KidCountKey(string kid) => IndexKey.For("kid-count", kid);

    public static IndexKey KidSeqKey(string kid, long n) => IndexKey.For("kid-seq", kid + "\n" + n);

    /// <summary>
    /// SCITT entry id (the statement's leaf hash) → <see cref="EntryAt"/> the Signed Statement's entry (its first, should
    /// the same bytes ever be logged twice); only statements have one, so <c>GET /entries/{id}</c> finds nothing else.
    /// </summary>
    public static IndexKey StatementKey(in Hash leaf) => IndexKey.For("statement", leaf.Bytes);

    public void Apply(long i, ReadOnlyMemory<byte> record, in Hash leafHash)
    {
        if (Entry.IsStatement(LogRecord.Entry(record).Span))
        {
            ApplyStatement(i, record, leafHash);
            return;
        }
        using var entryDoc = JsonDocument.Parse(LogRecord.Entry(record));
        var priv = LogRecord.Private(record);
        using var privDoc = priv.IsEmpty ? null : JsonDocument.Parse(priv);
        var entry = entryDoc.RootElement;
        var p = privDoc?.RootElement ?? NoPrivate;
        var leafKey = LeafKey(leafHash);
        if (!kv.TryGet(leafKey, out EntryAt _)) kv.Put(leafKey, new EntryAt(i));
        switch (Entry.TypeOf(entry))
        {
            case StampEntry.Type:
                var stamp = StampEntry.Parse(entry);
                kv.Put(StampKey(stamp.Id), new EntryAt(i));
                // Counting only above the last counted index makes a re-applied entry a no-op.
                var contentKey = ContentKey(stamp.ContentHash);
                if (!kv.TryGet(contentKey, out ContentStamps stamps)) kv.Put(contentKey, new ContentStamps(i, new Counter(1, i)));
                else if (stamps.Stamps.Counts(i)) kv.Put(contentKey, stamps with { Stamps = stamps.Stamps.With(i) });
                break;
            case AttestationEntry.Type:
                var attestation = AttestationEntry.Parse(entry);
                var key = AttestationKey(attestation.Id);
                if (!kv.TryGet(key, out AttestationState _)) kv.Put(key, new AttestationState(i, null, null));
                if (attestation.Supersedes is { } old && kv.TryGet(AttestationKey(old), out AttestationState o))
                    kv.Put(AttestationKey(old), o with { SupersededByIndex = i });
                if (p.OptStr("document_hash") is { } doc)
                {
                    var dk = DocumentKey(doc);
                    if (!kv.TryGet(dk, out EntryAt d) || d.Index < i) kv.Put(dk, new EntryAt(i));
                }
                // The n-th attestation of a key, so a compromise can count those signed after it; written before the
                // count, so a crash between the two re-writes the same slot.
                var kidCount = KidCountKey(attestation.Kid);
                kv.TryGet(kidCount, out Counter signed);
                if (signed.Counts(i))
                {
                    kv.Put(KidSeqKey(attestation.Kid, signed.Count), new EntryAt(i));
                    kv.Put(kidCount, signed.With(i));
                }
                registry.Apply(i, attestation, p);
                if (p.OptStr("mail_inbox") is { } inbox) Mail.MailOutbox.Apply(kv, i, inbox);
                break;
            case RevocationEntry.Type:
                var target = AttestationKey(RevocationEntry.Parse(entry).AttestationId);
                if (kv.TryGet(target, out AttestationState t)) kv.Put(target, t with { RevocationIndex = i });
                break;
            case StampRevealEntry.Type:
                var revealKey = RevealKey(StampRevealEntry.Parse(entry).StampId);
                if (!kv.TryGet(revealKey, out EntryAt _)) kv.Put(revealKey, new EntryAt(i));
                break;
            case AnchorEntry.Type:
                Anchor.AnchorLedger.Apply(kv, i, AnchorEntry.Parse(entry));
                break;
            case IssuerEntry.Type:
                registry.Apply(i, IssuerEntry.Parse(entry));
                break;
            case KeyEntry.Type:
                registry.Apply(i, KeyEntry.Parse(entry), p);
                break;
            case ApiKeyEntry.Type:
                registry.Apply(i, ApiKeyEntry.Parse(entry), p);
                break;
            case PackEntry.Type:
                registry.Apply(i, PackEntry.Parse(entry), p);
                break;
        }
        // A write paid for with credits carries its charge (CreditCharge); until some key has a balance, none can.
        if (registry.AnyCredits && p.TryGetProperty("charge", out var charge)) registry.ApplyCharge(i, charge);
        if (p.TryGetProperty("idempotency", out var idem))
            kv.Put(IdempotencyKey(idem.Str("scope"), idem.Str("key")), new EntryAt(i));
    }

    /// <summary>
    /// A Signed Statement is indexed by its leaf hash alone, without parsing it: whatever the bytes hold, and whether or
    /// not today's policy would register them (keys change; the log is what it is), nothing here can fail on them.
    /// </summary>
    private void ApplyStatement(long i, ReadOnlyMemory<byte> record, in Hash leafHash)
    {
        var leafKey = LeafKey(leafHash);
        if (!kv.TryGet(leafKey, out EntryAt _)) kv.Put(leafKey, new EntryAt(i));
        var statementKey = StatementKey(leafHash);
        if (!kv.TryGet(statementKey, out EntryAt _)) kv.Put(statementKey, new EntryAt(i));
        // The private side is this server's own JSON: a registration paid for with credits carries its charge there.
        var priv = LogRecord.Private(record);
        if (!registry.AnyCredits || priv.IsEmpty) return;
        using var privDoc = JsonDocument.Parse(priv);
        if (privDoc.RootElement.TryGetProperty("charge", out var charge)) registry.ApplyCharge(i, charge);
    }
}
