using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Tests;

/// <summary>Index keys are persisted in the FASTER index: their bytes must never change.</summary>
public sealed class IndexKeyTests
{
    [Theory]
    [InlineData("stamp-id", "019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10")]
    [InlineData("idempotency", "")]
    [InlineData("document-hash", "Zoë ✓ 𝄞")]
    [InlineData("kid-seq", 300)]
    [InlineData("kid-seq", 5000)]
    [InlineData("a-namespace-of-some-length", 700)]
    public void an_index_key_is_sha256_of_the_namespace_a_newline_and_the_value(string space, object value)
    {
        string v = value as string ?? new string('x', (int)value);
        var expected = MemoryMarshal.Read<IndexKey>(SHA256.HashData(Encoding.UTF8.GetBytes(space + "\n" + v)));
        Assert.Equal(expected, IndexKey.For(space, v));
        Assert.Equal(expected, IndexKey.For(space, Encoding.UTF8.GetBytes(v)));
    }
}
