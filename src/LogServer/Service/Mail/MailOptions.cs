using System.Net;

namespace Attest.LogServer.Service.Mail;

/// <summary>
/// The <c>Attest:Mail</c> section: the SMTP server that delivers attestations to holders. Off unless <see cref="Host"/>
/// is set; then a mint with <c>recipient_email</c> is mailed, and without it such a mint is refused (400
/// <c>mail_not_configured</c>) rather than accepted with an address nobody writes to.
/// </summary>
public sealed class MailOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>The sender, a bare address or <c>Name &lt;address&gt;</c>.</summary>
    public string? From { get; set; }

    public string? Username { get; set; }

    /// <summary>A secret: never logged.</summary>
    public string? Password { get; set; }

    /// <summary><c>starttls</c> (required, not opportunistic), <c>tls</c> (TLS from the first byte, port 465) or <c>none</c>.</summary>
    public string Tls { get; set; } = "starttls";

    /// <summary>Attempts before a delivery is given up as <c>failed</c>; a recipient the server refuses (5xx) fails at once.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The wait after the first failed attempt; each later one doubles it, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one SMTP conversation may take before it counts as a failed attempt (<c>timeout</c>).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => Host is { Length: > 0 };

    /// <summary>Checks the section before the server starts; the problem names the setting, never the password.</summary>
    public static bool TryValidate(AttestOptions options, out string? problem)
    {
        var mail = options.Mail;
        problem = null;
        if (!mail.Enabled) return true;
        if (mail.Port is < 1 or > 65535) problem = "Attest:Mail:Port must be between 1 and 65535";
        else if (mail.Tls is not ("starttls" or "tls" or "none")) problem = "Attest:Mail:Tls must be starttls, tls or none";
        else if (mail.From is null || !MimeKit.MailboxAddress.TryParse(mail.From, out _)) problem = "Attest:Mail:From must be the sender's address";
        else if (mail.Username is { Length: > 0 } != mail.Password is { Length: > 0 }) problem = "set both Attest:Mail:Username and Attest:Mail:Password, or neither";
        // A password sent without TLS can be read by anyone on the path to the SMTP server.
        else if (mail.Username is { Length: > 0 } && mail.Tls == "none" && !IsLoopback(mail.Host!))
            problem = "Attest:Mail:Tls none with a Username would send the password in the clear; use starttls or tls";
        else if (mail.MaxAttempts < 1) problem = "Attest:Mail:MaxAttempts must be at least 1";
        else if (mail.FirstRetryDelay <= TimeSpan.Zero || mail.MaxRetryDelay < mail.FirstRetryDelay) problem = "Attest:Mail:FirstRetryDelay must be positive and at most MaxRetryDelay";
        else if (mail.Timeout <= TimeSpan.Zero) problem = "Attest:Mail:Timeout must be positive";
        else if (!Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Query.Length > 0 || url.Fragment.Length > 0)
            problem = "Attest:PublicUrl (the verification page's address, e.g. https://attest.example) must be set to an http(s) URL without query for the links Attest:Mail sends";
        return problem is null;
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
}
