using System.CommandLine;
using System.Security.Cryptography;
using Attest.Merkle;

namespace Attest.Cli;

public static class ExitCodes
{
    /// <summary>Everything checked out.</summary>
    public const int Ok = 0;

    /// <summary>A check failed, the log is inconsistent, or the server refused the request.</summary>
    public const int Failed = 1;

    /// <summary>Unusable input: bad arguments, unreadable or malformed files, keys that do not parse.</summary>
    public const int Usage = 2;

    /// <summary>The server or the node could not be reached, or answered with something that is not its protocol.</summary>
    public const int Unavailable = 3;
}

/// <summary>A problem with what the user gave us: reported as "error: …" with <see cref="ExitCodes.Usage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A server or node that cannot be reached or does not speak its protocol: <see cref="ExitCodes.Unavailable"/>.</summary>
public sealed class UnavailableException(string message) : Exception(message);

internal static class Common
{
    public const string ApiKeyVariable = "ATTEST_API_KEY";
    public const string UrlVariable = "ATTEST_URL";

    /// <summary>
    /// Untrusted text for a terminal (a bundle's, a log's or a server's words, also when an error message quotes them):
    /// every control, format (bidi overrides and isolates, zero-width) and line or paragraph separator character as
    /// <c>\uXXXX</c>, so that none moves the cursor, rewrites a line, sets the clipboard or reorders what follows.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(MustEscape)) return text;
        var sb = new System.Text.StringBuilder(text.Length + 16);
        foreach (char ch in text)
        {
            if (MustEscape(ch)) sb.Append($"\\u{(int)ch:x4}");
            else sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>A control, format or separator character, which <see cref="Printable"/> escapes.</summary>
    public static bool MustEscape(char ch) => char.GetUnicodeCategory(ch) is System.Globalization.UnicodeCategory.Control
        or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator;

    /// <summary>Runs a command body, mapping the documented exceptions to "error: …" on stderr and an exit code.</summary>
    public static async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("error: " + Printable(e.Message));
            return ExitCodes.Usage;
        }
        catch (UnavailableException e)
        {
            Console.Error.WriteLine("error: " + Printable(e.Message));
            return ExitCodes.Unavailable;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted");
            return ExitCodes.Failed;
        }
    }

    /// <summary>A C2SP signed-note verifier key given inline (<c>name+id+base64</c>) or as the path of a file holding one.</summary>
    public static NoteVerifier LogKey(string text, string option = "--log-key")
    {
        string value = text.Trim();
        if (!NoteVerifier.TryParse(value, out var key) && File.Exists(text))
        {
            var info = new FileInfo(text);
            if (info.Length > 4096) throw new UsageException($"{option}: {text} is too large to be a verifier key");
            value = File.ReadAllText(text).Trim();
            if (value.StartsWith("PRIVATE+KEY+", StringComparison.Ordinal)) throw new UsageException($"{option}: {text} holds a private key; give the verifier key (the .vkey file)");
            NoteVerifier.TryParse(value, out key);
        }
        return key ?? throw new UsageException($"{option} is not a C2SP signed-note verifier key (name+hex8+base64(0x01||pubkey)), nor a file holding one");
    }

    /// <summary>SHA-256 of a file, read in a stream (any size).</summary>
    public static Hash Sha256File(string path, string option)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return new Hash(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot read {path}: {e.Message}");
        }
    }

    /// <summary>The server's base URL from <c>--url</c> or <see cref="UrlVariable"/>, ending in '/' so relative paths append.</summary>
    public static Uri BaseUrl(string? url)
    {
        url ??= Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrEmpty(url)) throw new UsageException($"give the server with --url or {UrlVariable}");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new UsageException($"--url \"{url}\" is not an http(s) URL without query");
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>The API key from <see cref="ApiKeyVariable"/>: never a flag, so it stays out of shell history and process lists.</summary>
    public static string ApiKey()
    {
        string? key = Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(key)) throw new UsageException($"set the API key in the environment variable {ApiKeyVariable}");
        return key.Trim();
    }

    public static HttpClient Http(TimeSpan timeout) => new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = timeout };

    public static Option<string?> UrlOption() => new("--url")
    {
        Description = $"the server's base URL, e.g. http://localhost:5000 (default: ${UrlVariable})",
    };
}
