namespace Attest.LogServer.Commands;

/// <summary>
/// The one e-mail address form a mint accepts: a bare <c>local@domain</c> (RFC 5321 §4.1.2 dot-atom local part, and a
/// DNS host name), ASCII only, at most 64 + 1 + 253 = 254 characters. Stricter than RFC 5322 on purpose: no display
/// name, quoted string, comment, IP literal or whitespace, so the address is also a safe SMTP envelope and header.
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254, MaxLocalLength = 64;

    public static bool IsValid(string address)
    {
        if (address.Length > MaxLength) return false;
        int at = address.IndexOf('@');
        if (at < 1 || at > MaxLocalLength || at != address.LastIndexOf('@')) return false;
        return IsDotAtom(address.AsSpan(0, at)) && IsHostName(address.AsSpan(at + 1));
    }

    /// <summary>The address's key for grouping a holder's attestations: case does not tell two real mailboxes apart.</summary>
    public static string Normalize(string address) => address.ToLowerInvariant();

    private static bool IsDotAtom(ReadOnlySpan<char> local)
    {
        if (local.IsEmpty || local[0] == '.' || local[^1] == '.') return false;
        for (int i = 0; i < local.Length; i++)
        {
            char c = local[i];
            if (c == '.' ? local[i - 1] == '.' : !(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c))) return false;
        }
        return true;
    }

    private static bool IsHostName(ReadOnlySpan<char> domain)
    {
        if (domain.Length is 0 or > 253) return false;
        int labels = 0;
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label) if (!char.IsAsciiLetterOrDigit(c) && c != '-') return false;
            labels++;
        }
        // A top-level label of digits only would be an IPv4 address, not a host name.
        var last = domain[(domain.LastIndexOf('.') + 1)..];
        return labels >= 2 && last.ContainsAnyExcept("0123456789");
    }
}
