using System.Security.Cryptography;
using System.Text;

namespace Attest.Merkle.Tests;

public class Rfc6962Tests
{
    /// <summary>The eight leaves of the RFC 6962 reference tree, used by Certificate Transparency and transparency-dev/merkle.</summary>
    internal static readonly byte[][] ReferenceLeaves =
        new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }
            .Select(Convert.FromHexString).ToArray();

    /// <summary>MTH of the first 1…8 reference leaves (the roots in transparency-dev/merkle's testdata).</summary>
    internal static readonly string[] ReferenceRoots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    internal static MemoryHashStore ReferenceTree()
    {
        var store = new MemoryHashStore();
        foreach (var leaf in ReferenceLeaves) store.Append(leaf);
        return store;
    }

    [Fact]
    public void the_empty_root_is_the_sha256_of_nothing()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Rfc6962.EmptyRoot.ToHex());
    }

    [Fact]
    public void a_leaf_hash_is_sha256_of_zero_byte_then_entry()
    {
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Rfc6962.HashLeaf([]).ToHex());
        byte[] entry = Encoding.ASCII.GetBytes("one");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([0x00, .. entry])), Rfc6962.HashLeaf(entry).ToHex());
    }

    [Theory]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(70_000)]
    public void large_entries_hash_the_same_as_small_ones(int length)
    {
        byte[] entry = new byte[length];
        new Random(length).NextBytes(entry);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([0x00, .. entry])), Rfc6962.HashLeaf(entry).ToHex());
    }

    [Fact]
    public void a_node_hash_is_sha256_of_one_byte_then_left_then_right()
    {
        Hash left = Rfc6962.HashLeaf([1]), right = Rfc6962.HashLeaf([2]);
        byte[] expected = SHA256.HashData([0x01, .. left.ToArray(), .. right.ToArray()]);
        Assert.Equal(Convert.ToHexStringLower(expected), Rfc6962.HashChildren(left, right).ToHex());
    }

    [Fact]
    public void the_reference_tree_has_the_reference_roots()
    {
        var store = ReferenceTree();
        for (int n = 1; n <= 8; n++) Assert.Equal(ReferenceRoots[n - 1], StoredHashes.TreeHash(n, store).ToHex());
        Assert.Equal(Rfc6962.EmptyRoot, StoredHashes.TreeHash(0, store));
    }

    [Fact]
    public void hashing_allocates_nothing()
    {
        byte[] small = new byte[100], large = new byte[5000];
        Hash h = default;
        for (int i = 0; i < 3; i++) h = Rfc6962.HashChildren(Rfc6962.HashLeaf(small), Rfc6962.HashLeaf(large));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) h = Rfc6962.HashChildren(Rfc6962.HashLeaf(small), Rfc6962.HashLeaf(large));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(default, h);
    }
}
