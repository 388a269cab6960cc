using System.Net;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// The COSE_Sign1 envelope is not signed, so anyone holding a statement could re-encode its heads; the service takes
/// only the preferred serialization, and a signed statement registered again in another encoding is no second entry.
/// </summary>
public sealed class StatementEncodingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task a_statement_re_encoded_with_longer_heads_is_refused_so_one_signed_statement_has_one_entry()
    {
        var (issuerId, kid, key) = await ProtectedHeaderTests.IssuerWithKey(Client);
        using var _ = key;
        var statement = ProtectedHeaderTests.Sign(key, ProtectedHeaderTests.Header(kid, issuerId), "once");
        const int protectedHead = 2;
        Assert.Equal(0x58, statement[protectedHead]); // a bstr with a one-byte length
        int unprotectedAt = protectedHead + 2 + statement[protectedHead + 1];
        Assert.Equal(0xA0, statement[unprotectedAt]);
        int payloadAt = unprotectedAt + 1;
        Assert.Equal(0x44, statement[payloadAt]); // "once": a 4-byte bstr
        var reencoded = new (string Name, byte[] Bytes)[]
        {
            ("array head 0x98 0x04", [0xD2, 0x98, 0x04, .. statement[2..]]),
            ("array head 0x9A 0x00000004", [0xD2, 0x9A, 0, 0, 0, 4, .. statement[2..]]),
            ("empty map head 0xB8 0x00", [.. statement[..unprotectedAt], 0xB8, 0x00, .. statement[(unprotectedAt + 1)..]]),
            ("payload length 0x58 0x04", [.. statement[..payloadAt], 0x58, 0x04, .. statement[(payloadAt + 1)..]]),
            ("signature length 0x59 0x0040", [.. statement[..^66], 0x59, 0x00, 0x40, .. statement[^64..]]),
        };
        Assert.Equal(0x58, statement[^66]);
        long before = await Client.TreeSize();
        foreach (var (name, bytes) in reencoded)
        {
            var r = await Client.Register(bytes);
            Assert.True(r.Status == HttpStatusCode.BadRequest, $"{name}: {r.Status} {r.Location}");
            Assert.Equal("not_cose_sign1", (await ScittClient.DecodeProblems([r.Body]))[0].Str("error"));
        }
        Assert.Equal(before, await Client.TreeSize());
        var taken = await Client.Register(statement);
        Assert.True(taken.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, taken.Status.ToString());
        Assert.Equal(before + 1, await Client.TreeSize());
    }
}
