using System.Text.Json;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service.Mail;

/// <summary>One attestation's delivery, as its issuer reads it: <c>pending</c>, <c>sent</c> or <c>failed</c>.</summary>
/// <param name="LastError">The class of the last failure (<c>connect_failed</c>, <c>timeout</c>, <c>recipient_rejected</c>, …), never the server's text, which may quote the address.</param>
public sealed record DeliveryStatus(string Status, int Attempts, string? LastError, string? UpdatedAt, string? NextAttemptAt)
{
    public const string Pending = "pending", Sent = "sent", Failed = "failed";

    public static readonly DeliveryStatus New = new(Pending, 0, null, null, null);

    [System.Text.Json.Serialization.JsonIgnore]
    public bool Final => Status != Pending;
}

/// <summary>
/// The delivery status of each mailed attestation, one small file each in <c>&lt;DataDir&gt;/mail/</c>, replaced
/// durably at every change (<see cref="DurableFile"/>). It holds neither the address nor a token. A mail accepted by the
/// SMTP server just before a crash, whose <c>sent</c> was not yet written, is sent again after the restart: delivery is
/// at least once. The file of the outbox's cursor (every mail below it is final) spares a restart the walk over them.
/// </summary>
public sealed class DeliveryStore
{
    private readonly string dir;

    public DeliveryStore(AttestOptions options)
    {
        dir = Path.Combine(options.DataDir, "mail");
        Directory.CreateDirectory(dir);
    }

    public DeliveryStatus Read(Guid attestationId)
    {
        string path = PathOf(attestationId);
        if (!File.Exists(path)) return DeliveryStatus.New;
        return JsonSerializer.Deserialize<DeliveryStatus>(File.ReadAllBytes(path), Api.Json.Options) ?? DeliveryStatus.New;
    }

    public void Write(Guid attestationId, DeliveryStatus status) =>
        DurableFile.Write(PathOf(attestationId), JsonSerializer.SerializeToUtf8Bytes(status, Api.Json.Options));

    public long ReadCursor()
    {
        string path = Path.Combine(dir, "cursor");
        return File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), out long n) && n >= 0 ? n : 0;
    }

    public void WriteCursor(long n) => DurableFile.Write(Path.Combine(dir, "cursor"), System.Text.Encoding.ASCII.GetBytes(n + "\n"));

    private string PathOf(Guid id) => Path.Combine(dir, id.ToString("N") + ".json");
}
