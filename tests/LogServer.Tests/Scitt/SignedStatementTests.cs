using System.Formats.Cbor;
using Attest.LogServer.Scitt;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>The strict parsing of untrusted statement bytes: what is refused and with which code, and that nothing odd crashes it.</summary>
public sealed class SignedStatementTests
{
    private static byte[] Protected(Action<CborWriter>? extra = null, int entries = 3, bool claims = true)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(extra is null ? entries : entries + 1);
        w.WriteInt32(1);
        w.WriteInt32(-7);
        w.WriteInt32(4);
        w.WriteByteString("kid-1"u8);
        w.WriteInt32(15);
        if (claims)
        {
            w.WriteStartMap(2);
            w.WriteInt32(1);
            w.WriteTextString("iss");
            w.WriteInt32(2);
            w.WriteTextString("sub");
            w.WriteEndMap();
        }
        else w.WriteInt32(0);
        extra?.Invoke(w);
        w.WriteEndMap();
        return w.Encode();
    }

    private static byte[] Sign1(byte[] protectedHeader, Action<CborWriter>? unprotected = null, byte[]? payload = null)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteTag((CborTag)18);
        w.WriteStartArray(4);
        w.WriteByteString(protectedHeader);
        if (unprotected is null)
        {
            w.WriteStartMap(0);
            w.WriteEndMap();
        }
        else unprotected(w);
        w.WriteByteString(payload ?? "payload"u8.ToArray());
        w.WriteByteString(new byte[64]);
        w.WriteEndArray();
        return w.Encode();
    }

    private static string Refusal(byte[] bytes) => Assert.Throws<StatementFormatException>(() => SignedStatement.Parse(bytes)).Code;

    [Fact]
    public void a_well_formed_statement_parses_into_its_alg_kid_issuer_and_subject_and_its_sig_structure()
    {
        var s = SignedStatement.Parse(Sign1(Protected()));
        Assert.Equal((-7, "kid-1", "iss", "sub"), (s.Alg, s.Kid, s.Issuer, s.Subject));
        var tbs = new CborReader(s.ToBeSigned());
        Assert.Equal(4, tbs.ReadStartArray());
        Assert.Equal("Signature1", tbs.ReadTextString());
        Assert.Equal(Protected(), tbs.ReadByteString());
        Assert.Empty(tbs.ReadByteString());
        Assert.Equal("payload"u8.ToArray(), tbs.ReadByteString());
    }

    [Fact]
    public void duplicate_keys_indefinite_lengths_and_unknown_critical_labels_are_refused()
    {
        // A second alg in the protected header: which one counts is never guessed.
        Assert.Equal("not_cose_sign1", Refusal(Sign1(Protected(w => { w.WriteInt32(1); w.WriteInt32(-8); }))));
        // An indefinite-length unprotected map, and an indefinite-length payload.
        Assert.Equal("not_cose_sign1", Refusal(Sign1(Protected(), w => { w.WriteStartMap(null); w.WriteEndMap(); })));
        var indefinitePayload = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        indefinitePayload.WriteTag((CborTag)18);
        indefinitePayload.WriteStartArray(4);
        indefinitePayload.WriteByteString(Protected());
        indefinitePayload.WriteStartMap(0);
        indefinitePayload.WriteEndMap();
        indefinitePayload.WriteStartIndefiniteLengthByteString();
        indefinitePayload.WriteByteString("pay"u8);
        indefinitePayload.WriteEndIndefiniteLengthByteString();
        indefinitePayload.WriteByteString(new byte[64]);
        indefinitePayload.WriteEndArray();
        Assert.Equal("not_cose_sign1", Refusal(indefinitePayload.Encode()));
        Assert.Equal("invalid_protected_header", Refusal(Sign1(Protected(w => { w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(99); w.WriteEndArray(); }))));
        Assert.Equal("missing_cwt_claims", Refusal(Sign1(Protected(claims: false))));
        // alg -16 (SHA-256, not a signature algorithm) where -7 was.
        Assert.Equal("unsupported_alg", Refusal(Sign1([.. Protected().Select((b, i) => i == 2 ? (byte)0x2F : b)])));
    }

    [Fact]
    public void deeply_nested_values_in_a_claim_are_skipped_without_exhausting_the_stack()
    {
        const int depth = 60_000;
        // Protected() with a fourth entry, 99 => [[[...[0]...]]], written by hand (a writer would validate it by reading it).
        var three = Protected();
        byte[] header = [0xA4, .. three[1..], 0x18, 99, .. Enumerable.Repeat((byte)0x81, depth), 0x00];
        var s = SignedStatement.Parse(Sign1(header));
        Assert.Equal("iss", s.Issuer);
    }

    [Fact]
    public void random_bytes_after_the_tag_are_refused_with_a_code_never_another_exception()
    {
        var random = new Random(23);
        var valid = Sign1(Protected());
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = valid.ToArray();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++) bytes[random.Next(1, bytes.Length)] = (byte)random.Next(256);
            try
            {
                SignedStatement.Parse(bytes);
            }
            catch (StatementFormatException)
            {
            }
        }
    }
}
