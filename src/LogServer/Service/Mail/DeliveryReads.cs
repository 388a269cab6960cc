using Attest.LogServer.Api;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service.Mail;

/// <summary>An attestation's delivery by e-mail, for its issuer: never the address.</summary>
public sealed record DeliveryView(Guid AttestationId, string Channel, string Status, int Attempts, string? LastError, string? UpdatedAt, string? NextAttemptAt);

/// <summary>One attestation in a holder's inbox, with the holder token that opens it.</summary>
public sealed record InboxItem(Guid Id, Guid IssuerId, string? IssuerName, string Schema, string Status, string CreatedAt, long LogIndex, string HolderToken);

/// <summary>
/// The reads of mail delivery: an attestation's delivery status (its issuer's keys and the admin only), and a holder's
/// inbox, every attestation mailed to one address, for the bearer of that address's inbox token (docs/SECURITY.md).
/// </summary>
public sealed class DeliveryReads(AttestationService attestations, IIndexStore index, TransparencyLog log, Registry registry, HolderLinks links, DeliveryStore store)
{
    public async Task<DeliveryView> Status(Principal caller, Guid id, CancellationToken token)
    {
        var attestation = await attestations.Find(id, token);
        caller.RequireIssuer(attestation.IssuerId);
        var p = AttestationService.PrivateOf(await log.ReadRecordAsync(attestation.LogIndex, token));
        if (p.OptStr("mail_inbox") is null) throw new DomainError(ErrorKind.NotFound, "not_mailed", $"attestation {id} was not sent by e-mail (it had no recipient_email)");
        var s = store.Read(id);
        return new DeliveryView(id, "email", s.Status, s.Attempts, s.LastError, s.UpdatedAt, s.NextAttemptAt);
    }

    public async Task<Page<InboxItem>> Inbox(string? inboxToken, PageRequest page, CancellationToken token)
    {
        if (inboxToken is null)
            throw new DomainError(ErrorKind.Unauthenticated, "missing_holder_token", "send the inbox token of your mails (attest_inbox_…) as X-Holder-Token");
        if (!links.TryOpenInbox(inboxToken, out var inbox))
            throw new DomainError(ErrorKind.PermissionDenied, "forbidden", "that is not an inbox token of this server");
        var entries = page.Take(Entries(inbox), i => i);
        var items = new List<InboxItem>(entries.Items.Count);
        foreach (long i in entries.Items)
        {
            var id = AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(i, token))).Id;
            var a = await attestations.Find(id, token);
            items.Add(new InboxItem(a.Id, a.IssuerId, registry.Issuer(a.IssuerId)?.Name, a.Schema, a.Status, a.CreatedAt, a.LogIndex, links.HolderToken(a.Id)));
        }
        return new Page<InboxItem>(items, entries.NextCursor);
    }

    private IEnumerable<long> Entries(byte[] inbox)
    {
        index.TryGet(MailOutbox.InboxCountKey(inbox), out Counter count);
        for (long m = 0; m < count.Count && index.TryGet(MailOutbox.InboxSeqKey(inbox, m), out EntryAt at); m++) yield return at.Index;
    }
}
