using System.Diagnostics.CodeAnalysis;

namespace Attest.LogServer.Commands;

/// <summary>
/// An http(s) URL as a <c>content_type: "url"</c> stamp takes it, and as every redirect of its snapshot must be:
/// absolute, <c>http</c> or <c>https</c>, with a host, without credentials (they would be logged by hash and sent to
/// whoever serves the page), at most <see cref="MaxLength"/> characters, no whitespace, controls or backslashes
/// (which browsers and <see cref="Uri"/> read in different ways).
/// </summary>
public static class HttpUrl
{
    public const int MaxLength = 2048;

    public static bool TryParse(string text, [NotNullWhen(true)] out Uri? url, [NotNullWhen(false)] out string? problem)
    {
        url = null;
        problem = Problem(text, out var parsed);
        if (problem is not null) return false;
        url = parsed!;
        return true;
    }

    private static string? Problem(string text, out Uri? url)
    {
        url = null;
        if (text.Length > MaxLength) return $"the URL is longer than {MaxLength} characters";
        if (!text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return "the URL must start with http:// or https://";
        foreach (char c in text)
            if (c <= ' ' || char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\')
                return "the URL holds whitespace, a control character or a backslash";
        if (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("http" or "https") || url.IdnHost.Length == 0)
            return "the URL is not an absolute http(s) URL with a host";
        // The authority ends at the first '/', '?' or '#' after "//"; an '@' in it is user information, even an empty one.
        int start = text.IndexOf("//", StringComparison.Ordinal) + 2;
        int end = text.IndexOfAny(['/', '?', '#'], start);
        if (text.AsSpan(start, (end < 0 ? text.Length : end) - start).Contains('@') || url.UserInfo.Length > 0)
            return "the URL must not hold credentials (user:password@)";
        return null;
    }
}
