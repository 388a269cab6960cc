using System.Formats.Cbor;
using System.Net;
using System.Security.Cryptography;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// What the registration policy lets into the log of a protected header it does not otherwise read: every reader of the
/// log decodes it, so its nesting is bounded, and the issuer is named in one spelling only.
/// </summary>
public sealed class ProtectedHeaderTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    /// <summary>A protected header of alg, kid and the CWT claims, then <paramref name="extra"/> (encoded label-value pairs).</summary>
    internal static byte[] Header(string kid, string iss, int extraPairs = 0, byte[]? extra = null)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(3);
        w.WriteInt64(CoseHeader.Alg); w.WriteInt64(CoseKey.ES256);
        w.WriteInt64(CoseHeader.Kid); w.WriteByteString(System.Text.Encoding.UTF8.GetBytes(kid));
        w.WriteInt64(CoseHeader.CwtClaims);
        w.WriteStartMap(2);
        w.WriteInt64(CoseHeader.IssClaim); w.WriteTextString(iss);
        w.WriteInt64(CoseHeader.SubClaim); w.WriteTextString("pkg:header");
        w.WriteEndMap();
        w.WriteEndMap();
        // The writer checks what it is given (to 64 levels), so the extra pairs go in as raw bytes, counted in the map's head.
        byte[] header = [.. w.Encode(), .. extra ?? []];
        header[0] = (byte)(0xA3 + extraPairs);
        return header;
    }

    private static byte[] Bstr(byte[] content)
    {
        var w = new CborWriter();
        w.WriteByteString(content);
        return w.Encode();
    }

    internal static byte[] Sign(ECDsa key, byte[] header, string payload)
    {
        byte[] body = System.Text.Encoding.UTF8.GetBytes(payload);
        byte[] signature = key.SignData(CoseSign1.SigStructure(header, body), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return [0xD2, 0x84, .. Bstr(header), 0xA0, .. Bstr(body), .. Bstr(signature)];
    }

    private Task<(string IssuerId, string Kid, ECDsa Key)> IssuerWithKey() => IssuerWithKey(Client);

    internal static async Task<(string IssuerId, string Kid, ECDsa Key)> IssuerWithKey(HttpClient Client)
    {
        string issuerId = await Client.CreateIssuer();
        string kid = AttestApi.NewKid();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await Client.AddEs256Key(issuerId, kid, key);
        return (issuerId, kid, key);
    }

    private static byte[] Arrays(int depth) => [.. Enumerable.Repeat((byte)0x81, depth), 0x00];

    [Fact]
    public async Task a_protected_header_nested_deeper_than_decoders_recurse_is_refused_and_appends_nothing()
    {
        var (issuerId, kid, key) = await IssuerWithKey();
        using var _ = key;
        // Label 99 holds the nesting; the header map is level 1, so 15 arrays reach level 16, the most taken.
        var deepest = Sign(key, Header(kid, issuerId, 1, [0x18, 99, .. Arrays(15)]), "at the limit");
        var refused = new (string Name, byte[] Statement)[]
        {
            ("one level too deep", Sign(key, Header(kid, issuerId, 1, [0x18, 99, .. Arrays(16)]), "a")),
            ("30,000 arrays under an integer label", Sign(key, Header(kid, issuerId, 1, [0x18, 99, .. Arrays(30_000)]), "b")),
            ("60,000 tags under a text label", Sign(key, Header(kid, issuerId, 1, [0x61, (byte)'x', .. Enumerable.Repeat((byte)0xC6, 60_000), 0x00]), "c")),
            ("placeholder", []),
        };
        // The CWT claims with a claim 99 of 20 nested maps: the claims map itself is level 2.
        var claims = new CborWriter(CborConformanceMode.Lax);
        claims.WriteStartMap(3);
        claims.WriteInt64(CoseHeader.Alg); claims.WriteInt64(CoseKey.ES256);
        claims.WriteInt64(CoseHeader.Kid); claims.WriteByteString(System.Text.Encoding.UTF8.GetBytes(kid));
        claims.WriteInt64(CoseHeader.CwtClaims);
        claims.WriteStartMap(3);
        claims.WriteInt64(CoseHeader.IssClaim); claims.WriteTextString(issuerId);
        claims.WriteInt64(CoseHeader.SubClaim); claims.WriteTextString("s");
        claims.WriteInt64(99);
        for (int i = 0; i < 20; i++) { claims.WriteStartMap(1); claims.WriteInt64(0); }
        claims.WriteNull();
        for (int i = 0; i < 20; i++) claims.WriteEndMap();
        claims.WriteEndMap();
        claims.WriteEndMap();
        refused[^1] = ("20 maps in a CWT claim", Sign(key, claims.Encode(), "d"));

        long before = await Client.TreeSize();
        var answers = new List<ScrapiResponse>();
        foreach (var (name, statement) in refused)
        {
            var r = await Client.Register(statement);
            Assert.True(r.Status == HttpStatusCode.BadRequest, $"{name}: {r.Status}");
            answers.Add(r);
        }
        var problems = await ScittClient.DecodeProblems(answers.Select(a => a.Body));
        Assert.All(problems, p => Assert.Equal("invalid_protected_header", p.Str("error")));
        Assert.Equal(before, await Client.TreeSize());

        var taken = await Client.Register(deepest);
        Assert.True(taken.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, taken.Status.ToString());
    }

    [Fact]
    public async Task an_iss_spelling_the_issuer_id_other_than_the_service_writes_it_is_refused()
    {
        var (issuerId, kid, key) = await IssuerWithKey();
        using var _ = key;
        long before = await Client.TreeSize();
        foreach (string iss in new[] { issuerId.ToUpperInvariant(), " " + issuerId, issuerId + " " })
        {
            var r = await Client.Register(Sign(key, Header(kid, iss), "spelled " + iss));
            Assert.True(r.Status == HttpStatusCode.BadRequest, $"\"{iss}\": {r.Status}");
            Assert.Equal("unknown_issuer", (await ScittClient.DecodeProblems([r.Body]))[0].Str("error"));
        }
        Assert.Equal(before, await Client.TreeSize());
        var taken = await Client.Register(Sign(key, Header(kid, issuerId), "spelled as written"));
        Assert.True(taken.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, taken.Status.ToString());
    }

    [Fact]
    public async Task a_protected_header_with_receipts_is_refused_since_its_transparent_statement_would_carry_394_twice()
    {
        var (issuerId, kid, key) = await IssuerWithKey();
        using var _ = key;
        long before = await Client.TreeSize();
        // 394: [h''], a "receipt" the issuer wrote itself, where the service's receipts go in the unprotected header.
        var r = await Client.Register(Sign(key, Header(kid, issuerId, 1, [0x19, 0x01, 0x8A, 0x81, 0x40]), "self-receipted"));
        Assert.True(r.Status == HttpStatusCode.BadRequest, r.Status.ToString());
        Assert.Equal("invalid_protected_header", (await ScittClient.DecodeProblems([r.Body]))[0].Str("error"));
        Assert.Equal(before, await Client.TreeSize());
    }
}
