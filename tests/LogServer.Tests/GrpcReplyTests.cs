using System.Text.Json;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;

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
    public void an_attestation_reply_equals_the_one_the_json_round_trip_gives(AttestationView view) =>
        Assert.Equal(ProtoJson.Reply<V1.Attestation>(view), ProtoReply.Attestation(view));

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
