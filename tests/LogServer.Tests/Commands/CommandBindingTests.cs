using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using Attest.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Tests.Commands;

/// <summary>
/// A gRPC message and the REST body a client sends for the same request (the message in the proto3 JSON mapping, which
/// names fields as REST does, with bytes as REST's unpadded base64url) bind to the same command, or fail with the same
/// error code: each transport maps its own form, and one validator decides.
/// </summary>
public sealed class CommandBindingTests
{
    private static readonly LimitOptions Limits = new();
    private const long MaxDocumentChars = 1 << 20;

    private static Struct DegreeClaims() => Struct.Parser.ParseJson("""
        {"student_name":"Zoë \u2028 \"q\" <b>&amp; 😀","institution":"Example University","degree_type":"BSc","field_of_study":"Mathematics",
         "graduation_date":"2025-06-30","honors":"cum laude","document":{"sha256":"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}}
        """);

    private static Struct AnyJson() => Struct.Parser.ParseJson("""
        {"subject":"s","type":"t","details":"d","n":42,"f":-0.5,"big":1e21,"tiny":5e-324,"t":true,"no":false,"none":null,
         "list":[1,"two",[3],{"four":4},null],"nested":{"deeper":{"x":[]}},"empty":{}}
        """);

    private static V1.MintRequest DefaultsMint() =>
        new() { IssuerId = Guid.NewGuid().ToString(), Kid = "k-1", Alg = "Ed25519", Schema = "degree", Claims = DegreeClaims() };

    private static V1.MintRequest FullMint() => new()
    {
        IssuerId = Guid.NewGuid().ToString(), Kid = "k-1", Alg = "Ed25519", Schema = "custom", Claims = AnyJson(), RecipientEmail = "a@example.org",
        DocumentHash = new string('C', 64), PackId = Guid.NewGuid().ToString(), ContentType = "application/pdf", Payload = ByteString.CopyFrom([0xfb, 0xff, 0xbf, 1, 2]),
    };

    public static TheoryData<string, V1.MintRequest> Mints() => new()
    {
        { "a mint with defaults to apply", DefaultsMint() },
        { "a full mint", FullMint() },
    };

    [Theory]
    [MemberData(nameof(Mints))]
    public void a_mint_message_and_its_rest_body_bind_to_one_command(string what, V1.MintRequest message)
    {
        var grpc = MintCommand.FromProto(message, Limits);
        var rest = MintCommand.FromJson(RestBody(message), Limits);
        Assert.Equal(rest.Digest("mint"), grpc.Digest("mint"));
        Assert.Equal(rest with { Claims = default, Payload = null, ClaimsJcs = Array.Empty<byte>() }, grpc with { Claims = default, Payload = null, ClaimsJcs = Array.Empty<byte>() });
        Assert.True(JsonElement.DeepEquals(rest.Claims, grpc.Claims), what);
        Assert.Equal(rest.ClaimsJcs, grpc.ClaimsJcs);
        Assert.Equal(rest.Payload, grpc.Payload);
    }

    [Fact]
    public void defaults_are_applied_before_the_digest_so_spelling_them_out_is_the_same_request()
    {
        var message = DefaultsMint();
        var spelled = message.Clone();
        spelled.ContentType = "application/json";
        spelled.DocumentHash = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
        Assert.Equal(MintCommand.FromProto(message, Limits).Digest("mint"), MintCommand.FromProto(spelled, Limits).Digest("mint"));
    }

    [Fact]
    public void a_digest_names_the_operation_its_target_and_every_field()
    {
        var mint = MintCommand.FromProto(FullMint(), Limits);
        var digests = new[]
        {
            mint.Digest("mint"), mint.Digest($"supersede {Guid.NewGuid()}"), (mint with { Kid = "k-2" }).Digest("mint"),
            (mint with { Payload = [1] }).Digest("mint"), (mint with { RecipientEmail = null }).Digest("mint"), (mint with { PackId = null }).Digest("mint"),
            (mint with { ClaimsJcs = """{"details":"other","subject":"s","type":"t"}"""u8.ToArray() }).Digest("mint"),
        };
        Assert.Equal(digests.Length, digests.Select(Convert.ToHexString).Distinct().Count());
    }

    public static TheoryData<string, CreateStampRequest> Stamps() => new()
    {
        { "a public stamp with tags", new CreateStampRequest { Content = "hello", Visibility = "public", DisplayTitle = "t", Tags = { "x", "z" } } },
        { "a stamp by hash", new CreateStampRequest { ContentHash = new string('D', 64) } },
        { "a hash-only stamp of content", new CreateStampRequest { Content = "hello" } },
    };

    [Theory]
    [MemberData(nameof(Stamps))]
    public void a_stamp_message_and_its_rest_body_bind_to_one_command(string what, CreateStampRequest message)
    {
        var grpc = StampCommand.FromProto(message, Limits);
        var rest = StampCommand.FromJson(RestBody(message), Limits);
        Assert.Equal(rest.Digest(), grpc.Digest());
        Assert.Equal(rest with { Tags = [] }, grpc with { Tags = [] });
        Assert.Equal(rest.Tags, grpc.Tags);
        Assert.NotNull(what);
    }

    [Fact]
    public void a_hash_only_stamp_of_content_is_the_same_request_as_a_stamp_of_its_hash()
    {
        var byContent = StampCommand.FromProto(new CreateStampRequest { Content = "hello" }, Limits);
        var byHash = StampCommand.FromProto(new CreateStampRequest { ContentHash = StampService.Sha256("hello").ToHex() }, Limits);
        Assert.Equal(byHash.Digest(), byContent.Digest());
    }

    public static TheoryData<string, VerifyRequest> Verifications() => new()
    {
        { "a verify by a signed attestation with a document", new VerifyRequest
        {
            Attestation = new SignedAttestation { Payload = AnyJson(), Signature = "c2ln" }, Document = ByteString.CopyFrom([0xfe, 0xfe, 0xfe]),
        } },
        { "a verify by a bundle with a policy", new VerifyRequest { Bundle = AnyJson(), Policy = "log example.org/log+0a0b0c0d+AQ" } },
        { "a verify by content", new VerifyRequest { Content = "hello" } },
        { "a verify by id with a document hash", new VerifyRequest { AttestationId = Guid.NewGuid().ToString(), DocumentSha256 = new string('E', 64) } },
        { "a verify by document hash", new VerifyRequest { DocumentHash = new string('F', 64) } },
    };

    [Theory]
    [MemberData(nameof(Verifications))]
    public void a_verify_message_and_its_rest_body_bind_to_one_command(string what, VerifyRequest message)
    {
        var grpc = VerifyCommand.FromProto(message, MaxDocumentChars);
        var rest = VerifyCommand.FromJson(RestBody(message, "document"), MaxDocumentChars);
        Assert.Equal((rest.Subject, rest.DocumentSha256, rest.Policy, rest.ContentHash, rest.AttestationId, rest.Signature, rest.DocumentHash),
            (grpc.Subject, grpc.DocumentSha256, grpc.Policy, grpc.ContentHash, grpc.AttestationId, grpc.Signature, grpc.DocumentHash));
        Assert.True(Same(rest.Payload, grpc.Payload) && Same(rest.Bundle, grpc.Bundle), what);
    }

    [Fact]
    public void issuer_messages_and_their_rest_bodies_bind_to_one_command()
    {
        var issuer = Guid.NewGuid().ToString();
        Assert.Equal(CreateIssuerCommand.FromJson(RestBody(new CreateIssuerRequest { Name = "Example" }), Limits),
            CreateIssuerCommand.FromProto(new CreateIssuerRequest { Name = "Example" }, Limits));
        Assert.Equal(CreateKeyCommand.FromJson(issuer, Json("""{"kid":"k-1"}"""), Limits),
            CreateKeyCommand.FromProto(new CreateKeyRequest { IssuerId = issuer, Kid = "k-1" }, Limits));
        Assert.Equal(RotateKeyCommand.FromJson("k-1", Json("""{"new_kid":"k-2"}"""), Limits),
            RotateKeyCommand.FromProto(new RotateKeyRequest { Kid = "k-1", NewKid = "k-2" }, Limits));
        Assert.Equal(CompromiseKeyCommand.FromJson("k-1", Json("""{"compromised_at":"2026-11-23T12:00:00Z"}"""), Limits),
            CompromiseKeyCommand.FromProto(new CompromiseKeyRequest { Kid = "k-1", CompromisedAt = "2026-11-23T12:00:00Z" }, Limits));
        Assert.Equal(CompromiseKeyCommand.FromJson("k-1", Json("{}"), Limits), CompromiseKeyCommand.FromProto(new CompromiseKeyRequest { Kid = "k-1" }, Limits));
        Assert.Equal(RevokeCommand.FromJson(issuer, Json("""{"reason":"issued in error"}"""), Limits),
            RevokeCommand.FromProto(new RevokeRequest { Id = issuer, Reason = "issued in error" }, Limits));
    }

    public static TheoryData<string, IMessage, string> Invalid() => new()
    {
        { "a mint without claims", new V1.MintRequest { IssuerId = Guid.NewGuid().ToString(), Kid = "k", Alg = "Ed25519", Schema = "degree" }, "invalid_field" },
        { "a mint of another alg", new V1.MintRequest { IssuerId = Guid.NewGuid().ToString(), Kid = "k", Alg = "ES256", Schema = "degree", Claims = DegreeClaims() }, "unsupported_alg" },
        { "a mint missing a claim", new V1.MintRequest { IssuerId = Guid.NewGuid().ToString(), Kid = "k", Alg = "Ed25519", Schema = "degree", Claims = new Struct() }, "missing_claim" },
        { "a mint with a bad id", new V1.MintRequest { IssuerId = "nope", Kid = "k", Alg = "Ed25519", Schema = "degree", Claims = DegreeClaims() }, "invalid_id" },
        { "an empty mint", new V1.MintRequest(), "missing_field" },
        { "a stamp by an empty hash", new CreateStampRequest { ContentHash = "" }, "invalid_content_hash" },
        { "a stamp of empty content", new CreateStampRequest { Content = "" }, "missing_content" },
        { "a public stamp by hash", new CreateStampRequest { ContentHash = new string('a', 64), Visibility = "public" }, "missing_content" },
        { "a stamp with an empty tag", new CreateStampRequest { Content = "x", Tags = { "x", "" } }, "invalid_field" },
        { "a verify of nothing", new VerifyRequest(), "missing_content" },
        { "a verify of a stamp with a document", new VerifyRequest { Content = "x", DocumentSha256 = new string('a', 64) }, "invalid_field" },
        { "a verify with a policy and no bundle", new VerifyRequest { DocumentHash = new string('a', 64), Policy = "p" }, "invalid_field" },
        { "a verify by a bad document hash", new VerifyRequest { DocumentHash = "xyz" }, "invalid_document_hash" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void an_invalid_message_and_its_rest_body_fail_with_one_code(string what, IMessage message, string code)
    {
        Func<object> grpc, rest;
        switch (message)
        {
            case V1.MintRequest m:
                (grpc, rest) = (() => MintCommand.FromProto(m, Limits), () => MintCommand.FromJson(RestBody(m), Limits));
                break;
            case CreateStampRequest s:
                (grpc, rest) = (() => StampCommand.FromProto(s, Limits), () => StampCommand.FromJson(RestBody(s), Limits));
                break;
            default:
                var v = (VerifyRequest)message;
                (grpc, rest) = (() => VerifyCommand.FromProto(v, MaxDocumentChars), () => VerifyCommand.FromJson(RestBody(v, "document"), MaxDocumentChars));
                break;
        }
        Assert.Equal((what, code), (what, Assert.Throws<DomainError>(grpc).Code));
        Assert.Equal((what, code), (what, Assert.Throws<DomainError>(rest).Code));
    }

    [Theory]
    [InlineData("a Value with no kind")]
    [InlineData("a NaN number")]
    [InlineData("an infinite number")]
    public void a_value_json_cannot_hold_is_an_invalid_argument(string what)
    {
        var claims = new Struct();
        claims.Fields["x"] = Value.ForList(what switch
        {
            "a Value with no kind" => new Value(),
            "a NaN number" => Value.ForNumber(double.NaN),
            _ => Value.ForNumber(double.NegativeInfinity),
        });
        var e = Assert.Throws<DomainError>(() => ProtoStruct.ToJson(claims));
        Assert.Equal((ErrorKind.InvalidArgument, "invalid_field"), (e.Kind, e.Code));
    }

    [Fact]
    public void a_struct_deeper_than_a_rest_body_may_be_is_refused_as_rest_refuses_it()
    {
        var deep = new Struct();
        var inner = deep;
        for (int i = 0; i < LogServer.Api.Json.MaxDepth + 1; i++)
        {
            var next = new Struct();
            inner.Fields["d"] = Value.ForStruct(next);
            inner = next;
        }
        Assert.ThrowsAny<JsonException>(() => ProtoStruct.ToJson(deep));
    }

    private static bool Same(JsonElement a, JsonElement b) =>
        a.ValueKind == JsonValueKind.Undefined ? b.ValueKind == JsonValueKind.Undefined : JsonElement.DeepEquals(a, b);

    private static JsonElement Json(string text) => JsonElement.Parse(text);

    /// <summary>The reference REST body: Google.Protobuf's proto3 JSON formatter with proto field names, the named bytes as base64url.</summary>
    private static JsonElement RestBody(IMessage message, params string[] base64UrlFields)
    {
        var node = JsonNode.Parse(new JsonFormatter(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true)).Format(message))!.AsObject();
        foreach (var name in base64UrlFields.Append("payload"))
            if (node[name] is JsonValue v && v.TryGetValue(out string? b64))
                node[name] = b64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return JsonElement.Parse(node.ToJsonString());
    }
}
