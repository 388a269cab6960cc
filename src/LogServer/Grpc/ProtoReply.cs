using System.Text.Json;
using Attest.LogServer.Service;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Grpc;

/// <summary>
/// The replies of the two hot write paths (mint, stamp), built field by field instead of through
/// <see cref="ProtoJson.Reply{T}"/>'s JSON round trip, which cost more than the signing (docs/PERFORMANCE.md).
/// They MUST equal what <see cref="ProtoJson.Reply{T}"/> gives for the same result: a test compares the two.
/// </summary>
public static class ProtoReply
{
    public static V1.Attestation Attestation(AttestationView v) => new()
    {
        Id = v.Id.ToString(), IssuerId = v.IssuerId.ToString(), Kid = v.Kid, Schema = v.Schema, Status = v.Status, LogIndex = v.LogIndex,
        CreatedAt = v.CreatedAt, Payload = Struct(v.Payload), Signature = v.Signature, DocumentHash = v.DocumentHash ?? "",
        ContentType = v.ContentType, PackId = v.PackId?.ToString() ?? "", Supersedes = v.Supersedes?.ToString() ?? "",
        SupersededByAttestationId = v.SupersededByAttestationId?.ToString() ?? "", RevokedAt = v.RevokedAt ?? "",
        RevocationReason = v.RevocationReason ?? "", RevocationLogIndex = v.RevocationLogIndex ?? 0,
    };

    public static V1.Stamp Stamp(Stamp s)
    {
        var reply = new V1.Stamp
        {
            Id = s.Id, LogIndex = s.LogIndex, ContentHash = s.ContentHash, CreatedAt = s.CreatedAt, Visibility = s.Visibility,
            Content = s.Content ?? "", DisplayTitle = s.DisplayTitle ?? "", LeafHash = s.LeafHash, Entry = s.Entry,
        };
        reply.Tags.AddRange(s.Tags);
        return reply;
    }

    /// <summary>A JSON object as a <c>google.protobuf.Struct</c> (numbers become doubles, as the JSON mapping makes them).</summary>
    public static Struct Struct(JsonElement obj)
    {
        var s = new Struct();
        foreach (var p in obj.EnumerateObject()) s.Fields[p.Name] = Value(p.Value);
        return s;
    }

    private static Value Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => Google.Protobuf.WellKnownTypes.Value.ForStruct(Struct(e)),
        JsonValueKind.Array => Google.Protobuf.WellKnownTypes.Value.ForList([.. e.EnumerateArray().Select(Value)]),
        JsonValueKind.String => Google.Protobuf.WellKnownTypes.Value.ForString(e.GetString()!),
        JsonValueKind.Number => Google.Protobuf.WellKnownTypes.Value.ForNumber(e.GetDouble()),
        JsonValueKind.True => Google.Protobuf.WellKnownTypes.Value.ForBool(true),
        JsonValueKind.False => Google.Protobuf.WellKnownTypes.Value.ForBool(false),
        JsonValueKind.Null => Google.Protobuf.WellKnownTypes.Value.ForNull(),
        _ => throw new System.Diagnostics.UnreachableException($"a parsed JSON value of kind {e.ValueKind}"),
    };
}
