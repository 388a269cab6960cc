using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// <see cref="StatementHeader"/>, the strict reader of a Signed Statement's header that the monitor labels entries with:
/// it reads what an outside issuer signed, and answers false (never throws, never recurses without bound) on bytes
/// that are not exactly one tagged COSE_Sign1.
/// </summary>
public sealed class StatementHeaderTests
{
    [Fact]
    public void a_statement_reads_as_its_protected_header_claims_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var statement = MixedLog.Statement(key, "https://issuer.example", "pkg:npm/left-pad@1.3.0", "issuer-key-1", "{\"a\":1}"u8.ToArray());
        Assert.True(StatementHeader.IsStatement(statement));
        Assert.True(StatementHeader.TryRead(statement, out var h, out string problem), problem);
        Assert.Equal(-7, h!.Alg);
        Assert.Equal("ES256", h.AlgName);
        Assert.Equal("issuer-key-1", h.KidText);
        Assert.Equal("https://issuer.example", h.Iss);
        Assert.Equal("pkg:npm/left-pad@1.3.0", h.Sub);
        Assert.Equal("application/json", h.ContentType);
        Assert.Equal(0, h.UnprotectedCount);
        Assert.Equal(7, h.PayloadLength);
        Assert.Equal(64, h.SignatureLength);
    }

    [Fact]
    public void a_kid_that_is_not_printable_text_reads_as_hex_and_a_detached_payload_as_none()
    {
        var statement = Sign1(Header(w =>
        {
            w.WriteInt32(4);
            w.WriteByteString([0x00, 0xff, 0x10]);
        }, 1), unprotected: 0, payload: null);
        Assert.True(StatementHeader.TryRead(statement, out var h, out string problem), problem);
        Assert.Equal("00ff10", h!.KidText);
        Assert.Null(h.PayloadLength);
        Assert.Null(h.Iss);
    }

    [Fact]
    public void every_truncation_and_any_trailing_byte_is_refused_without_an_exception()
    {
        var statement = MixedLog.Statement("https://issuer.example", "artifact");
        for (int n = 0; n < statement.Length; n++) Assert.False(StatementHeader.TryRead(statement.AsMemory(0, n), out _, out _), $"{n} bytes read as a statement");
        Assert.False(StatementHeader.TryRead((byte[])[.. statement, 0x00], out _, out string problem));
        Assert.Contains("follow", problem);
    }

    [Theory]
    [InlineData("a JSON entry", "7b7d")]
    [InlineData("an untagged COSE_Sign1", "84404040a0")]
    [InlineData("another tag (COSE_Mac0, 17)", "d18440a0f640")]
    [InlineData("an array of 3", "d28340a040")]
    [InlineData("a protected header that is not a map", "d2844101a0f640")]
    [InlineData("a protected header with a byte after its map", "d28442a000a0f640")]
    [InlineData("an integer alg that is text", "d28444a1016145a0f640")]
    public void bytes_that_are_not_one_tagged_cose_sign1_are_refused(string what, string hex)
    {
        Assert.False(StatementHeader.TryRead(Convert.FromHexString(hex), out _, out string problem), what);
        Assert.StartsWith("not a COSE_Sign1 Signed Statement", problem);
    }

    [Fact]
    public void a_protected_header_with_a_key_twice_is_refused_so_no_two_readers_see_two_headers()
    {
        var twice = Sign1(Header(w =>
        {
            w.WriteInt32(1);
            w.WriteInt32(-7);
            w.WriteInt32(1);
            w.WriteInt32(-8);
        }, 2), unprotected: 0, payload: []);
        Assert.False(StatementHeader.TryRead(twice, out _, out _));
        var claimsTwice = Sign1(Header(w =>
        {
            w.WriteInt32(15);
            w.WriteStartMap(2);
            w.WriteInt32(1);
            w.WriteTextString("a");
            w.WriteInt32(1);
            w.WriteTextString("b");
            w.WriteEndMap();
        }, 1), unprotected: 0, payload: []);
        Assert.False(StatementHeader.TryRead(claimsTwice, out _, out _));
    }

    [Fact]
    public void cbor_nested_sixty_thousand_arrays_deep_is_refused_without_exhausting_the_stack()
    {
        // d2 84 40 a0 then 60,000 × 0x81 (an array of one) and 0x40: no byte string where the payload must be.
        var deep = new List<byte> { 0xD2, 0x84, 0x40, 0xA0 };
        deep.AddRange(Enumerable.Repeat((byte)0x81, 60_000));
        deep.AddRange([0x40, 0x40]);
        Assert.False(StatementHeader.TryRead(deep.ToArray(), out _, out _));
        // And as a header value the reader would skip: the same nesting inside the protected header's map stops at
        // the CBOR reader's depth limit (64), before any deep recursion.
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(1);
        w.WriteInt32(99);
        for (int i = 0; i < 60_000; i++) w.WriteStartArray(1);
        w.WriteInt32(0);
        for (int i = 0; i < 60_000; i++) w.WriteEndArray();
        w.WriteEndMap();
        var statement = Sign1(w.Encode(), unprotected: 0, payload: []);
        Assert.False(StatementHeader.TryRead(statement, out _, out string problem));
        Assert.Contains("depth", problem);
    }

    [Fact]
    public void a_non_empty_unprotected_header_is_counted_so_a_reader_can_tell_it_from_a_logged_statement()
    {
        Assert.True(StatementHeader.TryRead(Sign1(Header(_ => { }, 0), unprotected: 1, payload: []), out var h, out string problem), problem);
        Assert.Equal(1, h!.UnprotectedCount);
    }

    private static byte[] Header(Action<CborWriter> members, int count)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(count);
        members(w);
        w.WriteEndMap();
        return w.Encode();
    }

    private static byte[] Sign1(byte[] protectedHeader, int unprotected, byte[]? payload)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteTag((CborTag)18);
        w.WriteStartArray(4);
        w.WriteByteString(protectedHeader);
        w.WriteStartMap(unprotected);
        for (int i = 0; i < unprotected; i++)
        {
            w.WriteInt32(394 + i);
            w.WriteStartArray(0);
            w.WriteEndArray();
        }
        w.WriteEndMap();
        if (payload is null) w.WriteNull();
        else w.WriteByteString(payload);
        w.WriteByteString(Encoding.UTF8.GetBytes("not a real signature"));
        w.WriteEndArray();
        return w.Encode();
    }
}
