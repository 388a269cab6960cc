using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Attest.LogServer.Service.Mail;

/// <summary>Why an attempt to hand a mail to the SMTP server failed: a class, whether retrying can help, and whether it is the server's (every mail would fail now).</summary>
public readonly record struct SendFailure(string Class, bool Permanent, bool ServerWide);

/// <summary>One SMTP conversation per mail, with MailKit, under <see cref="MailOptions"/>.</summary>
public sealed class MailSender(MailOptions options)
{
    public async Task<SendFailure?> Send(MimeMessage message, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(options.Timeout);
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        try
        {
            var tls = options.Tls switch { "tls" => SecureSocketOptions.SslOnConnect, "none" => SecureSocketOptions.None, _ => SecureSocketOptions.StartTls };
            await client.ConnectAsync(options.Host!, options.Port, tls, timeout.Token);
            if (options.Username is { Length: > 0 } user) await client.AuthenticateAsync(user, options.Password!, timeout.Token);
            await client.SendAsync(message, timeout.Token);
            await client.DisconnectAsync(true, timeout.Token);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            return Classify(e);
        }
    }

    // A class, never the exception's text: an SMTP server's reply often quotes the recipient's address.
    private static SendFailure Classify(Exception e) => e switch
    {
        SmtpCommandException { ErrorCode: SmtpErrorCode.RecipientNotAccepted } c => new("recipient_rejected", (int)c.StatusCode >= 500, false),
        SmtpCommandException { ErrorCode: SmtpErrorCode.MessageNotAccepted } c => new("message_rejected", (int)c.StatusCode >= 500, false),
        SmtpCommandException { ErrorCode: SmtpErrorCode.SenderNotAccepted } => new("sender_rejected", false, true),
        SmtpCommandException => new("smtp_error", false, false),
        AuthenticationException => new("auth_failed", false, true),
        SslHandshakeException => new("tls_failed", false, true),
        NotSupportedException => new("tls_unavailable", false, true),
        SocketException => new("connect_failed", false, true),
        OperationCanceledException or TimeoutException => new("timeout", false, true),
        SmtpProtocolException or IOException or ServiceNotConnectedException => new("connection_lost", false, true),
        _ => new("error", false, false),
    };
}
