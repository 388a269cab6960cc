using System.Diagnostics.CodeAnalysis;

namespace Attest.LogServer.Snapshots;

/// <summary>
/// The <c>Attest:Stamps:UrlSnapshots</c> section: whether a <c>content_type: "url"</c> stamp fetches its page and
/// logs the snapshot's SHA-256 (docs/SECURITY.md "URL snapshots"). Off by default: fetching makes the server a client
/// of whatever URL an API key names.
/// </summary>
public sealed class UrlSnapshotOptions
{
    public bool Enabled { get; set; }

    /// <summary>Largest snapshot; a larger page is refused (never truncated) while it is read.</summary>
    public long MaxBytes { get; set; } = 5_000_000;

    /// <summary>The whole fetch (resolution, connection, redirects, the body) must end within this.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Redirects followed, each checked as the first URL is.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Fetches at once, across all callers (and one per API key); more get 429 <c>rate_limited</c>, so slow pages cannot hold every connection and buffer.</summary>
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>
    /// Hosts that may be fetched although they are, or resolve to, loopback, private, link-local or other non-public
    /// addresses: <c>host</c> or <c>host:port</c> (a name, an IPv4 address or a bracketed IPv6 address), the port
    /// allowed besides 80 and 443.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    public bool TryValidate([NotNullWhen(false)] out string? problem)
    {
        problem = null;
        if (MaxBytes is < 1 or > 50_000_000) problem = "Attest:Stamps:UrlSnapshots:MaxBytes must be 1 to 50000000";
        else if (TimeoutSeconds is < 1 or > 300) problem = "Attest:Stamps:UrlSnapshots:TimeoutSeconds must be 1 to 300";
        else if (MaxRedirects is < 0 or > 20) problem = "Attest:Stamps:UrlSnapshots:MaxRedirects must be 0 to 20";
        else if (MaxConcurrent is < 1 or > 1000) problem = "Attest:Stamps:UrlSnapshots:MaxConcurrent must be 1 to 1000";
        else AddressPolicy.TryCreate(AllowedHosts, out _, out problem);
        return problem is null;
    }
}
