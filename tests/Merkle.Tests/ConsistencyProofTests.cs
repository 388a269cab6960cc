using System.Text.Json;

namespace Attest.Merkle.Tests;

public class ConsistencyProofTests
{
    public static TheoryData<string> Vectors => MerkleVectors.Data("consistency");

    [Fact]
    public void the_consistency_vector_directory_is_not_empty()
    {
        Assert.True(MerkleVectors.Files("consistency").Length > 50);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void each_consistency_vector_verifies_exactly_when_wantErr_is_false(string file)
    {
        JsonElement v = MerkleVectors.Load("consistency", file);
        Hash root1 = MerkleVectors.HashOrStandIn(v.GetProperty("root1"), out bool root1Strict);
        Hash root2 = MerkleVectors.HashOrStandIn(v.GetProperty("root2"), out bool root2Strict);
        Hash[] proof = MerkleVectors.Proof(v, out bool proofStrict);
        long size1 = MerkleVectors.Number(v.GetProperty("size1"), out bool size1Strict);
        long size2 = MerkleVectors.Number(v.GetProperty("size2"), out bool size2Strict);
        bool verified = ConsistencyProof.Verify(size1, size2, proof, root1, root2);

        if (v.GetProperty("wantErr").GetBoolean())
        {
            // A value a strict parser refuses already fails the vector, whatever its stand-in does.
            Assert.False(root1Strict && root2Strict && proofStrict && size1Strict && size2Strict && verified);
        }
        else
        {
            // sizes-are-equal-one-and-proof-is-empty has two equal 12-byte "roots": the verifier only compares them,
            // so with equal stand-ins it must accept, though a strict parser would have refused the input.
            Assert.True(proofStrict && size1Strict && size2Strict);
            Assert.True(verified);
        }
    }

    [Fact]
    public void proofs_of_the_reference_tree_equal_the_happy_path_vectors()
    {
        var store = Rfc6962Tests.ReferenceTree();
        int compared = 0;
        foreach (string file in MerkleVectors.Files("consistency").Where(f => f.EndsWith("happy-path.json")))
        {
            JsonElement v = MerkleVectors.Load("consistency", file);
            long size1 = v.GetProperty("size1").GetInt64(), size2 = v.GetProperty("size2").GetInt64();
            Assert.Equal(MerkleVectors.HashOrStandIn(v.GetProperty("root2"), out _), StoredHashes.TreeHash(size2, store));
            Assert.Equal(MerkleVectors.Proof(v, out _), ConsistencyProof.Prove(size1, size2, store));
            compared++;
        }
        Assert.True(compared >= 5);
    }

    [Fact]
    public void size_zero_is_always_rejected_even_with_an_empty_proof()
    {
        var store = Rfc6962Tests.ReferenceTree();
        Hash root1 = StoredHashes.TreeHash(1, store);
        Assert.False(ConsistencyProof.Verify(0, 0, [], Rfc6962.EmptyRoot, Rfc6962.EmptyRoot));
        Assert.False(ConsistencyProof.Verify(0, 1, [], Rfc6962.EmptyRoot, root1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencyProof.Prove(0, 1, store));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencyProof.Prove(0, 0, store));
    }

    [Fact]
    public void equal_sizes_give_an_empty_proof_that_needs_equal_roots()
    {
        var store = Rfc6962Tests.ReferenceTree();
        Hash root = StoredHashes.TreeHash(5, store);
        Assert.Empty(ConsistencyProof.Prove(5, 5, store));
        Assert.True(ConsistencyProof.Verify(5, 5, [], root, root));
        Assert.False(ConsistencyProof.Verify(5, 5, [], root, StoredHashes.TreeHash(6, store)));
        Assert.False(ConsistencyProof.Verify(5, 5, [root], root, root));
    }

    [Theory]
    [InlineData(-1, 3)]
    [InlineData(4, 3)]
    [InlineData(3, 9)]
    public void proving_sizes_out_of_order_or_outside_the_store_throws(long size1, long size2)
    {
        var store = Rfc6962Tests.ReferenceTree();
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => ConsistencyProof.Prove(size1, size2, store));
    }
}
