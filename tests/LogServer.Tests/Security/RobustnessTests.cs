using System.Net;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// JSON a client should not send (RFC 7493 says why): lone surrogates, numbers out of range, deep nesting. Each, on
/// every POST route, is the client's mistake: a 4xx, nothing logged at error level, nothing changed.
/// </summary>
public sealed class RobustnessTests(LimitsFixture fixture) : IClassFixture<LimitsFixture>
{
    private HttpClient Client => fixture.Client;

    /// <summary>The bad values, as JSON text.</summary>
    public static readonly string[] Attacks =
    [
        "\"\\ud800\"",
        "\"a\\udc00b\"",
        "1e400",
        "123456789012345678901234567890",
        new string('[', 1000) + new string(']', 1000),
        string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000),
    ];

    /// <summary>Each POST route with a body holding <c>ATTACK</c> where a value goes (in claims, where a route has them).</summary>
    public static readonly (string Route, string Path, string Body, bool Idempotent)[] Routes =
    [
        ("mint", "v1/attestations/mint", """{"issuer_id":"{issuer}","kid":"{kid}","alg":"Ed25519","schema":"custom","claims":{"subject":"s","type":"t","details":"d","extra":ATTACK}}""", true),
        ("mint, a listed claim", "v1/attestations/mint", """{"issuer_id":"{issuer}","kid":"{kid}","alg":"Ed25519","schema":"custom","claims":{"subject":ATTACK,"type":"t","details":"d"}}""", true),
        ("supersede", "v1/attestations/{attestation}/supersede", """{"issuer_id":"{issuer}","kid":"{kid}","alg":"Ed25519","schema":"custom","claims":{"subject":"s","type":"t","details":"d","extra":ATTACK}}""", true),
        ("stamps", "v1/stamps", """{"content":"c","display_title":ATTACK}""", false),
        ("stamps, a tag", "v1/stamps", """{"content":"c","tags":[ATTACK]}""", false),
        ("issuers", "v1/issuers", """{"name":ATTACK}""", false),
        ("keys", "v1/issuers/{issuer}/keys", """{"kid":ATTACK}""", false),
        ("rotate", "v1/issuers/keys/{kid}/rotate", """{"new_kid":ATTACK}""", false),
        ("compromise", "v1/issuers/keys/{kid}/compromise", """{"compromised_at":ATTACK}""", false),
        ("api-keys", "v1/api-keys", """{"issuer_id":"{issuer}","name":"n","expires_at":ATTACK}""", false),
        ("packs", "v1/attestation-packs", """{"issuer_id":"{issuer}","name":ATTACK}""", false),
        ("revoke", "v1/attestations/{attestation}/revoke", """{"reason":ATTACK}""", false),
        ("verify, a signed payload", "v1/verify", """{"attestation":{"payload":{"claims":ATTACK},"signature":"AA"}}""", false),
        ("verify, a bundle", "v1/verify", """{"bundle":{"format":ATTACK}}""", false),
        ("verify, content", "v1/verify", """{"content":ATTACK}""", false),
        ("a property name", "v1/issuers", """{"name":"n",ATTACK:1}""", false),
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var route in Routes)
            for (int i = 0; i < Attacks.Length; i++)
                if (route.Route != "a property name" || Attacks[i].StartsWith('"')) data.Add(route.Route, i);
        return data;
    }

    public static TheoryData<string> RouteNames() => [.. Routes.Select(r => r.Route)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task a_body_with_bad_json_values_gets_a_4xx_and_no_error_is_logged(string route, int attack)
    {
        var (_, path, template, idempotent) = Routes.Single(r => r.Route == route);
        long size = await Client.TreeSize();
        int logged = fixture.Server.Output.Length;
        path = path.Replace("{issuer}", fixture.IssuerId).Replace("{kid}", fixture.Kid).Replace("{attestation}", fixture.AttestationId);
        string body = template.Replace("{issuer}", fixture.IssuerId).Replace("{kid}", fixture.Kid).Replace("ATTACK", Attacks[attack]);
        var (status, answer) = await Client.Post(path, body, idempotencyKey: idempotent ? Guid.NewGuid().ToString() : null);
        Assert.True((int)status is >= 400 and < 500, $"{route} with {Attacks[attack][..Math.Min(20, Attacks[attack].Length)]}: {(int)status} {answer.GetRawText()}");
        Assert.False(answer.GetProperty("success").GetBoolean());
        string output = fixture.Server.Output[logged..];
        Assert.DoesNotContain("fail:", output);
        Assert.DoesNotContain("Unhandled", output);
        Assert.Equal(size, await Client.TreeSize());
    }

    /// <summary>Bytes that are not UTF-8 (0xFF) inside a string, where a string value goes on each route.</summary>
    [Theory]
    [MemberData(nameof(RouteNames))]
    public async Task a_body_that_is_not_utf8_gets_a_400_and_no_error_is_logged(string route)
    {
        var (_, path, template, idempotent) = Routes.Single(r => r.Route == route);
        long size = await Client.TreeSize();
        int logged = fixture.Server.Output.Length;
        path = path.Replace("{issuer}", fixture.IssuerId).Replace("{kid}", fixture.Kid).Replace("{attestation}", fixture.AttestationId);
        var parts = template.Replace("{issuer}", fixture.IssuerId).Replace("{kid}", fixture.Kid).Split("ATTACK");
        byte[] body = [.. System.Text.Encoding.UTF8.GetBytes(parts[0]), .. "\"a"u8, 0xFF, .. "b\""u8, .. System.Text.Encoding.UTF8.GetBytes(parts[1])];
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
        if (idempotent) request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        string output = fixture.Server.Output[logged..];
        Assert.DoesNotContain("fail:", output);
        Assert.DoesNotContain("Unhandled", output);
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task a_grpc_mint_with_claims_nested_deeper_than_rest_allows_is_invalid_argument()
    {
        var nested = new JsonObject { ["x"] = 1 };
        for (int i = 0; i < 31; i++) nested = new JsonObject { ["a"] = nested };
        var claims = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(
            new JsonObject { ["subject"] = "s", ["type"] = "t", ["details"] = "d", ["extra"] = nested }.ToJsonString());
        var mint = new V1.MintRequest { IssuerId = fixture.IssuerId, Kid = fixture.Kid, Alg = "Ed25519", Schema = "custom", Claims = claims };
        long size = await Client.TreeSize();
        int logged = fixture.Server.Output.Length;
        var (status, message) = await RawGrpc.Call(fixture.Server, "/attest.v1.Attestations/Mint", mint, ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.True(status == 3, $"{status}: {message}"); // INVALID_ARGUMENT
        Assert.DoesNotContain("fail:", fixture.Server.Output[logged..]);
        Assert.Equal(size, await Client.TreeSize());
    }
}
