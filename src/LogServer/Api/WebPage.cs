using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// The verification page at <c>/</c> and its modules under <c>/web/</c>: files embedded in this assembly (from
/// <c>Web/</c>), served as they are, with a Content-Security-Policy that allows only this origin's scripts, styles
/// and fetches, so a hostile bundle or entry shown on the page can run nothing.
/// </summary>
public static class WebPage
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new()
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8", [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    private sealed record WebFile(byte[] Body, string ContentType, string ETag);

    /// <summary>
    /// Checks <c>Attest:Web:ExplorerTxUrl</c>: an absolute http(s) URL with a <c>{tx_hash}</c> placeholder (and
    /// optionally <c>{chain_id}</c>), or nothing.
    /// </summary>
    public static bool TryValidate(WebOptions options, out string? problem)
    {
        problem = null;
        if (options.ExplorerTxUrl is not { Length: > 0 } t) return true;
        string sample = t.Replace("{tx_hash}", "0x00").Replace("{chain_id}", "1");
        if (!t.Contains("{tx_hash}", StringComparison.Ordinal) || !Uri.TryCreate(sample, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            problem = "Attest:Web:ExplorerTxUrl must be an absolute http(s) URL holding {tx_hash} (and optionally {chain_id})";
        return problem is null;
    }

    public static void MapWebPage(this WebApplication app, WebOptions options)
    {
        var files = Load(options);
        app.MapGet("/", (HttpContext context) => Serve(context, files["index.html"])).ExcludeFromDescription();
        app.MapGet("/web/{name}", (string name, HttpContext context) =>
            files.TryGetValue(name, out var file) ? Serve(context, file) : throw DomainError.NotFound($"no such file: /web/{name}")).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, WebFile file)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidated on every load, so a new server version's page and modules are never mixed with old ones.
        headers.CacheControl = "no-cache";
        headers.ETag = file.ETag;
        if (context.Request.Headers.IfNoneMatch == file.ETag) return Results.StatusCode(304);
        return Results.Bytes(file.Body, file.ContentType);
    }

    private static Dictionary<string, WebFile> Load(WebOptions options)
    {
        var assembly = typeof(WebPage).Assembly;
        var files = new Dictionary<string, WebFile>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith("web/", StringComparison.Ordinal)))
        {
            string name = resource["web/".Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] body = buffer.ToArray();
            if (name == "index.html") body = WithExplorer(body, options.ExplorerTxUrl);
            string type = ContentTypes.TryGetValue(Path.GetExtension(name), out var t) ? t : throw new System.Diagnostics.UnreachableException($"embedded web file {name} has no content type");
            files[name] = new WebFile(body, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..32] + "\"");
        }
        if (!files.ContainsKey("index.html")) throw new System.Diagnostics.UnreachableException("the page index.html is not embedded");
        return files;
    }

    /// <summary>The operator's explorer URL template goes into the page's meta tag, HTML-attribute-encoded.</summary>
    private static byte[] WithExplorer(byte[] page, string? template)
    {
        const string Empty = "<meta name=\"attest-explorer-tx-url\" content=\"\">";
        string html = Encoding.UTF8.GetString(page);
        if (!html.Contains(Empty, StringComparison.Ordinal)) throw new System.Diagnostics.UnreachableException("index.html lost its explorer meta tag");
        if (template is not { Length: > 0 }) return page;
        return Encoding.UTF8.GetBytes(html.Replace(Empty, $"<meta name=\"attest-explorer-tx-url\" content=\"{HtmlEncoder.Default.Encode(template)}\">"));
    }
}
