using System.Runtime.InteropServices;
using Attest.LogServer.Service;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Attest.LogServer.Grpc;

/// <summary>
/// gRPC replies built field by field from the services' typed results. A field REST answers as null is the field's
/// default here (proto3 has no null; the proto3 JSON mapping reads a null the same way), so a client of either API
/// reads the same values. Each message is in proto/attest/v1.
/// </summary>
public static class ProtoReply
{
    public static AttestationReply Attestation(AttestationView v)
    {
        var reply = new V1.Attestation
        {
            Id = v.Id.ToString(), IssuerId = v.IssuerId.ToString(), Kid = v.Kid, Schema = v.Schema, Status = v.Status, LogIndex = v.LogIndex,
            CreatedAt = v.CreatedAt, Signature = v.Signature, DocumentHash = v.DocumentHash ?? "",
            ContentType = v.ContentType, PackId = v.PackId?.ToString() ?? "", Supersedes = v.Supersedes?.ToString() ?? "",
            SupersededByAttestationId = v.SupersededByAttestationId?.ToString() ?? "", RevokedAt = v.RevokedAt ?? "",
            RevocationReason = v.RevocationReason ?? "", RevocationLogIndex = v.RevocationLogIndex ?? 0, HolderToken = v.HolderToken ?? "",
        };
        if (v is ChargedAttestationView charged) (reply.CreditsCharged, reply.ApiCreditsRemaining) = (charged.CreditsCharged, charged.ApiCreditsRemaining);
        return new(reply, ProtoStruct.Encode(JsonMarshal.GetRawUtf8Value(v.Payload)));
    }

    public static V1.Stamp Stamp(Stamp s)
    {
        var reply = new V1.Stamp
        {
            Id = s.Id, LogIndex = s.LogIndex, ContentHash = s.ContentHash, CreatedAt = s.CreatedAt, Visibility = s.Visibility,
            Content = s.Content ?? "", DisplayTitle = s.DisplayTitle ?? "", LeafHash = s.LeafHash, Entry = s.Entry,
            SealedUntil = s.SealedUntil ?? 0, Revealed = s.Revealed == true, RevealLogIndex = s.RevealLogIndex ?? 0,
            ContentType = s.ContentType, SnapshotSha256 = s.SnapshotSha256 ?? "", SnapshotSize = s.SnapshotSize ?? 0,
        };
        if (s is ChargedStamp charged) (reply.CreditsCharged, reply.ApiCreditsRemaining) = (charged.CreditsCharged, charged.ApiCreditsRemaining);
        reply.Tags.AddRange(s.Tags);
        return reply;
    }

    public static V1.Issuer Issuer(IssuerView v) => new() { Id = v.Id.ToString(), Name = v.Name, CreatedAt = v.CreatedAt, LogIndex = v.LogIndex };

    public static V1.IssuerKey Key(KeyView k) => new()
    {
        Kid = k.Kid, IssuerId = k.IssuerId.ToString(), Alg = k.Alg, PublicKey = k.PublicKey, Status = k.Status, CreatedAt = k.CreatedAt,
        RotatedAt = k.RotatedAt ?? "", ReplacedBy = k.ReplacedBy ?? "", CompromisedAt = k.CompromisedAt ?? "", LogIndex = k.LogIndex,
        Jwk = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(k.Jwk.ToJsonString()),
    };

    public static V1.CompromiseKeyResponse Compromise(CompromiseResult c) => new()
    {
        Kid = c.Kid, Status = c.Status, CompromisedAt = c.CompromisedAt, AffectedAttestations = c.AffectedAttestations, LogIndex = c.LogIndex,
    };

    /// <summary>A page of keys; the last page's token is empty (AIP-158).</summary>
    public static V1.Delivery Delivery(Service.Mail.DeliveryView d) => new()
    {
        AttestationId = d.AttestationId.ToString(), Channel = d.Channel, Status = d.Status, Attempts = d.Attempts, LastError = d.LastError ?? "",
        UpdatedAt = d.UpdatedAt ?? "", NextAttemptAt = d.NextAttemptAt ?? "",
    };

    public static V1.ListHolderAttestationsResponse Inbox(Page<Service.Mail.InboxItem> page)
    {
        var reply = new V1.ListHolderAttestationsResponse { NextPageToken = page.NextCursor ?? "" };
        reply.Attestations.AddRange(page.Items.Select(a => new V1.HolderAttestation
        {
            Id = a.Id.ToString(), IssuerId = a.IssuerId.ToString(), IssuerName = a.IssuerName ?? "", Schema = a.Schema, Status = a.Status,
            CreatedAt = a.CreatedAt, LogIndex = a.LogIndex, HolderToken = a.HolderToken,
        }));
        return reply;
    }

    public static V1.ListKeysResponse Keys(Page<KeyView> page)
    {
        var reply = new V1.ListKeysResponse { NextPageToken = page.NextCursor ?? "" };
        reply.Keys.AddRange(page.Items.Select(Key));
        return reply;
    }

    /// <summary>A stamp's verification (<see cref="VerifyResult"/>) or an attestation's (<see cref="Verification"/>).</summary>
    public static V1.VerifyResponse Verify(object result) => result switch
    {
        VerifyResult s => new()
        {
            Verified = s.Verified, ContentHash = s.ContentHash, LogIndex = s.LogIndex ?? 0, FirstStampedAt = s.FirstStampedAt ?? "",
            TotalStampsOfThisHash = s.TotalStampsOfThisHash, StampId = s.StampId ?? "",
        },
        Service.Verification v => Attestation(v),
        _ => throw new System.Diagnostics.UnreachableException($"{result.GetType()} is not a verification"),
    };

    private static V1.VerifyResponse Attestation(Service.Verification v)
    {
        var reply = new V1.VerifyResponse
        {
            Verdict = v.Verdict, AttestationId = v.AttestationId?.ToString() ?? "", IssuerId = v.IssuerId?.ToString() ?? "", Kid = v.Kid ?? "",
            Status = v.Status ?? "", LogIndex = v.LogIndex ?? 0, RevokedAt = v.RevokedAt ?? "",
            SupersededByAttestationId = v.SupersededByAttestationId?.ToString() ?? "", KeyStatus = v.KeyStatus ?? "", IssuerName = v.IssuerName ?? "",
            Checkpoint = new V1.CheckpointRef { Origin = v.Checkpoint.Origin, Size = v.Checkpoint.Size, RootHash = v.Checkpoint.RootHash },
        };
        reply.Reasons.AddRange(v.Reasons);
        if (v.Checks is { } checks) reply.Checks.AddRange(checks.Select(c => new V1.VerifyCheck { Name = c.Name, Result = c.Result, Detail = c.Detail }));
        if (v.AsOf is { } asOf)
            reply.AsOf = new V1.VerifyAsOf { TreeSize = asOf.TreeSize, RootHash = asOf.RootHash, StatusTime = asOf.StatusTime ?? "", Online = asOf.Online };
        return reply;
    }

    public static V1.Anchor Anchor(Anchor.AnchorView a) => new()
    {
        Sequence = a.Sequence, LogIndex = a.LogIndex, ChainId = a.ChainId, TxHash = a.TxHash, BlockNumber = a.BlockNumber, BlockHash = a.BlockHash,
        BlockTimestamp = a.BlockTimestamp, TreeSize = a.TreeSize, RootHash = a.RootHash, From = a.From, To = a.To, Checkpoint = a.Checkpoint,
    };

    /// <summary>A page of anchors; <c>next_start</c> is 0 on the last page.</summary>
    public static V1.ListAnchorsResponse Anchors(Api.AnchorApi.AnchorPage page)
    {
        var reply = new V1.ListAnchorsResponse { Total = page.Total, NextStart = page.NextStart ?? 0 };
        reply.Anchors.AddRange(page.Anchors.Select(Anchor));
        return reply;
    }

    /// <summary>A proof bundle as the Struct of the JSON object REST serves (its writer is <see cref="Attest.Verification.ProofBundle.WriteTo"/>).</summary>
    public static V1.ProofBundle ProofBundle(Attest.Verification.ProofBundle bundle) =>
        new() { Bundle = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseFrom(ProtoStruct.Encode(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(bundle))) };
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
