namespace Attest.Verification;

/// <summary>Strict base64url (RFC 4648 §5): the URL-safe alphabet, no padding, no whitespace, canonical last character.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes text this process wrote itself (a stored key); throws <see cref="FormatException"/> for anything else.</summary>
    public static byte[] Decode(string text) => TryDecode(text, out var bytes) ? bytes : throw new FormatException("not canonical unpadded base64url");

    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 == 1) return false;
        foreach (char c in text)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        string padded = text.Replace('-', '+').Replace('_', '/') + new string('=', (4 - text.Length % 4) % 4);
        try
        {
            bytes = Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return false;
        }
        return Encode(bytes) == text; // canonical: unused bits of the last character are zero
    }
}
