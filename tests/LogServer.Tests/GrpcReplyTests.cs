using System.Text.Json;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using Google.Protobuf;

namespace Attest.LogServer.Tests;

/// <summary>The hand-built gRPC replies of the write paths against the JSON round trip every other method uses.</summary>
public sealed class GrpcReplyTests
{
    private static readonly JsonElement Payload = JsonDocument.Parse("""
        {"alg":"Ed25519","claims":{"n":42,"f":-0.5,"big":1e21,"tiny":5e-324,"t":true,"no":false,"none":null,"s":"Zoë \u2028 \"q\"",
         "list":[1,"two",[3],{"four":4},null],"nested":{"deeper":{"x":[]}},"empty":{}},"id":"019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10","type":"attestation/v1"}
        """).RootElement;

    public static TheoryData<AttestationView> Views() => new()
    {
        new AttestationView(Guid.NewGuid(), Guid.NewGuid(), "kid-1", "degree", "VALID", 7, "2026-11-23T12:00:00.123Z", Payload, "c2ln", null,
            "application/json", null, null, null, null, null, null),
        new AttestationView(Guid.NewGuid(), Guid.NewGuid(), "kid-2", "custom", "REVOKED", 1L << 40, "2026-11-23T12:00:00.124Z", Payload, "c2ln",
            new string('a', 64), "text/plain", Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "2026-11-23T13:00:00.000Z", "issued in error", 99),
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void an_attestation_reply_reads_back_as_the_one_the_json_round_trip_gives(AttestationView view)
    {
        var reply = ProtoReply.Attestation(view);
        var bytes = reply.ToByteArray();
        Assert.Equal(reply.CalculateSize(), bytes.Length);
        Assert.Equal(ProtoJson.Reply<V1.Attestation>(view), V1.Attestation.Parser.ParseFrom(bytes));
        // The span path the server writes with gives the same bytes.
        var span = new byte[bytes.Length];
        reply.WriteTo(span.AsSpan());
        Assert.Equal(bytes, span);
    }

    /// <summary>Objects with every kind of value, escapes, an empty key, and lengths that take two-byte varints.</summary>
    public static TheoryData<string> Objects() => new()
    {
        "{}",
        """{"a":null,"b":true,"c":false,"d":0,"e":-0.0,"f":1e21,"g":5e-324,"h":-1.5,"i":"","j":[],"k":{}}""",
        """{"":"empty key","esc\"aped\u00e9":"tab\there \u2028 \ud83d\ude00","ü":"Zoë"}""",
        """{"deep":{"a":[{"b":[[1,[2,{"c":[]}]],{"d":{"e":null}}]}]}}""",
        "{\"long\":\"" + new string('x', 300) + "\",\"many\":[" + string.Join(",", Enumerable.Range(0, 200)) + "]," +
            "\"wide\":{" + string.Join(",", Enumerable.Range(0, 150).Select(i => $"\"k{i}\":\"{new string('v', i)}\"")) + "}}",
    };

    [Theory]
    [MemberData(nameof(Objects))]
    public void a_struct_written_from_json_has_the_bytes_google_protobuf_gives(string json)
    {
        var expected = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(json).ToByteArray();
        Assert.Equal(expected, ProtoStruct.Encode(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void a_struct_is_only_written_from_an_object() =>
        Assert.Throws<ArgumentException>(() => ProtoStruct.Encode("[1]"u8));

    [Theory]
    [InlineData(null, null)]
    [InlineData("hello", "a title")]
    public void a_stamp_reply_equals_the_one_the_json_round_trip_gives(string? content, string? title)
    {
        var stamp = new Stamp(true, Guid.NewGuid().ToString(), 12, new string('b', 64), "2026-11-23T12:00:00.123Z", content is null ? "hash_only" : "public",
            content, title, content is null ? [] : ["x", "y"], "bGVhZg", "{}");
        Assert.Equal(ProtoJson.Reply<V1.Stamp>(stamp), ProtoReply.Stamp(stamp));
    }
}
