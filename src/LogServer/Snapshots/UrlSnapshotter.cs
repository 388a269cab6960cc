using System.Net;
using System.Net.Sockets;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;

namespace Attest.LogServer.Snapshots;

/// <summary>
/// Fetches the page of a URL stamp (GET), within <see cref="UrlSnapshotOptions"/>' caps on size, time, redirects and
/// concurrent fetches, connecting only where <see cref="AddressPolicy"/> allows. Every failure is a
/// <see cref="DomainError"/> <c>snapshot_failed</c> whose message says why without echoing what the remote end sent
/// or which internal names resolve: the caller learns "refused", "timed out", "too large" or an HTTP status.
/// </summary>
public sealed class UrlSnapshotter : IDisposable
{
    /// <summary>Response headers, in KiB (<see cref="SocketsHttpHandler.MaxResponseHeadersLength"/>).</summary>
    private const int MaxHeadersKiB = 32;

    private const string Refused = "the URL's host is not an address the server may fetch from (Attest:Stamps:UrlSnapshots:AllowedHosts), or it did not resolve";

    private readonly UrlSnapshotOptions options;
    private readonly AddressPolicy policy;
    private readonly HttpClient client;
    private readonly SemaphoreSlim slots;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> fetching = new(StringComparer.Ordinal);

    public UrlSnapshotter(AttestOptions attest)
    {
        options = attest.Stamps.UrlSnapshots;
        if (!AddressPolicy.TryCreate(options.AllowedHosts, out var p, out string? problem)) throw new InvalidOperationException(problem);
        policy = p;
        slots = new SemaphoreSlim(options.MaxConcurrent);
        client = new HttpClient(new SocketsHttpHandler
        {
            // Redirects are followed here, each one's URL and port checked; the connection's address is checked in Connect.
            AllowAutoRedirect = false,
            // A proxy would be what the policy checks, not the page's host.
            UseProxy = false,
            UseCookies = false,
            // The snapshot is the body as served; no Accept-Encoding is sent, so it is not compressed.
            AutomaticDecompression = DecompressionMethods.None,
            MaxResponseHeadersLength = MaxHeadersKiB,
            MaxResponseDrainSize = 0,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = Connect,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Attest-UrlSnapshot/1");
    }

    public bool Enabled => options.Enabled;

    /// <summary>
    /// The page's body, at most <see cref="UrlSnapshotOptions.MaxBytes"/> bytes, or a <c>snapshot_failed</c> error. One
    /// fetch at a time per caller (<paramref name="scope"/>, its API key), so that one tenant's slow pages cannot take
    /// every slot from the others; beyond either limit, 429 <c>rate_limited</c> at once.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>> Fetch(Uri url, string scope, CancellationToken token)
    {
        if (!fetching.TryAdd(scope, 0))
            throw new DomainError(ErrorKind.RateLimited, "rate_limited", "this API key is fetching a URL snapshot already; one at a time per key") { RetryAfterSeconds = 1 };
        if (!slots.Wait(0))
        {
            fetching.TryRemove(scope, out _);
            throw new DomainError(ErrorKind.RateLimited, "rate_limited", $"{options.MaxConcurrent} URL snapshots are being fetched (Attest:Stamps:UrlSnapshots:MaxConcurrent); retry shortly") { RetryAfterSeconds = 1 };
        }
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
            try
            {
                return await FetchFollowing(url, deadline.Token);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                throw Failed($"the page did not arrive within {options.TimeoutSeconds} s (Attest:Stamps:UrlSnapshots:TimeoutSeconds)");
            }
            catch (HttpRequestException e) when (IsRefusal(e))
            {
                throw Failed(Refused);
            }
            catch (HttpRequestException e)
            {
                throw Failed(e.HttpRequestError switch
                {
                    HttpRequestError.ConfigurationLimitExceeded => $"the page's response headers are larger than {MaxHeadersKiB} KiB",
                    HttpRequestError.ResponseEnded or HttpRequestError.Unknown => "the connection broke while the page was read",
                    _ => $"the page could not be fetched ({e.HttpRequestError})",
                });
            }
            catch (IOException)
            {
                throw Failed("the connection broke while the page was read");
            }
        }
        finally
        {
            slots.Release();
            fetching.TryRemove(scope, out _);
        }
    }

    private async Task<ReadOnlyMemory<byte>> FetchFollowing(Uri url, CancellationToken token)
    {
        for (int redirects = 0; ; redirects++)
        {
            if (!policy.PortAllowed(url)) throw Failed("only ports 80 and 443 may be fetched, unless Attest:Stamps:UrlSnapshots:AllowedHosts names the host with its port");
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308)
            {
                if (redirects == options.MaxRedirects) throw Failed($"the page redirected more than {options.MaxRedirects} times (Attest:Stamps:UrlSnapshots:MaxRedirects)");
                if (response.Headers.Location is not { } location) throw Failed("the page redirected without a Location");
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (!HttpUrl.TryParse(next.AbsoluteUri, out var checkedNext, out string? problem)) throw Failed("the page redirected to a URL that may not be fetched: " + problem);
                url = checkedNext;
                continue;
            }
            if (!response.IsSuccessStatusCode) throw Failed($"the page answered HTTP {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > options.MaxBytes) throw TooLarge();
            return await ReadCapped(response.Content, token);
        }
    }

    /// <summary>Reads the body, refusing it as soon as it passes the cap: a page never costs more than the cap in memory.</summary>
    private async Task<ReadOnlyMemory<byte>> ReadCapped(HttpContent content, CancellationToken token)
    {
        await using var stream = await content.ReadAsStreamAsync(token);
        var body = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, token)) > 0)
        {
            if (body.Length + n > options.MaxBytes) throw TooLarge();
            body.Write(chunk, 0, n);
        }
        return body.GetBuffer().AsMemory(0, (int)body.Length);
    }

    /// <summary>
    /// Resolves the host once and connects to the first address the policy allows: the address checked is the address
    /// connected to. A refusal says the same whether the name did not resolve or resolved only to refused addresses.
    /// </summary>
    private async ValueTask<Stream> Connect(SocketsHttpConnectionContext context, CancellationToken token)
    {
        var url = context.InitialRequestMessage.RequestUri!;
        if (!policy.PortAllowed(url) || url.Port != context.DnsEndPoint.Port) throw new SnapshotRefusedException();
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, token);
        }
        catch (SocketException)
        {
            throw new SnapshotRefusedException();
        }
        SocketException? last = null;
        foreach (var address in addresses)
        {
            if (!policy.AddressAllowed(url, address)) continue;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? (Exception)new SnapshotRefusedException();
    }

    private static bool IsRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SnapshotRefusedException) return true;
        return false;
    }

    private DomainError TooLarge() => Failed($"the page is larger than {options.MaxBytes} bytes (Attest:Stamps:UrlSnapshots:MaxBytes); it is refused, not truncated");

    private static DomainError Failed(string why) => new(ErrorKind.Unprocessable, "snapshot_failed", "the URL's snapshot failed, nothing was stamped: " + why);

    public void Dispose()
    {
        client.Dispose();
        slots.Dispose();
    }

    private sealed class SnapshotRefusedException() : Exception("refused by the address policy");
}
