using System.Text;

namespace Attest.Merkle.Tests;

/// <summary>The 15-entry C2SP tlog-tiles log written by transparency-dev/tessera (tests/testdata/tessera-log).</summary>
public class TesseraLogTreeTests
{
    private static readonly string[] Entries =
        ["one", "two", "three", "four", "five", "six", "seven", "eit", "nain", "ten", "ileven", "twelf", "threeten", "fourten", "fivten"];

    public static TheoryData<int> Sizes => new(Enumerable.Range(1, 15));

    private static byte[] Read(string path) => File.ReadAllBytes(TestData.PathOf(["tessera-log", .. path.Split('/')]));

    // Just enough of the signed note to get at the tree: origin, size, root (c2sp.org/tlog-checkpoint).
    private static (long Size, Hash Root) Checkpoint(int n)
    {
        string[] lines = Encoding.UTF8.GetString(Read($"checkpoint.{n}")).Split('\n');
        Assert.Equal("example.com/log/testdata", lines[0]);
        Assert.True(Hash.TryParseBase64(lines[2], out Hash root));
        return (long.Parse(lines[1]), root);
    }

    [Fact]
    public void the_empty_checkpoint_has_the_empty_root()
    {
        Assert.Equal((0L, Rfc6962.EmptyRoot), Checkpoint(0));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void the_entry_bundle_holds_the_entries_and_hashes_to_the_checkpoint_root(int n)
    {
        (long size, Hash root) = Checkpoint(n);
        Assert.Equal(n, size);
        var tile = new Tile(Tile.EntriesLevel, 0, n);
        var entries = new List<byte[]>();
        Assert.True(EntryBundle.TryParse(Read(tile.Path), n, entries));
        Assert.Equal(Entries[..n], entries.Select(Encoding.ASCII.GetString));

        var store = new MemoryHashStore();
        foreach (byte[] e in entries) store.Append(e);
        Assert.Equal(root, StoredHashes.TreeHash(n, store));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void the_hash_tile_is_what_we_would_serve_and_hashes_to_the_checkpoint_root(int n)
    {
        (_, Hash root) = Checkpoint(n);
        var store = new MemoryHashStore();
        foreach (string e in Entries[..n]) store.Append(Encoding.ASCII.GetBytes(e));
        var tile = new Tile(0, 0, n);
        Assert.Equal($"tile/0/000.p/{n}", tile.Path);
        byte[] served = Read(tile.Path);
        Assert.Equal(Tile.ReadTileData(tile, store), served);

        // From the tile alone: its hashes are the leaf hashes, so they rebuild the tree.
        var fromTile = new MemoryHashStore();
        for (int i = 0; i < n; i++) fromTile.AppendLeafHash(new Hash(served.AsSpan(i * Hash.Size, Hash.Size)));
        Assert.Equal(root, StoredHashes.TreeHash(n, fromTile));

        Assert.Equal([tile], Tile.NewTiles(n - 1, n));
        Assert.True(Tile.IsWithin(tile, n));
        Assert.True(Tile.IsWithin(new Tile(Tile.EntriesLevel, 0, n), n));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void every_entry_is_proved_included_from_the_served_tiles(int n)
    {
        (_, Hash root) = Checkpoint(n);
        var fetched = new List<string>();
        var reader = new TileHashReader(n, root, t =>
        {
            fetched.Add(t.Path);
            return Read(t.Path);
        });
        for (int i = 0; i < n; i++)
        {
            Hash[] proof = InclusionProof.Prove(i, n, reader);
            Assert.True(InclusionProof.Verify(i, n, Rfc6962.HashLeaf(Encoding.ASCII.GetBytes(Entries[i])), proof, root));
        }
        Assert.All(fetched, p => Assert.Equal($"tile/0/000.p/{n}", p));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void consecutive_checkpoints_are_consistent_by_proofs_from_the_served_tiles(int n)
    {
        (_, Hash root2) = Checkpoint(n);
        var reader = new TileHashReader(n, root2, t => Read(t.Path));
        for (int m = 1; m <= n; m++)
        {
            (_, Hash root1) = Checkpoint(m);
            Assert.True(ConsistencyProof.Verify(m, n, ConsistencyProof.Prove(m, n, reader), root1, root2));
        }
    }

    [Fact]
    public void a_served_tile_with_one_flipped_bit_is_rejected()
    {
        (_, Hash root) = Checkpoint(15);
        for (int bit = 0; bit < 15 * Hash.Size * 8; bit += 13)
        {
            var reader = new TileHashReader(15, root, t =>
            {
                byte[] data = Read(t.Path);
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                return data;
            });
            Assert.Throws<InvalidDataException>(() => InclusionProof.Prove(bit % 15, 15, reader));
        }
    }
}
