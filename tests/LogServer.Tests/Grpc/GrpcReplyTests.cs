using System.Text.Json;
using Attest.LogServer.Grpc;
using Attest.LogServer.Service;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>
/// The gRPC replies, built from the services' typed results, against the reference of what REST answers for the same
/// result: its JSON read by Google.Protobuf's proto3 JSON parser. A client of either API then reads the same values.
/// </summary>
public sealed class GrpcReplyTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static T ThroughRestJson<T>(object result) where T : IMessage<T>, new() =>
        Parser.Parse<T>(JsonSerializer.Serialize(result, LogServer.Api.Json.Options));

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
        new ChargedAttestationView(new AttestationView(Guid.NewGuid(), Guid.NewGuid(), "kid-3", "degree", "VALID", 8, "2026-11-23T12:00:00.125Z", Payload, "c2ln", null,
            "application/json", null, null, null, null, null, null), creditsCharged: 3, apiCreditsRemaining: 0),
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void an_attestation_reply_reads_back_as_the_rest_answer(AttestationView view)
    {
        var reply = ProtoReply.Attestation(view);
        var bytes = reply.ToByteArray();
        Assert.Equal(reply.CalculateSize(), bytes.Length);
        Assert.Equal(ThroughRestJson<V1.Attestation>(view), V1.Attestation.Parser.ParseFrom(bytes));
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
    [InlineData(null, null, null)]
    [InlineData("hello", "a title", null)]
    [InlineData("hello", null, 0L)]
    [InlineData(null, null, 1L << 40)]
    public void a_stamp_reply_equals_the_rest_answer(string? content, string? title, long? remaining)
    {
        var stamp = new Stamp(true, Guid.NewGuid().ToString(), 12, new string('b', 64), "2026-11-23T12:00:00.123Z", content is null ? "hash_only" : "public",
            content, title, content is null ? [] : ["x", "y"], "bGVhZg", "{}");
        if (remaining is { } r) stamp = new ChargedStamp(stamp, 1, r);
        Assert.Equal(ThroughRestJson<V1.Stamp>(stamp), ProtoReply.Stamp(stamp));
        Assert.Equal(remaining, ProtoReply.Stamp(stamp).ApiCreditsRemaining);
    }

    [Fact]
    public void issuer_and_key_replies_equal_the_rest_answers()
    {
        var issuer = new IssuerView(Guid.NewGuid(), "Example University", "2026-11-23T12:00:00.123Z", 3);
        Assert.Equal(ThroughRestJson<V1.Issuer>(issuer), ProtoReply.Issuer(issuer));
        var active = new KeyView("k-1", Guid.NewGuid(), "Ed25519", "cHVi", "active", "2026-11-23T12:00:00.123Z", null, null, null, 4, Attest.LogServer.Scitt.IssuerJwk.Of("Ed25519", "cHVi"));
        var rotated = new KeyView("k-0", Guid.NewGuid(), "Ed25519", "cHVi", "rotated", "2026-11-23T12:00:00.123Z", "2026-11-24T12:00:00.000Z", "k-1",
            "2026-11-25T12:00:00.000Z", 1L << 40, Attest.LogServer.Scitt.IssuerJwk.Of("ES256", "BIhy6QFZiYp_U6yOtQP22LVYWj6Y3QNHAsbR5tVMJ2iwaNyJ7-wnGQzxpq80DVpz9-sAg5DZILIzI4LHAu3KQXI"));
        Assert.Equal(ThroughRestJson<V1.IssuerKey>(active), ProtoReply.Key(active));
        Assert.Equal(ThroughRestJson<V1.IssuerKey>(rotated), ProtoReply.Key(rotated));
        var compromise = new CompromiseResult("k-0", "compromised", "2026-11-25T12:00:00.000Z", 17, 9);
        Assert.Equal(ThroughRestJson<V1.CompromiseKeyResponse>(compromise), ProtoReply.Compromise(compromise));
        foreach (var cursor in new[] { "next", null })
        {
            var page = new Page<KeyView>([active, rotated], cursor);
            Assert.Equal(ThroughRestJson<V1.ListKeysResponse>(new { keys = page.Items, next_page_token = page.NextCursor ?? "" }), ProtoReply.Keys(page));
        }
    }

    [Fact]
    public void verify_replies_equal_the_rest_answers()
    {
        var checkpoint = new CheckpointRef("example.org/log", 12, "cm9vdA==");
        var bare = new Service.Verification(false, "UNKNOWN", ["no_attestation_of_document"], null, null, null, null, null, checkpoint, null, null, null);
        var full = new Service.Verification(true, "SUPERSEDED", ["signature_ok", "payload_matches_log"], Guid.NewGuid(), Guid.NewGuid(), "k-1", "SUPERSEDED", 5,
            checkpoint, "2026-11-25T12:00:00.000Z", Guid.NewGuid(), "active")
        {
            Checks = [new VerifyCheck("signature", "pass", "ok"), new VerifyCheck("anchor", "skip", "")],
            AsOf = new VerifyAsOf(12, "cm9vdA==", null, true),
            IssuerName = "Example University",
        };
        var stamp = new VerifyResult(true, true, new string('a', 64), 3, "2026-11-23T12:00:00.123Z", 2, Guid.NewGuid().ToString());
        var unstamped = new VerifyResult(true, false, new string('b', 64), null, null, 0, null);
        foreach (object result in new object[] { bare, full, stamp, unstamped })
            Assert.Equal(ThroughRestJson<V1.VerifyResponse>(result), ProtoReply.Verify(result));
    }

    [Fact]
    public void anchor_replies_equal_the_rest_answers()
    {
        var anchor = new Anchor.AnchorView(0, 40, 31337, "0xab", 7, "0xcd", 1_700_000_000, 39, "cm9vdA==", "0x01", "0x02", "note\n");
        Assert.Equal(ThroughRestJson<V1.Anchor>(anchor), ProtoReply.Anchor(anchor));
        foreach (long? next in new long?[] { 1, null })
        {
            var page = new LogServer.Api.AnchorApi.AnchorPage([anchor], 2, next);
            Assert.Equal(ThroughRestJson<V1.ListAnchorsResponse>(page), ProtoReply.Anchors(page));
        }
    }

    [Fact]
    public void a_proof_bundle_reply_holds_the_rest_bundle()
    {
        var good = Attest.Verification.ProofBundle.Parse(File.ReadAllBytes(Path.Combine(Verification.BundleVectors.CommittedDir, "good.json")));
        // As served, with a payload of every kind of JSON value, and the public part.
        foreach (var bundle in new[] { good, good with { Payload = Payload }, good with { Payload = default, Signature = "" } })
        {
            var rest = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(JsonSerializer.Serialize(bundle, LogServer.Api.Json.Options));
            Assert.Equal(rest, ProtoReply.ProofBundle(bundle).Bundle);
        }
    }
}
