using System.Runtime.InteropServices;
using Attest.LogServer.Service;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Attest.LogServer.Grpc;

/// <summary>
/// The replies of the two hot write paths (mint, stamp), built field by field instead of through
/// <see cref="ProtoJson.Reply{T}"/>'s JSON round trip, which cost more than the signing (docs/PERFORMANCE.md).
/// Read back, they MUST equal what <see cref="ProtoJson.Reply{T}"/> gives for the same result: a test compares the two.
/// </summary>
public static class ProtoReply
{
    public static AttestationReply Attestation(AttestationView v) => new(new V1.Attestation
    {
        Id = v.Id.ToString(), IssuerId = v.IssuerId.ToString(), Kid = v.Kid, Schema = v.Schema, Status = v.Status, LogIndex = v.LogIndex,
        CreatedAt = v.CreatedAt, Signature = v.Signature, DocumentHash = v.DocumentHash ?? "",
        ContentType = v.ContentType, PackId = v.PackId?.ToString() ?? "", Supersedes = v.Supersedes?.ToString() ?? "",
        SupersededByAttestationId = v.SupersededByAttestationId?.ToString() ?? "", RevokedAt = v.RevokedAt ?? "",
        RevocationReason = v.RevocationReason ?? "", RevocationLogIndex = v.RevocationLogIndex ?? 0, HolderToken = v.HolderToken ?? "",
    }, ProtoStruct.Encode(JsonMarshal.GetRawUtf8Value(v.Payload)));

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
}

/// <summary>
/// An <c>attest.v1.Attestation</c> whose payload (field 8, a Struct) is already encoded (<see cref="ProtoStruct"/>):
/// the other fields, then the payload. Protobuf readers take fields in any order (protobuf encoding guide, "Field
/// Order"), so a client reads the same message as from <c>Attestation.ToByteArray()</c>. Only ever written.
/// </summary>
public sealed class AttestationReply(V1.Attestation rest, byte[] payload) : IMessage, IBufferMessage
{
    private const byte PayloadTag = 8 << 3 | 2;
    private readonly ByteString payload = UnsafeByteOperations.UnsafeWrap(payload);

    public MessageDescriptor Descriptor => V1.Attestation.Descriptor;

    public int CalculateSize() => rest.CalculateSize() + 1 + CodedOutputStream.ComputeBytesSize(payload);

    public void WriteTo(CodedOutputStream output)
    {
        rest.WriteTo(output);
        output.WriteRawTag(PayloadTag);
        output.WriteBytes(payload);
    }

    void IBufferMessage.InternalWriteTo(ref WriteContext output)
    {
        ((IBufferMessage)rest).InternalWriteTo(ref output);
        output.WriteRawTag(PayloadTag);
        output.WriteBytes(payload);
    }

    public void MergeFrom(CodedInputStream input) => throw new NotSupportedException("a reply is written, never read");

    void IBufferMessage.InternalMergeFrom(ref ParseContext input) => throw new NotSupportedException("a reply is written, never read");
}
