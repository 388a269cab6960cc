using System.Diagnostics.CodeAnalysis;
using Attest.LogServer.Anchor;
using Attest.LogServer.Api;
using Attest.LogServer.Service;
using Attest.LogServer.Witnessing;

namespace Attest.LogServer.Hosting;

/// <summary>
/// The server's settings (configuration section <c>Attest</c>) with the parts that need checking already parsed:
/// the anchorer's node and key, and the witnesses (each null when not configured).
/// </summary>
public sealed record AttestSettings(AttestOptions Options, AnchorSetup? Anchor, WitnessSetup? Witnesses)
{
    /// <summary>
    /// Reads and checks every setting before anything starts, so that a bad one stops the server before it creates a
    /// file or opens a port. The problem names the setting, never a secret value.
    /// </summary>
    public static bool TryRead(IConfiguration configuration, [NotNullWhen(true)] out AttestSettings? settings, out string? problem)
    {
        settings = null;
        var options = configuration.GetSection("Attest").Get<AttestOptions>() ?? new AttestOptions();
        if (!AnchorSetup.TryCreate(options.Anchor, out var anchor, out problem)
            || !WitnessSetup.TryCreate(options, out var witnesses, out problem)
            || !WebPage.TryValidate(options.Web, out problem)
            || !options.Limits.TryValidate(out problem)
            || !options.Credits.TryValidate(out problem)
            || !KeyVault.TryValidate(options, out problem)
            || !options.Stamps.UrlSnapshots.TryValidate(out problem)
            || !Service.Mail.MailOptions.TryValidate(options, out problem))
            return false;
        settings = new AttestSettings(options, anchor, witnesses);
        return true;
    }
}
