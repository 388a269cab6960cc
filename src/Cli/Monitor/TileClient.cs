using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli.Monitor;

/// <summary>
/// Reads a log over HTTP as c2sp.org/tlog-tiles lays it out: <c>/checkpoint</c>, hash tiles <c>/tile/L/N[.p/W]</c> and
/// entry bundles <c>/tile/entries/N[.p/W]</c>. Everything it returns is untrusted; it only checks sizes and shapes.
/// Tiles are cached for the round, so a tile authenticated for the consistency proof is not fetched again.
/// </summary>
public sealed class TileClient(HttpClient http, Uri baseUrl)
{
    private const int MaxEntryBundle = Tile.FullWidth * (2 + EntryBundle.MaxEntryLength);
    private readonly Dictionary<Tile, byte[]> hashTiles = [];

    public Uri BaseUrl { get; } = baseUrl;

    public int Fetches { get; private set; }

    /// <summary>The current checkpoint, as served: a signed note of at most <see cref="Note.MaxSize"/> bytes, UTF-8.</summary>
    public async Task<string> Checkpoint(CancellationToken token)
    {
        var bytes = await Get("checkpoint", Note.MaxSize, token) ?? throw new UnavailableException($"{new Uri(BaseUrl, "checkpoint")} answered 404: not a tlog-tiles log");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new UnavailableException("the log's checkpoint is not UTF-8");
        }
    }

    /// <summary>The hashes of hash tile <paramref name="tile"/>, as the tree of <paramref name="treeSize"/> leaves has it.</summary>
    public async Task<Hash[]> HashTile(Tile tile, long treeSize, CancellationToken token)
    {
        if (!hashTiles.TryGetValue(tile, out var data))
        {
            var (fetched, width) = await Fetch(tile, treeSize, Tile.FullWidth * Hash.Size, token);
            if (fetched.Length != width * Hash.Size) throw new InvalidDataException($"tile {new Tile(tile.Level, tile.N, width).Path} is {fetched.Length} bytes, not {width * Hash.Size}");
            // A wider tile (fetched when the partial one was gone) starts with the same hashes.
            data = fetched[..(tile.Width * Hash.Size)];
            hashTiles[tile] = data;
        }
        return MemoryMarshal.Cast<byte, Hash>(data.AsSpan()).ToArray();
    }

    /// <summary>For <see cref="TileHashReader"/>, which authenticates what this returns against the checkpoint's root.</summary>
    public byte[] HashTileData(Tile tile, long treeSize)
    {
        var hashes = HashTile(tile, treeSize, CancellationToken.None).GetAwaiter().GetResult();
        return MemoryMarshal.AsBytes(hashes.AsSpan()).ToArray();
    }

    /// <summary>The entries of entry bundle <paramref name="tile"/>: exactly its width of them (c2sp.org/tlog-tiles).</summary>
    public async Task<List<byte[]>> Entries(Tile tile, long treeSize, CancellationToken token)
    {
        var (data, width) = await Fetch(tile, treeSize, MaxEntryBundle, token);
        var entries = new List<byte[]>();
        if (!EntryBundle.TryParse(data, width, entries))
            throw new InvalidDataException($"entry bundle {new Tile(tile.Level, tile.N, width).Path} is not {width} entries of uint16_be length || entry");
        // A wider bundle (fetched when the partial one was gone) starts with the same entries.
        return entries[..tile.Width];
    }

    /// <summary>
    /// GETs a tile. A log may drop a partial tile once the tree has grown past it (c2sp.org/tlog-tiles), so a 404 for
    /// a partial tile falls back to the full tile, then to the partial tile of the tree as it is now; tile contents
    /// only ever grow at the end, so a wider tile starts with the narrower one's data.
    /// </summary>
    private async Task<(byte[] Data, int Width)> Fetch(Tile tile, long treeSize, int max, CancellationToken token)
    {
        if (await Get(tile.Path, max, token) is { } data) return (data, tile.Width);
        if (!tile.IsFull)
        {
            if (await Get(new Tile(tile.Level, tile.N, Tile.FullWidth).Path, max, token) is { } full) return (full, Tile.FullWidth);
            // Only the size is read from this newer checkpoint, to name a tile; its data is checked like any other.
            var text = await Checkpoint(token);
            if (EntryProofs.TryReadCheckpoint(text, out var now, out _) && now!.Size > treeSize)
            {
                long available = now.Size >> (tile.IsEntryBundle ? 0 : tile.Level * Tile.Height);
                int width = (int)Math.Min(Tile.FullWidth, available - (tile.N << Tile.Height));
                if (width > tile.Width && await Get(new Tile(tile.Level, tile.N, width).Path, max, token) is { } wider) return (wider, width);
            }
        }
        throw new UnavailableException($"the log has no tile {tile.Path} (404), which its checkpoint of size {treeSize} implies");
    }

    /// <summary>The body of a 200 answer (at most <paramref name="max"/> bytes), or null for 404; anything else is <see cref="UnavailableException"/>.</summary>
    private async Task<byte[]?> Get(string path, int max, CancellationToken token)
    {
        var url = new Uri(BaseUrl, path);
        Fetches++;
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, token);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (response.StatusCode != HttpStatusCode.OK) throw new UnavailableException($"GET {url} answered {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > max) throw new InvalidDataException($"GET {url} is {response.Content.Headers.ContentLength} bytes, more than {max}");
            await using var stream = await response.Content.ReadAsStreamAsync(token);
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, token)) > 0)
            {
                if (buffer.Length + read > max) throw new InvalidDataException($"GET {url} is more than {max} bytes");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (HttpRequestException e)
        {
            throw new UnavailableException($"cannot reach {url}: {e.Message}");
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            throw new UnavailableException($"GET {url} timed out");
        }
    }
}
