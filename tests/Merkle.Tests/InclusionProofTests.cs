using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Attest.Merkle.Tests;

/// <summary>Reads the transparency-dev/merkle JSON vectors in tests/testdata/merkle.</summary>
internal static class MerkleVectors
{
    public static string[] Files(string kind) =>
        Directory.EnumerateFiles(TestData.PathOf("merkle", kind), "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(TestData.PathOf("merkle", kind), f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static TheoryData<string> Data(string kind) => new(Files(kind));

    public static JsonElement Load(string kind, string file) =>
        JsonDocument.Parse(File.ReadAllBytes(TestData.PathOf("merkle", kind, file))).RootElement;

    /// <summary>
    /// The vectors hold some values that are not 32-byte hashes ("" or short strings). A strict parser rejects those,
    /// and this reports whether it did; the hash returned in their place is a stand-in derived from their bytes, so
    /// that equal values stay equal (one happy-path vector compares two equal 12-byte "roots") and the verifier is
    /// still exercised.
    /// </summary>
    public static Hash HashOrStandIn(JsonElement value, out bool strict)
    {
        string text = value.GetString()!;
        strict = Hash.TryParseBase64(text, out Hash hash);
        return strict ? hash : new Hash(SHA256.HashData([.. "stand-in:"u8, .. Convert.FromBase64String(text)]));
    }

    /// <summary>Sizes and indexes are uint64 in the vectors; one above long.MaxValue is rejected, like a bad hash.</summary>
    public static long Number(JsonElement value, out bool strict)
    {
        strict = value.TryGetInt64(out long n);
        return strict ? n : unchecked((long)value.GetUInt64());
    }

    public static Hash[] Proof(JsonElement vector, out bool strict)
    {
        strict = true;
        if (vector.GetProperty("proof").ValueKind == JsonValueKind.Null) return [];
        var proof = new List<Hash>();
        foreach (JsonElement e in vector.GetProperty("proof").EnumerateArray())
        {
            proof.Add(HashOrStandIn(e, out bool ok));
            strict &= ok;
        }
        return proof.ToArray();
    }
}

public class InclusionProofTests
{
    public static TheoryData<string> Vectors => MerkleVectors.Data("inclusion");

    [Fact]
    public void the_inclusion_vector_directory_is_not_empty()
    {
        Assert.True(MerkleVectors.Files("inclusion").Length > 50);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void each_inclusion_vector_verifies_exactly_when_wantErr_is_false(string file)
    {
        JsonElement v = MerkleVectors.Load("inclusion", file);
        Hash root = MerkleVectors.HashOrStandIn(v.GetProperty("root"), out bool rootStrict);
        Hash leaf = MerkleVectors.HashOrStandIn(v.GetProperty("leafHash"), out bool leafStrict);
        Hash[] proof = MerkleVectors.Proof(v, out bool proofStrict);
        long index = MerkleVectors.Number(v.GetProperty("leafIdx"), out bool indexStrict);
        long size = MerkleVectors.Number(v.GetProperty("treeSize"), out bool sizeStrict);
        bool strict = rootStrict && leafStrict && proofStrict && indexStrict && sizeStrict;
        bool verified = InclusionProof.Verify(index, size, leaf, proof, root);

        if (v.GetProperty("wantErr").GetBoolean())
        {
            // A value a strict parser refuses already fails the vector, whatever its stand-in does.
            Assert.False(strict && verified);
        }
        else
        {
            Assert.True(strict, "a happy-path vector with a value that is not a hash or an int64");
            Assert.True(verified);
        }
    }

    [Fact]
    public void proofs_of_the_reference_tree_equal_the_happy_path_vectors()
    {
        var store = Rfc6962Tests.ReferenceTree();
        int compared = 0;
        foreach (string file in MerkleVectors.Files("inclusion").Where(f => f.EndsWith("happy-path.json")))
        {
            JsonElement v = MerkleVectors.Load("inclusion", file);
            long size = v.GetProperty("treeSize").GetInt64();
            Assert.Equal(MerkleVectors.HashOrStandIn(v.GetProperty("root"), out _), StoredHashes.TreeHash(size, store));
            Assert.Equal(MerkleVectors.Proof(v, out _), InclusionProof.Prove(v.GetProperty("leafIdx").GetInt64(), size, store));
            compared++;
        }
        Assert.True(compared >= 5);
    }

    [Theory]
    [InlineData(-1, 5)]
    [InlineData(5, 5)]
    [InlineData(6, 5)]
    [InlineData(0, 0)]
    public void proving_a_leaf_outside_the_tree_throws(long index, long size)
    {
        var store = new MemoryHashStore();
        for (int i = 0; i < 5; i++) store.Append(Encoding.ASCII.GetBytes($"leaf {i}"));
        Assert.Throws<ArgumentOutOfRangeException>(() => InclusionProof.Prove(index, size, store));
    }

    [Fact]
    public void the_proof_for_a_single_leaf_tree_is_empty_and_the_leaf_is_the_root()
    {
        var store = new MemoryHashStore();
        store.Append("only"u8);
        Hash leaf = Rfc6962.HashLeaf("only"u8);
        Assert.Empty(InclusionProof.Prove(0, 1, store));
        Assert.True(InclusionProof.Verify(0, 1, leaf, [], leaf));
        Assert.False(InclusionProof.Verify(0, 1, leaf, [leaf], leaf));
    }
}
