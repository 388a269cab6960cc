using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Grpc;
using Attest.Merkle;
using Attest.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Tests;

/// <summary>The gRPC request as its REST body, written in one pass, against the proto3 JSON mapping's own formatter.</summary>
public sealed class GrpcRequestBodyTests
{
    private static Struct Claims() => Struct.Parser.ParseJson("""
        {"n":42,"f":-0.5,"big":1e21,"tiny":5e-324,"t":true,"no":false,"none":null,"s":"Zoë \u2028 \"q\" <b>&amp; 😀",
         "list":[1,"two",[3],{"four":4},null],"nested":{"deeper":{"x":[]}},"empty":{}}
        """);

    public static TheoryData<string, IMessage, string[]> Messages() => new()
    {
        { "an empty mint", new V1.MintRequest(), ["payload"] },
        { "a full mint", new V1.MintRequest
        {
            IssuerId = Guid.NewGuid().ToString(), Kid = "k-1", Alg = "Ed25519", Schema = "custom", Claims = Claims(), RecipientEmail = "a@example.org",
            DocumentHash = new string('c', 64), PackId = Guid.NewGuid().ToString(), ContentType = "application/pdf", Payload = ByteString.CopyFrom([0xfb, 0xff, 0xbf, 1, 2]),
        }, ["payload"] },
        { "a mint with empty claims", new V1.MintRequest { Claims = new Struct() }, ["payload"] },
        { "a supersede (a nested message, bytes in standard base64)", new SupersedeRequest
        {
            Id = Guid.NewGuid().ToString(), Attestation = new V1.MintRequest { Kid = "k", Payload = ByteString.CopyFrom([0xfb, 0xff]) },
        }, [] },
        { "a verify by an empty oneof string", new VerifyRequest { ContentHash = "" }, ["document"] },
        { "a verify by a signed attestation", new VerifyRequest
        {
            Attestation = new SignedAttestation { Payload = Claims(), Signature = "c2ln" }, Document = ByteString.CopyFrom([0xfe, 0xfe, 0xfe]),
        }, ["document"] },
        { "a verify by a bundle", new VerifyRequest { Bundle = Claims() }, ["document"] },
        { "a stamp with tags", new CreateStampRequest { Content = "hello", Visibility = "public", Tags = { "x", "", "z" } }, [] },
        { "a stamp without tags", new CreateStampRequest { ContentHash = new string('d', 64) }, [] },
        { "a key compromise", new CompromiseKeyRequest { Kid = "k-1", CompromisedAt = "2026-11-23T12:00:00Z" }, [] },
        { "an inclusion proof request (64-bit integers)", new InclusionProofRequest { Index = 1L << 40, TreeSize = -3 }, [] },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void a_request_body_is_what_the_proto3_json_mapping_gives(string what, IMessage message, string[] base64UrlFields)
    {
        var expected = Jcs.Canonicalize(FormatterBody(message, base64UrlFields));
        Assert.True(expected.AsSpan().SequenceEqual(Jcs.Canonicalize(ProtoJson.Body(message, base64UrlFields))), what);
    }

    [Theory]
    [InlineData("a Value with no kind")]
    [InlineData("a NaN number")]
    [InlineData("an infinite number")]
    public void a_value_json_cannot_hold_is_a_bad_request(string what)
    {
        var claims = new Struct();
        claims.Fields["x"] = Value.ForList(what switch
        {
            "a Value with no kind" => new Value(),
            "a NaN number" => Value.ForNumber(double.NaN),
            _ => Value.ForNumber(double.NegativeInfinity),
        });
        var e = Assert.Throws<ApiError>(() => ProtoJson.Body(new V1.MintRequest { Claims = claims }));
        Assert.Equal("invalid_field", e.Code);
    }

    /// <summary>The reference: Google.Protobuf's formatter with proto field names, then the named bytes as base64url.</summary>
    private static JsonElement FormatterBody(IMessage message, string[] base64UrlFields)
    {
        var node = JsonNode.Parse(new JsonFormatter(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true)).Format(message))!.AsObject();
        foreach (var name in base64UrlFields)
            if (node[name] is JsonValue v && v.TryGetValue(out string? b64))
                node[name] = b64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return JsonDocument.Parse(node.ToJsonString()).RootElement;
    }
}
