using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Attest.LogServer.Snapshots;

/// <summary>
/// Where a URL snapshot may connect (server-side request forgery): public unicast addresses on ports 80 and 443,
/// unless <see cref="UrlSnapshotOptions.AllowedHosts"/> names the URL's host (then any address it resolves to) or
/// its host and port. The check is made on the address the fetcher then connects to (<see cref="UrlSnapshotter"/>),
/// never on an earlier resolution, so a name that resolves differently the second time (DNS rebinding) gains nothing.
/// </summary>
public sealed class AddressPolicy
{
    private readonly Dictionary<string, HashSet<int>> allowed;

    private AddressPolicy(Dictionary<string, HashSet<int>> allowed) => this.allowed = allowed;

    public static bool TryCreate(IEnumerable<string> entries, [NotNullWhen(true)] out AddressPolicy? policy, [NotNullWhen(false)] out string? problem)
    {
        policy = null;
        problem = null;
        var allowed = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (string entry in entries)
        {
            if (!TryParseEntry(entry, out string? host, out int? port))
            {
                problem = "each of Attest:Stamps:UrlSnapshots:AllowedHosts must be host or host:port (an IPv6 address in brackets)";
                return false;
            }
            if (!allowed.TryGetValue(host, out var ports)) allowed[host] = ports = [80, 443];
            if (port is { } p) ports.Add(p);
        }
        policy = new AddressPolicy(allowed);
        return true;
    }

    private static bool TryParseEntry(string entry, [NotNullWhen(true)] out string? host, out int? port)
    {
        host = null;
        port = null;
        int colon = entry.StartsWith('[') ? entry.IndexOf("]:", StringComparison.Ordinal) + 1 : entry.IndexOf(':');
        if (colon > 0)
        {
            if (!int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535) return false;
            port = p;
            entry = entry[..colon];
        }
        if (entry.Length == 0 || entry.Contains(':') && !entry.StartsWith('[')) return false;
        if (!Uri.TryCreate("http://" + entry + "/", UriKind.Absolute, out var uri) || uri.PathAndQuery != "/" || uri.UserInfo.Length > 0 || !uri.IsDefaultPort) return false;
        host = HostOf(uri);
        return true;
    }

    /// <summary>The URL's host as the allow-list names it: the ASCII (IDNA) form, lowercase, an IPv6 address without brackets.</summary>
    public static string HostOf(Uri url) => url.IdnHost.Trim('[', ']').ToLowerInvariant();

    /// <summary>Whether the URL's port may be fetched: 80 and 443, and the ports the allow-list names with its host.</summary>
    public bool PortAllowed(Uri url) => url.Port is 80 or 443 || allowed.TryGetValue(HostOf(url), out var ports) && ports.Contains(url.Port);

    /// <summary>Whether a connection for the URL may go to <paramref name="address"/>.</summary>
    public bool AddressAllowed(Uri url, IPAddress address) => IsPublic(address) || allowed.ContainsKey(HostOf(url));

    /// <summary>
    /// A global unicast address: not unspecified, loopback, private (RFC 1918, RFC 4193), shared (CGNAT, RFC 6598),
    /// link-local (cloud metadata at 169.254.169.254 among them), multicast, reserved, documentation or benchmarking;
    /// IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address, Teredo refused.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out int n)) return false;
        if (address.AddressFamily == AddressFamily.InterNetwork) return n == 4 && IsPublicV4(b[..4]);
        if (n != 16) return false;
        if (b[..12].SequenceEqual((ReadOnlySpan<byte>)[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return IsPublicV4(b[12..]); // 64:ff9b::/96
        if ((b[0] & 0xe0) != 0x20) return false; // outside 2000::/3: ::, ::1, fc00::/7, fe80::/10, ff00::/8, IPv4-compatible, …
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false; // 2001:db8::/32 documentation
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) return false; // 2001::/32 Teredo
        if (b[0] == 0x20 && b[1] == 0x02) return IsPublicV4(b.Slice(2, 4)); // 2002::/16 6to4
        return true;
    }

    private static bool IsPublicV4(ReadOnlySpan<byte> b) => !(
        b[0] is 0 or 10 or 127 or >= 224 // this network, private, loopback, multicast, reserved, broadcast
        || b[0] == 100 && (b[1] & 0xc0) == 64 // 100.64.0.0/10 shared (CGNAT)
        || b[0] == 169 && b[1] == 254 // link-local
        || b[0] == 172 && (b[1] & 0xf0) == 16 // 172.16.0.0/12
        || b[0] == 192 && b[1] == 168 // 192.168.0.0/16
        || b[0] == 192 && b[1] == 0 && b[2] is 0 or 2 // IETF protocol assignments, TEST-NET-1
        || b[0] == 198 && (b[1] & 0xfe) == 18 // 198.18.0.0/15 benchmarking
        || b[0] == 198 && b[1] == 51 && b[2] == 100 // TEST-NET-2
        || b[0] == 203 && b[1] == 0 && b[2] == 113); // TEST-NET-3
}
