using System.Security.Cryptography;
using System.Text;
using Attest.Verification.Scitt;

namespace Attest.Cli.Tests.Scitt;

/// <summary>
/// The strict parsers of <see cref="Attest.Verification.Scitt"/> on hostile bytes, in process: every mutation of a
/// valid Transparent Statement is refused with the one documented exception or verified INVALID, and nothing
/// but the original statement is ever VALID.
/// </summary>
public sealed class ScittParsingTests
{
    [Fact]
    public void no_mutation_of_a_transparent_statement_crashes_the_verifier_or_verifies_another_statement()
    {
        using var service = new TestReceipts();
        using var issuer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] statement = Statement(issuer, "release 2.0");
        var log = Enumerable.Range(0, 6).Select(i => Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")).Append(statement).ToList();
        byte[] transparent = TestReceipts.Transparent(statement, service.Receipt(log, 6));
        var keys = CoseKey.ReadKeySet(service.KeySet());
        Assert.True(Verify(transparent, keys).Ok); // the original verifies

        var random = new Random(23);
        int refused = 0, invalid = 0;
        for (int round = 0; round < 3000; round++)
        {
            byte[] mutated = (byte[])transparent.Clone();
            switch (round % 3)
            {
                case 0: mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: mutated[random.Next(mutated.Length)] = (byte)random.Next(256); break;
                default: mutated = mutated[..random.Next(mutated.Length)]; break;
            }
            try
            {
                var report = Verify(mutated, keys);
                if (report.Ok) Assert.Equal(Convert.ToHexStringLower(TestReceipts.Leaf(statement).Bytes), report.LeafHashHex);
                else invalid++;
            }
            catch (CoseFormatException)
            {
                refused++;
            }
        }
        Assert.True(refused > 0 && invalid > 0, $"refused {refused}, invalid {invalid}");
    }

    [Theory]
    [InlineData("d2", "not a well-formed")] // truncated
    [InlineData("d28443a10126a0f641", "not a well-formed")] // signature truncated
    [InlineData("d1844043a10126f640", "tag 18")] // COSE_Mac0's tag
    [InlineData("d28340a0f6", "exactly 4")]
    [InlineData("d29f40a0f640ff", "exactly 4")] // an indefinite-length array
    [InlineData("d2845f4100ffa0f640", "indefinite-length")] // an indefinite-length protected bstr
    [InlineData("d28443a10126a2010101f640", "not a well-formed")] // a duplicate label: strict CBOR refuses it
    [InlineData("d28443a10126a10126f640", "both the protected and the unprotected header")]
    [InlineData("d28443a10126a0f64000", "bytes follow")]
    [InlineData("d2844ba1013bffffffffffffffffa0f640", "not well-formed")] // alg -2^64: out of range for a label's value
    public void malformed_cose_sign1_is_refused_with_its_reason(string hex, string reason)
    {
        var e = Assert.Throws<CoseFormatException>(() => SignedStatement.Parse(CoseSign1.Decode(Convert.FromHexString(hex))));
        Assert.Contains(reason, e.Message);
    }

    private static ScittReport Verify(byte[] transparent, IReadOnlyList<CoseKey> keys)
    {
        var message = CoseSign1.Decode(transparent);
        var receipts = TransparentStatement.Receipts(message);
        var statement = SignedStatement.Parse(message);
        return ScittVerifier.Verify(statement.LoggedBytes(), statement, receipts, keys, null);
    }

    private static byte[] Statement(ECDsa key, string payload)
    {
        byte[] protectedHeader = Convert.FromHexString("a3" + "0126" + "04" + "42" + "6b31" + "0f" + "a2" + "01" + "63697373" + "02" + "63737562"); // {1:-7, 4:h'6b31', 15:{1:"iss", 2:"sub"}}
        byte[] body = Encoding.UTF8.GetBytes(payload);
        byte[] signature = key.SignData(CoseSign1.SigStructure(protectedHeader, body), HashAlgorithmName.SHA256);
        return CoseSign1.Encode(protectedHeader, [0xA0], body, detached: false, signature);
    }
}
