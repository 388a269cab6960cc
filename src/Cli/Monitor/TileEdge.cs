using Attest.Merkle;

namespace Attest.Cli.Monitor;

/// <summary>
/// The right edge of a tree laid out in C2SP tlog-tiles of height 8 (c2sp.org/tlog-tiles): at each tile level k, the
/// hashes of tree level 8k in the rightmost, not yet full tile (fewer than 256). That is all a monitor needs to go on
/// appending leaves, to compute the root (RFC 6962 §2.1), and to know every tile it must see next, without keeping
/// or re-downloading the entries it already checked: a tree of n leaves has n = Σ count(k)·256^k.
/// </summary>
public sealed class TileEdge
{
    private readonly List<List<Hash>> levels;

    private TileEdge(long size, List<List<Hash>> levels)
    {
        Size = size;
        this.levels = levels;
    }

    public long Size { get; private set; }

    public int Levels => levels.Count;

    public static TileEdge Empty() => new(0, []);

    /// <summary>An edge read back from state: each level must hold fewer than 256 hashes, and together they must make <paramref name="size"/> leaves.</summary>
    public static bool TryCreate(long size, IReadOnlyList<IReadOnlyList<Hash>> hashes, out TileEdge? edge)
    {
        edge = null;
        if (size < 0 || hashes.Count > 8) return false;
        long total = 0;
        for (int k = 0; k < hashes.Count; k++)
        {
            if (hashes[k].Count >= Tile.FullWidth) return false;
            total += (long)hashes[k].Count << (Tile.Height * k);
        }
        if (total != size) return false;
        edge = new TileEdge(size, [.. hashes.Select(h => h.ToList())]);
        return true;
    }

    public IReadOnlyList<Hash> Level(int k) => k < levels.Count ? levels[k] : [];

    public TileEdge Clone() => new(Size, [.. levels.Select(l => l.ToList())]);

    /// <summary>
    /// Appends the leaf hash of entry <see cref="Size"/>. Each tile this completes (a level-0 tile every 256 leaves, a
    /// level-1 tile every 65,536, …) is handed to <paramref name="completed"/> with its 256 hashes, so that the caller
    /// can compare it with the tile the log serves.
    /// </summary>
    public void Append(in Hash leaf, Action<Tile, Hash[]> completed)
    {
        Size++;
        Hash h = leaf;
        for (int k = 0; ; k++)
        {
            if (levels.Count == k) levels.Add([]);
            levels[k].Add(h);
            if (levels[k].Count < Tile.FullWidth) return;
            var full = levels[k].ToArray();
            long n = (Size >> (Tile.Height * k) >> Tile.Height) - 1;
            completed(new Tile(k, n, Tile.FullWidth), full);
            levels[k].Clear();
            h = SubtreeHash(full);
        }
    }

    /// <summary>The partial tiles of the tree (c2sp.org/tlog-tiles: those a log serves with <c>.p/W</c>) and their hashes.</summary>
    public IEnumerable<(Tile Tile, Hash[] Hashes)> PartialTiles()
    {
        for (int k = 0; k < levels.Count; k++)
        {
            if (levels[k].Count == 0) continue;
            yield return (new Tile(k, Size >> (Tile.Height * k) >> Tile.Height, levels[k].Count), levels[k].ToArray());
        }
    }

    /// <summary>
    /// MTH of the tree (RFC 6962 §2.1): its complete subtrees, one per set bit of the size, largest (leftmost) first,
    /// folded from the right. At level k the partial tile's hashes split into 2^j-hash runs, one per set bit j of its count.
    /// </summary>
    public Hash Root()
    {
        if (Size == 0) return Rfc6962.EmptyRoot;
        var subtrees = new List<Hash>();
        for (int k = levels.Count - 1; k >= 0; k--)
        {
            var hashes = levels[k];
            int at = 0;
            for (int j = Tile.Height - 1; j >= 0; j--)
            {
                if ((hashes.Count & (1 << j)) == 0) continue;
                subtrees.Add(SubtreeHash(hashes.Skip(at).Take(1 << j).ToArray()));
                at += 1 << j;
            }
        }
        Hash root = subtrees[^1];
        for (int i = subtrees.Count - 2; i >= 0; i--) root = Rfc6962.HashChildren(subtrees[i], root);
        return root;
    }

    /// <summary>The root of the complete subtree over a power of two of consecutive hashes (RFC 6962 §2.1).</summary>
    private static Hash SubtreeHash(ReadOnlySpan<Hash> hashes)
    {
        if (hashes.Length == 1) return hashes[0];
        int half = hashes.Length / 2;
        return Rfc6962.HashChildren(SubtreeHash(hashes[..half]), SubtreeHash(hashes[half..]));
    }
}
