namespace Attest.Merkle.Tests;

public class Ed25519Tests
{
    // RFC 8032 §7.1, TEST 1: the empty message.
    private static readonly byte[] Rfc8032Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static readonly byte[] Rfc8032PublicKey = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    private static readonly byte[] Rfc8032Signature = Convert.FromHexString(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

    [Fact]
    public void rfc8032_test_1_derives_the_public_key_and_signs_the_empty_message_as_published()
    {
        using var key = Ed25519PrivateKey.FromSeed(Rfc8032Seed);
        Assert.Equal(Rfc8032PublicKey, key.PublicKey.ToArray());
        Assert.Equal(Rfc8032Signature, key.Sign([]));
        Assert.True(Ed25519.Verify(Rfc8032PublicKey, [], Rfc8032Signature));
    }

    [Fact]
    public void verify_fails_for_a_modified_message_signature_or_key()
    {
        using var key = Ed25519PrivateKey.FromSeed(Rfc8032Seed);
        var message = "attest"u8.ToArray();
        var signature = key.Sign(message);
        Assert.True(Ed25519.Verify(key.PublicKey, message, signature));

        Assert.False(Ed25519.Verify(key.PublicKey, "attesT"u8, signature));
        Assert.False(Ed25519.Verify(key.PublicKey, [], signature));
        var badSignature = (byte[])signature.Clone();
        badSignature[10] ^= 1;
        Assert.False(Ed25519.Verify(key.PublicKey, message, badSignature));
        using var other = Ed25519PrivateKey.Generate();
        Assert.False(Ed25519.Verify(other.PublicKey, message, signature));
    }

    [Fact]
    public void verify_treats_wrong_lengths_as_invalid_signatures()
    {
        Assert.False(Ed25519.Verify(Rfc8032PublicKey.AsSpan(1), [], Rfc8032Signature));
        Assert.False(Ed25519.Verify([.. Rfc8032PublicKey, 0], [], Rfc8032Signature));
        Assert.False(Ed25519.Verify(Rfc8032PublicKey, [], Rfc8032Signature.AsSpan(1)));
        Assert.False(Ed25519.Verify(Rfc8032PublicKey, [], [.. Rfc8032Signature, 0]));
        Assert.False(Ed25519PublicKey.TryImport(Rfc8032PublicKey.AsSpan(1), out _));
        Assert.True(Ed25519PublicKey.TryImport(Rfc8032PublicKey, out var key));
        Assert.False(key.Verify([], Rfc8032Signature.AsSpan(1)));
    }

    [Fact]
    public void an_imported_public_key_verifies_what_the_one_off_check_verifies()
    {
        Assert.True(Ed25519PublicKey.TryImport(Rfc8032PublicKey, out var key));
        Assert.Equal(Rfc8032PublicKey, key.Bytes.ToArray());
        Assert.True(key.Verify([], Rfc8032Signature));
        Assert.False(key.Verify([0], Rfc8032Signature));
    }

    [Fact]
    public void wrong_sizes_of_seed_or_signature_buffer_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => Ed25519PrivateKey.FromSeed(new byte[31]));
        using var key = Ed25519PrivateKey.FromSeed(Rfc8032Seed);
        Assert.Throws<ArgumentException>(() => key.Sign([], new byte[63]));
        Assert.Throws<ArgumentException>(() => key.ExportSeed(new byte[33]));
    }

    [Fact]
    public void the_exported_seed_rebuilds_the_same_key()
    {
        using var key = Ed25519PrivateKey.Generate();
        var seed = new byte[Ed25519.SeedSize];
        key.ExportSeed(seed);
        using var again = Ed25519PrivateKey.FromSeed(seed);
        Assert.Equal(key.PublicKey.ToArray(), again.PublicKey.ToArray());
        Assert.Equal(key.Sign("x"u8), again.Sign("x"u8));
    }

    [Fact]
    public void generated_keys_differ()
    {
        using var a = Ed25519PrivateKey.Generate();
        using var b = Ed25519PrivateKey.Generate();
        Assert.NotEqual(a.PublicKey.ToArray(), b.PublicKey.ToArray());
    }

    [Fact]
    public void a_disposed_key_no_longer_signs()
    {
        var key = Ed25519PrivateKey.FromSeed(Rfc8032Seed);
        key.Dispose();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Sign([]));
        Assert.Throws<ObjectDisposedException>(() => key.ExportSeed(new byte[Ed25519.SeedSize]));
    }

    [Fact]
    public void signing_and_verifying_under_an_imported_key_do_not_allocate()
    {
        using var key = Ed25519PrivateKey.FromSeed(Rfc8032Seed);
        Assert.True(Ed25519PublicKey.TryImport(key.PublicKey, out var publicKey));
        var message = new byte[1000];
        var signature = new byte[Ed25519.SignatureSize];
        key.Sign(message, signature);
        Assert.True(publicKey.Verify(message, signature)); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            key.Sign(message, signature);
            publicKey.Verify(message, signature);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void concurrent_signing_gives_the_deterministic_signature_every_time()
    {
        using var key = Ed25519PrivateKey.FromSeed(Rfc8032Seed);
        var results = new byte[64][];
        Parallel.For(0, results.Length, i => results[i] = key.Sign([]));
        Assert.All(results, r => Assert.Equal(Rfc8032Signature, r));
    }
}
