using System.Security.Cryptography;
using System.Text;

namespace Attest.Merkle.Tests;

public class Sha256Tests
{
    [Fact]
    public void this_machine_hashes_through_libcrypto_directly()
    {
        // The fallback gives the same digests, so only this says whether the fast path is the one in use.
        Assert.True(Sha256.Direct, "libcrypto.so.3 (Debian package libssl3) should export SHA256_Init/Update/Final");
    }

    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void it_gives_the_fips_180_example_digests(string message, string digest)
    {
        Assert.Equal(digest, Convert.ToHexStringLower(Sha256.Hash(Encoding.ASCII.GetBytes(message))));
    }

    [Fact]
    public void it_agrees_with_dotnet_on_every_length_across_several_blocks_and_on_a_large_input()
    {
        var data = new byte[1 << 20];
        new Random(6962).NextBytes(data);
        Span<byte> digest = stackalloc byte[Sha256.Size];
        for (int n = 0; n <= 300; n++)
        {
            Sha256.Hash(data.AsSpan(0, n), digest);
            Assert.True(digest.SequenceEqual(SHA256.HashData(data.AsSpan(0, n))), $"length {n}");
        }
        Assert.Equal(SHA256.HashData(data), Sha256.Hash(data));
    }

    [Fact]
    public void it_writes_only_the_first_32_bytes_and_refuses_a_short_digest_buffer()
    {
        var digest = new byte[40];
        Array.Fill(digest, (byte)0xEE);
        Sha256.Hash("abc"u8, digest);
        Assert.Equal(SHA256.HashData("abc"u8), digest[..32]);
        Assert.All(digest[32..], b => Assert.Equal(0xEE, b));
        Assert.Throws<ArgumentException>(() => Sha256.Hash("abc"u8, new byte[31]));
    }
}
