using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Attest.Merkle;

/// <summary>
/// A tile of the C2SP tlog-tiles layout (c2sp.org/tlog-tiles), always of height 8: at level
/// <see cref="Level"/> ≥ 0, the <see cref="Width"/> consecutive hashes of tree level 8·Level starting at hash
/// 256·<see cref="N"/>; at level <see cref="EntriesLevel"/>, the entry bundle of entries 256·N … 256·N + Width − 1.
/// A tile of width 256 is full; narrower ones are partial and are replaced as the tree grows. Go's tlog.Tile with
/// H = 8 and "entries" for its "data".
/// </summary>
public readonly record struct Tile(int Level, long N, int Width)
{
    public const int Height = 8;
    public const int FullWidth = 1 << Height;
    public const int EntriesLevel = -1;
    public const int MaxLevel = 63;

    /// <summary>The largest N for which 256·N fits in a long: no tree has more hashes than that on any level.</summary>
    public const long MaxN = long.MaxValue >> Height;

    // The longest path is "tile/entries/x036/x028/x797/x018/x963/967.p/255" (N = MaxN), 47 characters.
    private const int MaxPathLength = 47;

    public int Level { get; } = Level is >= EntriesLevel and <= MaxLevel ? Level : throw new ArgumentOutOfRangeException(nameof(Level), Level, "a tile level is -1 (entries) to 63");
    public long N { get; } = N is >= 0 and <= MaxN ? N : throw new ArgumentOutOfRangeException(nameof(N), N, "a tile index is 0 to 2^55 - 1");
    public int Width { get; } = Width is >= 1 and <= FullWidth ? Width : throw new ArgumentOutOfRangeException(nameof(Width), Width, "a tile width is 1 to 256");

    public bool IsEntryBundle => Level == EntriesLevel;

    public bool IsFull => Width == FullWidth;

    /// <summary>
    /// The tile's path per c2sp.org/tlog-tiles: <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> or
    /// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>, N in 3-digit groups with an "x" before all but the last
    /// (1234067 → x001/x234/067), ".p/W" only for partial tiles. No leading slash.
    /// </summary>
    public string Path
    {
        get
        {
            Span<char> buffer = stackalloc char[MaxPathLength];
            return new string(buffer[..FormatPath(buffer)]);
        }
    }

    public override string ToString() => Path;

    /// <summary>
    /// Parses a tile path (the URL path after its leading '/') per c2sp.org/tlog-tiles, accepting only the exact
    /// form <see cref="Path"/> writes: decimal level 0–63 without leading zeros or "entries", every group of N three
    /// digits with no all-zero leading group, and a width 1–255 without leading zeros.
    /// </summary>
    public static bool TryParsePath(ReadOnlySpan<char> path, out Tile tile)
    {
        tile = default;
        if (!path.StartsWith("tile/")) return false;
        path = path[5..];

        int level;
        if (path.StartsWith("entries/"))
        {
            level = EntriesLevel;
            path = path[8..];
        }
        else
        {
            int slash = path.IndexOf('/');
            if (slash < 0 || !TryParseCanonical(path[..slash], MaxLevel, allowZero: true, out level)) return false;
            path = path[(slash + 1)..];
        }

        long n = 0;
        bool leading = true;
        while (path.Length >= 5 && path[0] == 'x' && path[4] == '/')
        {
            if (!TryParseGroup(path.Slice(1, 3), out int group) || (leading && group == 0)) return false;
            if (n > (MaxN - group) / 1000) return false;
            n = n * 1000 + group;
            leading = false;
            path = path[5..];
        }
        if (path.Length < 3 || !TryParseGroup(path[..3], out int last) || n > (MaxN - last) / 1000) return false;
        n = n * 1000 + last;
        path = path[3..];

        int width = FullWidth;
        if (!path.IsEmpty)
        {
            if (!path.StartsWith(".p/") || !TryParseCanonical(path[3..], FullWidth - 1, allowZero: false, out width)) return false;
        }
        tile = new Tile(level, n, width);
        return true;
    }

    /// <summary>
    /// The hash tile of least width that holds the hash at <paramref name="storedHashIndex"/>
    /// (<see cref="StoredHashes"/> layout; tlog TileForIndex with H = 8). For a hash above the tile's bottom level,
    /// the tile holds the hashes of the subtree beneath it, and the width covers all of them.
    /// </summary>
    public static Tile ForStoredHashIndex(long storedHashIndex) => ForStoredHashIndex(storedHashIndex, out _, out _);

    /// <summary>
    /// The hash at <paramref name="storedHashIndex"/>, computed from the tile data <paramref name="data"/> of
    /// <paramref name="tile"/> (W·32 bytes, as c2sp.org/tlog-tiles serves it): a hash on the tile's bottom level is
    /// read as is, a higher one is hashed up from the bottom-level hashes beneath it (RFC 6962 §2.1). tlog HashFromTile.
    /// </summary>
    /// <exception cref="ArgumentException">when the hash is not in this tile, or the data is short.</exception>
    public static Hash HashFromTile(Tile tile, ReadOnlySpan<byte> data, long storedHashIndex)
    {
        if (tile.IsEntryBundle) throw new ArgumentException("an entry bundle holds no hashes", nameof(tile));
        if (data.Length < tile.Width * Hash.Size) throw new ArgumentException($"{data.Length} bytes is short for tile {tile}", nameof(data));
        Tile least = ForStoredHashIndex(storedHashIndex, out int start, out int end);
        if (least.Level != tile.Level || least.N != tile.N || least.Width > tile.Width)
            throw new ArgumentException($"stored hash {storedHashIndex} is in {least}, not {tile}", nameof(storedHashIndex));
        return SubtreeHash(data[start..end]);
    }

    /// <summary>
    /// The hash tiles to publish when the tree grows from <paramref name="oldTreeSize"/> to
    /// <paramref name="newTreeSize"/> leaves (current tlog NewTiles with H = 8): on each level whose
    /// hash count changed, the full tiles completed since the old size and the new partial tile, if any. Only the
    /// new tree's own partial widths are listed: c2sp.org/tlog-tiles has logs serve the partial tiles of the trees
    /// they publish, not the widths in between. The entry bundles to publish are the level-0 tiles, with the same
    /// N and Width.
    /// </summary>
    public static Tile[] NewTiles(long oldTreeSize, long newTreeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(oldTreeSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(newTreeSize, oldTreeSize);
        var tiles = new List<Tile>();
        // Shifts are taken mod 64 in C#, so stop at level 7 explicitly: level 8 would be tree level 64.
        for (int level = 0; level * Height < 64 && newTreeSize >> (level * Height) > 0; level++)
        {
            long oldHashes = oldTreeSize >> (level * Height);
            long newHashes = newTreeSize >> (level * Height);
            if (oldHashes == newHashes) continue;
            for (long n = oldHashes >> Height; n < newHashes >> Height; n++) tiles.Add(new Tile(level, n, FullWidth));
            long last = newHashes >> Height;
            int width = (int)(newHashes - (last << Height));
            if (width > 0) tiles.Add(new Tile(level, last, width));
        }
        return tiles.ToArray();
    }

    /// <summary>
    /// Whether the tree of <paramref name="treeSize"/> leaves has exactly this tile (c2sp.org/tlog-tiles): a full tile
    /// lying wholly inside it, or a partial tile whose width is exactly what that tree has at that position. A server
    /// serves only such tiles for a checkpoint of that size.
    /// </summary>
    public static bool IsWithin(Tile t, long treeSize)
    {
        if (treeSize <= 0 || t.Width < 1) return false;
        int shift = t.IsEntryBundle ? 0 : t.Level * Height;
        if (shift >= 64) return false;
        long available = treeSize >> shift;
        long start = t.N << Height;
        if (start >= available) return false;
        long present = available - start;
        return t.IsFull ? present >= FullWidth : present == t.Width;
    }

    /// <summary>
    /// The tile data of hash tile <paramref name="t"/> as c2sp.org/tlog-tiles serves it: its Width hashes of tree
    /// level 8·Level, 32 bytes each, concatenated left to right (tlog ReadTileData). One ReadHashes call.
    /// </summary>
    public static byte[] ReadTileData(Tile t, IHashReader r)
    {
        if (t.IsEntryBundle || t.Width < 1) throw new ArgumentException("only hash tiles hold hashes", nameof(t));
        ArgumentNullException.ThrowIfNull(r);
        Span<long> indexes = stackalloc long[t.Width];
        long first = t.N << Height;
        for (int i = 0; i < indexes.Length; i++) indexes[i] = StoredHashes.StoredHashIndex(t.Level * Height, first + i);
        var data = new byte[t.Width * Hash.Size];
        // Hash is 32 bytes with no padding, so the reader can write straight into the result.
        r.ReadHashes(indexes, MemoryMarshal.Cast<byte, Hash>(data.AsSpan()));
        return data;
    }

    // tlog tileForIndex: also the byte range of the tile data whose subtree hash is the requested hash.
    internal static Tile ForStoredHashIndex(long storedHashIndex, out int start, out int end)
    {
        (int level, long n) = StoredHashes.SplitStoredHashIndex(storedHashIndex);
        int tileLevel = level / Height;
        level -= tileLevel * Height; // level within the tile
        long tileN = n << level >> Height;
        n -= tileN << Height >> level; // position within the tile, at that level
        int width = (int)((n + 1) << level);
        start = (int)(n << level) * Hash.Size;
        end = width * Hash.Size;
        return new Tile(tileLevel, tileN, width);
    }

    // tlog tileParent: the tile k levels up that covers t, as wide as a tree of treeSize leaves has it; null if none.
    internal static Tile? Parent(Tile t, int k, long treeSize)
    {
        int level = t.Level + k;
        if (level * Height >= 64) return null;
        long n = t.N >> (k * Height);
        long available = treeSize >> (level * Height);
        long start = n << Height;
        if (start >= available) return null;
        return new Tile(level, n, (int)Math.Min(FullWidth, available - start));
    }

    // tlog tileHash: the root of the complete subtree whose bottom-level hashes are data (a power of two of them).
    internal static Hash SubtreeHash(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data.Length % Hash.Size != 0) throw new UnreachableException("subtree data is not whole hashes");
        if (data.Length == Hash.Size) return new Hash(data);
        int half = data.Length / 2;
        return Rfc6962.HashChildren(SubtreeHash(data[..half]), SubtreeHash(data[half..]));
    }

    private int FormatPath(Span<char> buffer)
    {
        int pos = 0;
        Write(buffer, ref pos, "tile/");
        if (IsEntryBundle) Write(buffer, ref pos, "entries");
        else
        {
            Level.TryFormat(buffer[pos..], out int w, provider: System.Globalization.CultureInfo.InvariantCulture);
            pos += w;
        }
        Span<int> groups = stackalloc int[7];
        int count = 0;
        long n = N;
        do
        {
            groups[count++] = (int)(n % 1000);
            n /= 1000;
        } while (n > 0);
        for (int i = count - 1; i >= 0; i--)
        {
            buffer[pos++] = '/';
            if (i > 0) buffer[pos++] = 'x';
            buffer[pos++] = (char)('0' + groups[i] / 100);
            buffer[pos++] = (char)('0' + groups[i] / 10 % 10);
            buffer[pos++] = (char)('0' + groups[i] % 10);
        }
        if (!IsFull)
        {
            Write(buffer, ref pos, ".p/");
            Width.TryFormat(buffer[pos..], out int w, provider: System.Globalization.CultureInfo.InvariantCulture);
            pos += w;
        }
        return pos;
    }

    private static void Write(Span<char> buffer, ref int pos, string s)
    {
        s.CopyTo(buffer[pos..]);
        pos += s.Length;
    }

    private static bool TryParseGroup(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    // Decimal with no sign, no leading zeros, at most max.
    private static bool TryParseCanonical(ReadOnlySpan<char> s, int max, bool allowZero, out int value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 3 || (s[0] == '0' && (s.Length > 1 || !allowZero))) return false;
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return value <= max;
    }
}

/// <summary>
/// An <see cref="IHashReader"/> over a tiled log that trusts only a checkpoint's (size, root): every tile it fetches
/// is authenticated against that root, through its parent tiles, before any hash is taken from it (tlog
/// TileHashReader, c2sp.org/tlog-tiles). Hashes it returns are therefore proven to be in that tree.
/// </summary>
/// <remarks>
/// Each <see cref="ReadHashes"/> call fetches the tiles it needs afresh; <c>fetchTile</c> may serve them from a cache,
/// but should persist only tiles a successful call has used, as those are authenticated.
/// </remarks>
public sealed class TileHashReader : IHashReader
{
    private readonly long treeSize;
    private readonly Hash root;
    private readonly Func<Tile, byte[]> fetchTile;

    /// <param name="treeSize">the checkpoint's tree size.</param>
    /// <param name="root">the checkpoint's root hash, already verified by the caller.</param>
    /// <param name="fetchTile">returns the tile data at <see cref="Tile.Path"/>: untrusted, checked here.</param>
    public TileHashReader(long treeSize, Hash root, Func<Tile, byte[]> fetchTile)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        ArgumentNullException.ThrowIfNull(fetchTile);
        this.treeSize = treeSize;
        this.root = root;
        this.fetchTile = fetchTile;
    }

    /// <exception cref="ArgumentOutOfRangeException">when an index is not a hash of the tree.</exception>
    /// <exception cref="InvalidDataException">when fetched tile data has the wrong length or does not match the root.</exception>
    public void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> hashes)
    {
        if (indexes.Length != hashes.Length) throw new ArgumentException("one output slot per index", nameof(hashes));
        if (indexes.IsEmpty) return;
        long end = StoredHashes.StoredHashIndex(0, treeSize); // every hash before leaf treeSize's slot is in the tree
        foreach (long x in indexes)
        {
            if (x < 0 || x >= end) throw new ArgumentOutOfRangeException(nameof(indexes), x, $"not a hash of the tree of size {treeSize}");
        }

        var order = new Dictionary<Tile, int>();
        var tiles = new List<Tile>();

        // The tiles holding the tree's complete subtrees come first: hashing them up must give the root.
        Span<long> roots = stackalloc long[64];
        int rootCount = StoredHashes.SubTreeIndex(0, treeSize, roots, 0);
        roots = roots[..rootCount];
        Span<int> rootTile = stackalloc int[rootCount];
        for (int i = 0; i < rootCount; i++)
        {
            Tile t = Tile.Parent(Tile.ForStoredHashIndex(roots[i]), 0, treeSize) ?? throw new UnreachableException("subtree outside tree");
            rootTile[i] = Add(t);
        }
        // Several subtrees usually share a tile, so the parent checks below start after the root tiles, not after
        // rootCount: starting at the subtree count would skip authenticating some fetched tiles.
        int rootTiles = tiles.Count;

        // Then, for each index, the chain of full tiles from an already planned ancestor down to its own tile,
        // parents before children so each is authenticated by the one before.
        var indexTile = new int[indexes.Length];
        for (int i = 0; i < indexes.Length; i++)
        {
            Tile t = Tile.ForStoredHashIndex(indexes[i]);
            int k = 0;
            int found;
            while (true)
            {
                Tile p = Tile.Parent(t, k, treeSize) ?? throw new UnreachableException("no planned ancestor tile");
                if (order.TryGetValue(p, out found)) break;
                k++;
            }
            indexTile[i] = found;
            for (k--; k >= 0; k--)
            {
                Tile p = Tile.Parent(t, k, treeSize)!.Value;
                if (!p.IsFull) throw new UnreachableException("a tile with a parent tile must be full");
                indexTile[i] = Add(p);
            }
        }

        var data = new byte[tiles.Count][];
        for (int i = 0; i < tiles.Count; i++)
        {
            data[i] = fetchTile(tiles[i]);
            if (data[i] is null || data[i].Length != tiles[i].Width * Hash.Size)
                throw new InvalidDataException($"tile {tiles[i]} is {data[i]?.Length ?? 0} bytes, not {tiles[i].Width * Hash.Size}");
        }

        Hash computed = Tile.HashFromTile(tiles[rootTile[^1]], data[rootTile[^1]], roots[^1]);
        for (int i = rootCount - 2; i >= 0; i--)
            computed = Rfc6962.HashChildren(Tile.HashFromTile(tiles[rootTile[i]], data[rootTile[i]], roots[i]), computed);
        if (!computed.Equals(root)) throw new InvalidDataException($"tiles do not hash to the root of the tree of size {treeSize}");

        for (int i = rootTiles; i < tiles.Count; i++)
        {
            Tile t = tiles[i];
            Tile parent = Tile.Parent(t, 1, treeSize) ?? throw new UnreachableException("lost parent tile");
            if (!order.TryGetValue(parent, out int j)) throw new UnreachableException("parent tile not planned");
            Hash expected = Tile.HashFromTile(parent, data[j], StoredHashes.StoredHashIndex(parent.Level * Tile.Height, t.N));
            if (!expected.Equals(Tile.SubtreeHash(data[i]))) throw new InvalidDataException($"tile {t} does not match its parent {parent}");
        }

        for (int i = 0; i < indexes.Length; i++)
            hashes[i] = Tile.HashFromTile(tiles[indexTile[i]], data[indexTile[i]], indexes[i]);

        int Add(Tile t)
        {
            if (order.TryGetValue(t, out int j)) return j;
            order.Add(t, tiles.Count);
            tiles.Add(t);
            return tiles.Count - 1;
        }
    }
}
