using Attest.LogServer.Storage;

namespace Attest.LogServer.Service.Mail;

/// <summary>
/// The outbox, derived from the log like every index: an attestation whose private data names a mail inbox
/// (<c>mail_inbox</c>, written with the mint in the same record) is the n-th mail to send, and the m-th attestation of
/// that inbox. So a mail exists exactly when its mint is in the log: a kill -9 after the mint was acknowledged finds it
/// again when the indexer re-applies the entry, and a mint that was never committed leaves nothing to send. What was
/// sent is kept apart, in <see cref="DeliveryStore"/>; the address itself is read from the record when the mail goes.
/// </summary>
public static class MailOutbox
{
    /// <summary><see cref="Counter"/> of the mails; n → <see cref="EntryAt"/> the n-th mail's attestation (from 0).</summary>
    public static readonly IndexKey CountKey = IndexKey.For("mail-count", "");

    public static IndexKey SeqKey(long n) => IndexKey.For("mail-seq", n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary><see cref="Counter"/> of an inbox's attestations; (inbox, m) → <see cref="EntryAt"/> its m-th attestation.</summary>
    public static IndexKey InboxCountKey(ReadOnlySpan<byte> inbox) => IndexKey.For("inbox-count", inbox);

    public static IndexKey InboxSeqKey(ReadOnlySpan<byte> inbox, long m)
    {
        Span<byte> key = stackalloc byte[HolderLinks.InboxLength + 8];
        inbox.CopyTo(key);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key[HolderLinks.InboxLength..], m);
        return IndexKey.For("inbox-seq", key);
    }

    /// <summary>Applies the attestation at log index <paramref name="i"/> sent to <paramref name="inboxHex"/>; idempotent per index.</summary>
    public static void Apply(IIndexStore kv, long i, string inboxHex)
    {
        Append(kv, CountKey, SeqKey, i);
        var inbox = Convert.FromHexString(inboxHex);
        Append(kv, InboxCountKey(inbox), m => InboxSeqKey(inbox, m), i);
    }

    // The slot before the count, so a crash between the two re-writes the same slot.
    private static void Append(IIndexStore kv, IndexKey countKey, Func<long, IndexKey> slot, long i)
    {
        kv.TryGet(countKey, out Counter count);
        if (!count.Counts(i)) return;
        kv.Put(slot(count.Count), new EntryAt(i));
        kv.Put(countKey, count.With(i));
    }
}
