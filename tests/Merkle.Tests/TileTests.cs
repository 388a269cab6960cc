using System.Text;

namespace Attest.Merkle.Tests;

public class TileTests
{
    private static MemoryHashStore Tree(int size)
    {
        var store = new MemoryHashStore();
        for (int i = 0; i < size; i++) store.Append(Encoding.ASCII.GetBytes($"leaf {i}"));
        return store;
    }

    public static TheoryData<int, long, int, string> Golden => new()
    {
        // The examples of c2sp.org/tlog-tiles.
        { 0, 1234067, 256, "tile/0/x001/x234/067" },
        { 1, 0, 1, "tile/1/000.p/1" },
        { -1, 1234067, 8, "tile/entries/x001/x234/067.p/8" },
        // Group boundaries and widths.
        { 0, 0, 256, "tile/0/000" },
        { 0, 999, 255, "tile/0/999.p/255" },
        { 2, 1000, 256, "tile/2/x001/000" },
        { 63, 1_000_000, 17, "tile/63/x001/x000/000.p/17" },
        { -1, 0, 15, "tile/entries/000.p/15" },
        { 7, Tile.MaxN, 256, "tile/7/x036/x028/x797/x018/x963/967" },
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void a_tile_has_the_path_the_spec_gives_and_parses_back(int level, long n, int width, string path)
    {
        var tile = new Tile(level, n, width);
        Assert.Equal(path, tile.Path);
        Assert.True(Tile.TryParsePath(path, out Tile parsed));
        Assert.Equal(tile, parsed);
    }

    [Fact]
    public void random_tiles_round_trip_through_their_paths()
    {
        var random = new Random(8);
        for (int i = 0; i < 10_000; i++)
        {
            var tile = new Tile(random.Next(-1, 64), random.NextInt64(0, Tile.MaxN + 1) >> random.Next(0, 55), random.Next(1, 257));
            Assert.True(Tile.TryParsePath(tile.Path, out Tile parsed), tile.Path);
            Assert.Equal(tile, parsed);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("tile")]
    [InlineData("tile/")]
    [InlineData("tile/0/")]
    [InlineData("/tile/0/000")]
    [InlineData("tiles/0/000")]
    [InlineData("Tile/0/000")]
    [InlineData("tile/0/000/")]
    [InlineData("tile/0/00")]
    [InlineData("tile/0/0000")]
    [InlineData("tile/0/1234067")]
    [InlineData("tile/0/001/234")]
    [InlineData("tile/0/x000/001")]
    [InlineData("tile/0/x000/x001/000")]
    [InlineData("tile/0/x01/000")]
    [InlineData("tile/0/X001/000")]
    [InlineData("tile/0/x001")]
    [InlineData("tile/0/x001/x234")]
    [InlineData("tile/0/x001/x234/")]
    [InlineData("tile/0/+01")]
    [InlineData("tile/0/-01")]
    [InlineData("tile/0/٠٠٠")]
    [InlineData("tile/00/000")]
    [InlineData("tile/01/000")]
    [InlineData("tile/64/000")]
    [InlineData("tile/100/000")]
    [InlineData("tile/-1/000")]
    [InlineData("tile/data/000")]
    [InlineData("tile/entries/")]
    [InlineData("tile/entries")]
    [InlineData("tile/8/0/000")]
    [InlineData("tile/0/000.p")]
    [InlineData("tile/0/000.p/")]
    [InlineData("tile/0/000.p/0")]
    [InlineData("tile/0/000.p/01")]
    [InlineData("tile/0/000.p/256")]
    [InlineData("tile/0/000.p/1000")]
    [InlineData("tile/0/000.p/1a")]
    [InlineData("tile/0/000.p/1/")]
    [InlineData("tile/0/000.p/+1")]
    [InlineData("tile/0/000.P/1")]
    [InlineData("tile/0/000p/1")]
    [InlineData("tile/0/000 ")]
    [InlineData("tile/0/000?x=1")]
    [InlineData("tile/entries/000.p/256")]
    [InlineData("tile/0/x036/x028/x797/x018/x963/968")] // 2^55: 256·N would overflow
    [InlineData("tile/0/x009/x223/x372/x036/x854/x775/807")]
    [InlineData("tile/0/x999/x999/x999/x999/x999/x999/x999/999")]
    public void a_path_that_is_not_in_canonical_form_is_rejected(string path)
    {
        Assert.False(Tile.TryParsePath(path, out _));
    }

    [Theory]
    [InlineData(-2, 0, 1)]
    [InlineData(64, 0, 1)]
    [InlineData(0, -1, 1)]
    [InlineData(0, Tile.MaxN + 1, 1)]
    [InlineData(0, 0, 0)]
    [InlineData(0, 0, 257)]
    public void a_tile_with_impossible_coordinates_cannot_be_made(int level, long n, int width)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tile(level, n, width));
    }

    [Theory]
    [InlineData(0, 0, 15, 15, true)]
    [InlineData(0, 0, 15, 16, false)]
    [InlineData(0, 0, 15, 14, false)]
    [InlineData(0, 0, 256, 255, false)]
    [InlineData(0, 0, 256, 256, true)]
    [InlineData(0, 0, 256, 300, true)]
    [InlineData(0, 1, 44, 300, true)]
    [InlineData(0, 1, 256, 300, false)]
    [InlineData(0, 2, 1, 300, false)]
    [InlineData(1, 0, 1, 256, true)]
    [InlineData(1, 0, 1, 511, true)]
    [InlineData(1, 0, 1, 512, false)]
    [InlineData(1, 0, 2, 512, true)]
    [InlineData(2, 0, 1, 65535, false)]
    [InlineData(2, 0, 1, 65536, true)]
    [InlineData(-1, 0, 15, 15, true)]
    [InlineData(-1, 0, 14, 15, false)]
    [InlineData(-1, 0, 1, 0, false)]
    [InlineData(63, 0, 1, long.MaxValue, false)]
    public void a_tile_is_within_a_tree_only_at_the_width_that_tree_has(int level, long n, int width, long treeSize, bool within)
    {
        Assert.Equal(within, Tile.IsWithin(new Tile(level, n, width), treeSize));
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(100, 101, 1)]
    [InlineData(255, 257, 3)]
    [InlineData(256, 262, 1)]
    [InlineData(262, 1000, 4)]
    [InlineData(0, 65536, 256 + 1 + 1)]
    public void new_tiles_counts_match_go_tlog(long oldSize, long newSize, int count)
    {
        Assert.Equal(count, Tile.NewTiles(oldSize, newSize).Length);
    }

    [Fact]
    public void new_tiles_are_exactly_the_tiles_within_the_new_tree_and_not_within_the_old()
    {
        var random = new Random(256);
        for (int i = 0; i < 40; i++)
        {
            long newSize = i < 5 ? 256L * i + 1 : random.Next(1, 70_000);
            long oldSize = random.Next(0, (int)newSize + 1);
            var expected = new List<Tile>();
            for (int level = 0; level < 3; level++)
                for (long n = 0; n <= newSize >> (8 * level + 8); n++)
                    for (int w = 1; w <= 256; w++)
                    {
                        var t = new Tile(level, n, w);
                        if (Tile.IsWithin(t, newSize) && !Tile.IsWithin(t, oldSize)) expected.Add(t);
                    }
            Assert.Equal(expected.OrderBy(t => (t.Level, t.N, t.Width)), Tile.NewTiles(oldSize, newSize).OrderBy(t => (t.Level, t.N, t.Width)));
        }
    }

    [Fact]
    public void every_stored_hash_is_recomputed_from_its_least_tile_and_its_widest_tile()
    {
        const int size = 70_000; // three levels of tiles
        var store = Tree(size);
        var random = new Random(3);
        long count = StoredHashes.StoredHashCount(size);
        Span<Hash> stored = stackalloc Hash[1];
        for (int i = 0; i < 3000; i++)
        {
            long index = i < 1000 ? i : random.NextInt64(count);
            store.ReadHashes([index], stored);
            Tile least = Tile.ForStoredHashIndex(index);
            Assert.Equal(stored[0], Tile.HashFromTile(least, Tile.ReadTileData(least, store), index));
            var widest = new Tile(least.Level, least.N, (int)Math.Min(256, (size >> (8 * least.Level)) - (least.N << 8)));
            Assert.True(Tile.IsWithin(widest, size));
            Assert.Equal(stored[0], Tile.HashFromTile(widest, Tile.ReadTileData(widest, store), index));
        }
    }

    [Fact]
    public void a_hash_is_not_taken_from_a_tile_that_does_not_hold_it()
    {
        var store = Tree(600);
        var tile = new Tile(0, 1, 256);
        byte[] data = Tile.ReadTileData(tile, store);
        Assert.Throws<ArgumentException>(() => Tile.HashFromTile(tile, data, StoredHashes.StoredHashIndex(0, 0)));
        Assert.Throws<ArgumentException>(() => Tile.HashFromTile(new Tile(0, 1, 10), data, StoredHashes.StoredHashIndex(0, 256 + 10)));
        Assert.Throws<ArgumentException>(() => Tile.HashFromTile(tile, data.AsSpan(0, 100), StoredHashes.StoredHashIndex(0, 256)));
        Assert.Throws<ArgumentException>(() => Tile.ReadTileData(new Tile(-1, 0, 1), store));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(600)]
    [InlineData(65_536)]
    [InlineData(65_537 + 300)]
    public void a_tile_hash_reader_returns_every_stored_hash_of_the_tree(int size)
    {
        var store = Tree(size);
        int fetches = 0;
        var reader = new TileHashReader(size, StoredHashes.TreeHash(size, store), t =>
        {
            fetches++;
            Assert.True(Tile.IsWithin(t, size), t.Path);
            return Tile.ReadTileData(t, store);
        });
        long count = StoredHashes.StoredHashIndex(0, size);
        long step = Math.Max(1, count / 2000);
        var indexes = new List<long>();
        for (long i = 0; i < count; i += step) indexes.Add(i);
        indexes.Add(count - 1);
        var expected = new Hash[indexes.Count];
        store.ReadHashes(indexes.ToArray(), expected);
        var actual = new Hash[indexes.Count];
        reader.ReadHashes(indexes.ToArray(), actual);
        Assert.Equal(expected, actual);
        Assert.True(fetches > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadHashes([count], new Hash[1]));
    }

    [Fact]
    public void a_tile_hash_reader_rejects_any_tampered_tile()
    {
        const int size = 600;
        var store = Tree(size);
        Hash root = StoredHashes.TreeHash(size, store);
        long count = StoredHashes.StoredHashIndex(0, size);
        for (long target = 0; target < count; target += 7)
        {
            // As Go's zeroIndex: clear the bottom-row hashes the target is computed from, in whichever tile holds them.
            Tile least = Tile.ForStoredHashIndex(target);
            (int level, long n) = StoredHashes.SplitStoredHashIndex(target);
            int up = level % Tile.Height;
            int start = (int)((n - (least.N << Tile.Height >> up)) << up) * Hash.Size, end = least.Width * Hash.Size;
            var reader = new TileHashReader(size, root, t =>
            {
                byte[] data = Tile.ReadTileData(t, store);
                if (t.Level == least.Level && t.N == least.N) Array.Clear(data, start, end - start);
                return data;
            });
            Assert.Throws<InvalidDataException>(() => reader.ReadHashes([target], new Hash[1]));
        }
    }

    [Fact]
    public void a_tile_hash_reader_rejects_a_tile_of_the_wrong_length_or_the_wrong_root()
    {
        var store = Tree(300);
        Hash root = StoredHashes.TreeHash(300, store);
        var shortTiles = new TileHashReader(300, root, t => Tile.ReadTileData(t, store)[..^1]);
        Assert.Throws<InvalidDataException>(() => shortTiles.ReadHashes([0], new Hash[1]));
        var wrongRoot = new TileHashReader(300, StoredHashes.TreeHash(299, store), t => Tile.ReadTileData(t, store));
        Assert.Throws<InvalidDataException>(() => wrongRoot.ReadHashes([0], new Hash[1]));
    }
}
