using System.Text.Json;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using MimeKit;

namespace Attest.LogServer.Service.Mail;

/// <summary>
/// Delivers mailed attestations to their holders, after their mint was acknowledged and apart from it: a mint only
/// appends its record (with <c>recipient_email</c> and <c>mail_inbox</c> in its private data), the indexer adds it to
/// the <see cref="MailOutbox"/>, and this loop sends what the outbox holds, retrying with backoff and recording each
/// attempt in the <see cref="DeliveryStore"/>. So a slow or absent SMTP server never delays or fails a mint. Logs name
/// the attestation id (public) and a failure class, never the address or a token.
/// </summary>
public sealed class MailDelivery(
    AttestOptions options, IIndexStore index, TransparencyLog log, Registry registry, HolderLinks links, DeliveryStore store, MailSender sender,
    TimeProvider time, ILogger<MailDelivery> logger) : BackgroundService
{
    private readonly MailOptions mail = options.Mail;
    private readonly SemaphoreSlim wake = new(0, 1);

    public bool Enabled => mail.Enabled;

    /// <summary>Refuses a <c>recipient_email</c> that nothing would deliver: 400 rather than an address kept for nothing.</summary>
    public void RequireEnabled()
    {
        if (!mail.Enabled)
            throw DomainError.Invalid("mail_not_configured", "this server does not send e-mail (Attest:Mail:Host is not set); leave out recipient_email and give the holder the holder_token yourself");
    }

    /// <summary>The inbox (hex) a mint with this address records in its private data.</summary>
    public string InboxOf(string recipientEmail) => Convert.ToHexStringLower(links.Inbox(EmailAddress.Normalize(recipientEmail)));

    public string HolderToken(Guid attestationId) => links.HolderToken(attestationId);

    /// <summary>Called once a mailed mint is acknowledged, so its mail goes now rather than at the next poll.</summary>
    public void Wake()
    {
        try { if (wake.CurrentCount == 0) wake.Release(); }
        catch (SemaphoreFullException) { } // another caller woke it first
    }

    private sealed record Item(long Seq, Guid Id, long EntryIndex, DeliveryStatus Status, DateTimeOffset Due);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (!mail.Enabled) return;
        long cursor = store.ReadCursor(), next = cursor;
        var pending = new List<Item>();
        // While the SMTP server itself fails (down, TLS, credentials), one mail at a time tries it, on that mail's backoff;
        // the others wait rather than each spending a timeout on it.
        var serverRetryAt = DateTimeOffset.MinValue;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                index.TryGet(MailOutbox.CountKey, out Counter count);
                for (; next < count.Count && index.TryGet(MailOutbox.SeqKey(next), out EntryAt at); next++)
                {
                    var id = AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(at.Index, stop))).Id;
                    var status = store.Read(id);
                    if (!status.Final) pending.Add(new Item(next, id, at.Index, status, Due(status)));
                }
                for (int k = 0; k < pending.Count && serverRetryAt <= time.GetUtcNow(); k++)
                {
                    if (pending[k].Due > time.GetUtcNow()) continue;
                    var (item, serverWide) = await Attempt(pending[k], stop);
                    pending[k] = item;
                    if (serverWide) serverRetryAt = item.Due;
                    if (item.Status.Final) pending.RemoveAt(k--);
                }
                long lowest = pending.Count > 0 ? pending.Min(p => p.Seq) : next;
                if (lowest != cursor) store.WriteCursor(cursor = lowest);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // A storage problem here must not end delivery for good; the next round tries again.
                logger.LogError("Mail delivery round failed: {Error}", e.GetType().Name);
            }
            var wait = pending.Count == 0 ? TimeSpan.FromSeconds(1) : Max(serverRetryAt, pending.Min(p => p.Due)) - time.GetUtcNow();
            wait = TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds, 10, 1000));
            try { await wake.WaitAsync(wait, stop); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private DateTimeOffset Due(DeliveryStatus status) =>
        status.NextAttemptAt is { } at && DateTimeOffset.TryParse(at, out var due) ? due : time.GetUtcNow();

    private async Task<(Item Item, bool ServerWide)> Attempt(Item item, CancellationToken stop)
    {
        var record = await log.ReadRecordAsync(item.EntryIndex, stop);
        var entry = AttestationEntry.Parse(LogRecord.Entry(record));
        var p = AttestationService.PrivateOf(record);
        var message = Message(entry, p.Str("recipient_email"), p.Str("mail_inbox"));
        var failure = await sender.Send(message, stop);
        int attempts = item.Status.Attempts + 1;
        string now = StampService.Timestamp(time.GetUtcNow());
        DeliveryStatus status;
        if (failure is null)
        {
            status = new DeliveryStatus(DeliveryStatus.Sent, attempts, null, now, null);
            logger.LogInformation("Mailed attestation {Id} to its holder (attempt {Attempts})", entry.Id, attempts);
        }
        else if (failure.Value.Permanent || attempts >= mail.MaxAttempts)
        {
            status = new DeliveryStatus(DeliveryStatus.Failed, attempts, failure.Value.Class, now, null);
            logger.LogWarning("Gave up mailing attestation {Id} after {Attempts} attempts: {Error}", entry.Id, attempts, failure.Value.Class);
        }
        else
        {
            var delay = TimeSpan.FromTicks(Math.Min(mail.MaxRetryDelay.Ticks, mail.FirstRetryDelay.Ticks * (1L << Math.Min(attempts - 1, 30))));
            var due = time.GetUtcNow() + delay;
            status = new DeliveryStatus(DeliveryStatus.Pending, attempts, failure.Value.Class, now, StampService.Timestamp(due));
            logger.LogWarning("Mailing attestation {Id} failed ({Error}, attempt {Attempts}); retrying in {Delay}", entry.Id, failure.Value.Class, attempts, delay);
        }
        store.Write(entry.Id, status);
        return (item with { Status = status, Due = Due(status) }, failure is { ServerWide: true });
    }

    private MimeMessage Message(AttestationEntry entry, string recipientEmail, string inboxHex)
    {
        string issuer = registry.Issuer(entry.IssuerId)?.Name ?? entry.IssuerId.ToString();
        string baseUrl = options.PublicUrl!.TrimEnd('/');
        string view = $"{baseUrl}/?attestation={entry.Id}&holder_token={links.HolderToken(entry.Id)}";
        string inbox = $"{baseUrl}/?holder_inbox={links.InboxToken(Convert.FromHexString(inboxHex))}";
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(mail.From!));
        message.To.Add(new MailboxAddress("", recipientEmail));
        message.Subject = $"An attestation from {issuer}";
        message.Headers.Add("X-Attest-Attestation", entry.Id.ToString());
        message.Body = new TextPart("plain")
        {
            Text = $"""
                {issuer} has issued you an attestation ({entry.Schema}), recorded in a public transparency log.

                View it, with every check of its signature and its place in the log:
                {view}

                Anyone who has this link can read the attestation: share it only with those who should.

                Every attestation sent to this address, from any issuer:
                {inbox}

                Keep this second link to yourself.
                """,
        };
        return message;
    }
}
