using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Log;
using Attest.LogServer.Service;
using Attest.V1;
using Google.Protobuf;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace Attest.LogServer.Grpc;

// The services of proto/attest/v1. Each method maps its message to the command its REST twin binds (Commands/), calls
// the same service, and builds its reply from the service's typed result (ProtoReply); metadata carries
// authorization/x-api-key and idempotency-key exactly as the REST headers do. Who may call a method is its
// [Authorize] policy (AuthPolicies), checked from the headers before the message is read, and its caller is
// context.Caller(). Methods are virtual because Grpc.AspNetCore binds a service's methods by overriding
// (ProviderServiceBinder), which also takes the attributes of the class and method as the endpoint's metadata.

[BindServiceMethod(typeof(AttestationsGrpcService), nameof(BindService))]
public class AttestationsGrpcService(AttestationService attestations, StampService stamps, VerifyService verify, ProofService proofs, LimitOptions limits, AttestOptions options,
    Service.Mail.DeliveryReads deliveries)
{
    public const string Name = "attest.v1.Attestations";

    public static ServiceDescriptor Descriptor => AttestationsReflection.Descriptor.Services[0];

    public static void BindService(ServiceBinderBase binder, AttestationsGrpcService? service)
    {
        binder.AddUnary<V1.MintRequest, AttestationReply>(Name, "Mint", V1.MintRequest.Parser);
        binder.AddUnary<GetAttestationRequest, AttestationReply>(Name, "Get", GetAttestationRequest.Parser);
        binder.AddUnary<RevokeRequest, AttestationReply>(Name, "Revoke", RevokeRequest.Parser);
        binder.AddUnary<SupersedeRequest, AttestationReply>(Name, "Supersede", SupersedeRequest.Parser);
        binder.AddUnary<VerifyRequest, VerifyResponse>(Name, "Verify", VerifyRequest.Parser);
        binder.AddUnary<GetProofBundleRequest, ProofBundle>(Name, "GetProofBundle", GetProofBundleRequest.Parser);
        binder.AddUnary<GetDeliveryRequest, Delivery>(Name, "GetDelivery", GetDeliveryRequest.Parser);
        binder.AddUnary<ListHolderAttestationsRequest, ListHolderAttestationsResponse>(Name, "ListHolderAttestations", ListHolderAttestationsRequest.Parser);
    }

    [Authorize(AuthPolicies.ApiKey), RateLimitBucket(RateLimitBucketAttribute.MintName)]
    public virtual async Task<AttestationReply> Mint(V1.MintRequest r, ServerCallContext context)
    {
        var request = context.GetHttpContext().Request;
        string key = AttestationApi.RequiredIdempotencyKey(request, limits);
        return ProtoReply.Attestation(await attestations.Mint(context.Caller(), MintCommand.FromProto(r, limits), key, context.CancellationToken));
    }

    [Authorize(AuthPolicies.Reader), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
    public virtual async Task<AttestationReply> Get(GetAttestationRequest r, ServerCallContext context) =>
        ProtoReply.Attestation(await attestations.Get(AttestationReader.From(context.GetHttpContext()), Field.Id(r.Id, "attestation"), context.CancellationToken));

    [Authorize(AuthPolicies.ApiKey), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
    public virtual async Task<AttestationReply> Revoke(RevokeRequest r, ServerCallContext context) =>
        ProtoReply.Attestation(await attestations.Revoke(context.Caller(), RevokeCommand.FromProto(r, limits), context.CancellationToken));

    [Authorize(AuthPolicies.ApiKey), RateLimitBucket(RateLimitBucketAttribute.MintName)]
    public virtual async Task<AttestationReply> Supersede(SupersedeRequest r, ServerCallContext context)
    {
        var caller = context.Caller();
        Field.Id(r.Id, "attestation");
        string key = AttestationApi.RequiredIdempotencyKey(context.GetHttpContext().Request, limits);
        return ProtoReply.Attestation(await attestations.Supersede(caller, SupersedeCommand.FromProto(r, limits), key, context.CancellationToken));
    }

    public virtual async Task<VerifyResponse> Verify(VerifyRequest r, ServerCallContext context) =>
        ProtoReply.Verify(await VerifyApi.Verify(VerifyCommand.FromProto(r, options.MaxVerifyBodyBytes), stamps, verify, context.CancellationToken));

    [Authorize(AuthPolicies.KeyIfAny), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
    public virtual async Task<ProofBundle> GetProofBundle(GetProofBundleRequest r, ServerCallContext context) => ProtoReply.ProofBundle(
        await proofs.Bundle(Field.Id(r.Id, "attestation"), AttestationReader.From(context.GetHttpContext()), context.CancellationToken));

    [Authorize(AuthPolicies.ApiKey), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
    public virtual async Task<Delivery> GetDelivery(GetDeliveryRequest r, ServerCallContext context) =>
        ProtoReply.Delivery(await deliveries.Status(context.Caller(), Field.Id(r.Id, "attestation"), context.CancellationToken));

    // Keyless with the inbox token, so limited per address like REST's twin.
    [Authorize(AuthPolicies.Reader), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
    public virtual async Task<ListHolderAttestationsResponse> ListHolderAttestations(ListHolderAttestationsRequest r, ServerCallContext context)
    {
        if (r.PageSize < 0) throw DomainError.Invalid("parameter_out_of_range", "page_size must not be negative");
        var page = PageRequest.Of(Field.Present(r.PageToken), r.PageSize == 0 ? null : Math.Min(r.PageSize, PageRequest.MaxLimit));
        return ProtoReply.Inbox(await deliveries.Inbox(AttestationReader.From(context.GetHttpContext()).HolderToken, page, context.CancellationToken));
    }
}

[BindServiceMethod(typeof(StampsGrpcService), nameof(BindService))]
[Authorize(AuthPolicies.ApiKey), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
public class StampsGrpcService(StampService stamps, StampReveals reveals, LimitOptions limits)
{
    public const string Name = "attest.v1.Stamps";

    public static ServiceDescriptor Descriptor => StampsReflection.Descriptor.Services[0];

    public static void BindService(ServiceBinderBase binder, StampsGrpcService? service)
    {
        binder.AddUnary<CreateStampRequest, V1.Stamp>(Name, "Create", CreateStampRequest.Parser);
        binder.AddUnary<GetStampRequest, V1.Stamp>(Name, "Get", GetStampRequest.Parser);
        binder.AddUnary<RevealStampRequest, V1.Stamp>(Name, "Reveal", RevealStampRequest.Parser);
        binder.AddUnary<GetStampRequest, StampSnapshot>(Name, "GetSnapshot", GetStampRequest.Parser);
    }

    public virtual async Task<V1.Stamp> Create(CreateStampRequest r, ServerCallContext context) =>
        ProtoReply.Stamp(await stamps.Create(context.Caller(), StampCommand.FromProto(r, limits), StampApi.IdempotencyKey(context.GetHttpContext().Request, limits), context.CancellationToken));

    public virtual async Task<V1.Stamp> Get(GetStampRequest r, ServerCallContext context) =>
        ProtoReply.Stamp(await stamps.Get(context.Caller(), Field.Id(r.Id, "stamp").ToString(), context.CancellationToken));

    public virtual async Task<V1.Stamp> Reveal(RevealStampRequest r, ServerCallContext context) => ProtoReply.Stamp(await reveals.Reveal(
        context.Caller(), Field.Id(r.Id, "stamp").ToString(), StampApi.IdempotencyKey(context.GetHttpContext().Request, limits), context.CancellationToken));
    public virtual async Task<StampSnapshot> GetSnapshot(GetStampRequest r, ServerCallContext context)
    {
        string id = Field.Id(r.Id, "stamp").ToString();
        var (sha256, bytes) = await stamps.Snapshot(context.Caller(), id, context.CancellationToken);
        return new StampSnapshot { Id = id, SnapshotSha256 = sha256, Content = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(bytes) };
    }
}

[BindServiceMethod(typeof(IssuersGrpcService), nameof(BindService))]
[Authorize(AuthPolicies.ApiKey), RateLimitBucket(RateLimitBucketAttribute.DefaultName)]
public class IssuersGrpcService(IssuerService issuers, LimitOptions limits)
{
    public const string Name = "attest.v1.Issuers";

    public static ServiceDescriptor Descriptor => IssuersReflection.Descriptor.Services[0];

    public static void BindService(ServiceBinderBase binder, IssuersGrpcService? service)
    {
        binder.AddUnary<CreateIssuerRequest, V1.Issuer>(Name, "CreateIssuer", CreateIssuerRequest.Parser);
        binder.AddUnary<CreateKeyRequest, V1.IssuerKey>(Name, "CreateKey", CreateKeyRequest.Parser);
        binder.AddUnary<RotateKeyRequest, V1.IssuerKey>(Name, "RotateKey", RotateKeyRequest.Parser);
        binder.AddUnary<CompromiseKeyRequest, CompromiseKeyResponse>(Name, "CompromiseKey", CompromiseKeyRequest.Parser);
        binder.AddUnary<ListKeysRequest, ListKeysResponse>(Name, "ListKeys", ListKeysRequest.Parser);
    }

    [Authorize(AuthPolicies.Admin)]
    public virtual async Task<V1.Issuer> CreateIssuer(CreateIssuerRequest r, ServerCallContext context)
    {
        return ProtoReply.Issuer(await issuers.CreateIssuer(CreateIssuerCommand.FromProto(r, limits)));
    }

    public virtual async Task<V1.IssuerKey> CreateKey(CreateKeyRequest r, ServerCallContext context) =>
        ProtoReply.Key(await issuers.CreateKey(context.Caller(), CreateKeyCommand.FromProto(r, limits)));

    public virtual async Task<V1.IssuerKey> RotateKey(RotateKeyRequest r, ServerCallContext context) =>
        ProtoReply.Key(await issuers.Rotate(context.Caller(), RotateKeyCommand.FromProto(r, limits)));

    public virtual async Task<CompromiseKeyResponse> CompromiseKey(CompromiseKeyRequest r, ServerCallContext context)
    {
        var caller = context.Caller();
        return ProtoReply.Compromise(await issuers.Compromise(caller, CompromiseKeyCommand.FromProto(r, limits), context.CancellationToken));
    }

    public virtual Task<ListKeysResponse> ListKeys(ListKeysRequest r, ServerCallContext context)
    {
        var query = ListKeysQuery.FromProto(r);
        context.Caller().RequireIssuer(query.IssuerId); // the issuer is in the message, read after the policy ran
        return Task.FromResult(ProtoReply.Keys(issuers.Keys(query)));
    }
}

[BindServiceMethod(typeof(LogGrpcService), nameof(BindService))]
public class LogGrpcService(TransparencyLog log, Anchor.AnchorLedger ledger)
{
    public const string Name = "attest.v1.Log";

    public static ServiceDescriptor Descriptor => LogReflection.Descriptor.Services[0];

    public static void BindService(ServiceBinderBase binder, LogGrpcService? service)
    {
        binder.AddUnary<GetCheckpointRequest, V1.Checkpoint>(Name, "GetCheckpoint", GetCheckpointRequest.Parser);
        binder.AddUnary<InclusionProofRequest, V1.InclusionProof>(Name, "GetInclusionProof", InclusionProofRequest.Parser);
        binder.AddUnary<ConsistencyProofRequest, V1.ConsistencyProof>(Name, "GetConsistencyProof", ConsistencyProofRequest.Parser);
        binder.AddServerStreaming<StreamEntriesRequest, Entry>(Name, "StreamEntries", StreamEntriesRequest.Parser);
        binder.AddServerStreaming<WatchCheckpointsRequest, V1.Checkpoint>(Name, "WatchCheckpoints", WatchCheckpointsRequest.Parser);
        binder.AddUnary<ListAnchorsRequest, ListAnchorsResponse>(Name, "ListAnchors", ListAnchorsRequest.Parser);
        binder.AddUnary<GetLatestAnchorRequest, V1.Anchor>(Name, "GetLatestAnchor", GetLatestAnchorRequest.Parser);
        binder.AddServerStreaming<StreamAnchorsRequest, V1.Anchor>(Name, "StreamAnchors", StreamAnchorsRequest.Parser);
    }

    public virtual Task<V1.Checkpoint> GetCheckpoint(GetCheckpointRequest r, ServerCallContext context) => Task.FromResult(Checkpoint(log.Latest));

    public virtual Task<V1.InclusionProof> GetInclusionProof(InclusionProofRequest r, ServerCallContext context)
    {
        var (size, proof, cp) = LogApi.Inclusion(log, InclusionQuery.FromProto(r));
        var reply = new V1.InclusionProof { Index = r.Index, TreeSize = size };
        reply.Proof.AddRange(proof.Select(h => ByteString.CopyFrom(h.Bytes)));
        if (cp is not null) reply.TlogProof = new Merkle.TlogProof(r.Index, proof, cp.Note, null).Format();
        return Task.FromResult(reply);
    }

    public virtual Task<V1.ConsistencyProof> GetConsistencyProof(ConsistencyProofRequest r, ServerCallContext context)
    {
        var reply = new V1.ConsistencyProof { First = r.First, Second = r.Second };
        reply.Proof.AddRange(LogApi.Consistency(log, ConsistencyQuery.FromProto(r)).Select(h => ByteString.CopyFrom(h.Bytes)));
        return Task.FromResult(reply);
    }

    public virtual async Task StreamEntries(StreamEntriesRequest r, IServerStreamWriter<Entry> stream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        // Entries as far as a signed checkpoint covers them, then each newly published stretch, until cancelled.
        for (long next = Field.NonNegative(r.Start, "start"); ;)
        {
            var cp = await log.CheckpointAfter(next, token);
            // From the entry bundles, as /tile/entries serves them: a record also holds private bytes.
            while (next < cp.Size)
            {
                long n = next / Merkle.Tile.FullWidth;
                int width = (int)Math.Min(Merkle.Tile.FullWidth, cp.Size - n * Merkle.Tile.FullWidth);
                var entries = new List<byte[]>(width);
                if (!Merkle.EntryBundle.TryParse(await log.EntryTiles.ReadAsync(n, width, token), width, entries))
                    throw new System.Diagnostics.UnreachableException($"entry bundle {n} of the tile store is not {width} framed entries");
                // Each write waits for the client's HTTP/2 flow-control window, so a slow reader slows the stream down. The writes
                // take no token: the library ends the call on a deadline or a cancel itself.
                for (; next < n * Merkle.Tile.FullWidth + width; next++)
                    await stream.WriteAsync(new Entry { Index = next, Entry_ = ByteString.CopyFrom(entries[(int)(next - n * Merkle.Tile.FullWidth)]) });
            }
        }
    }

    public virtual async Task WatchCheckpoints(WatchCheckpointsRequest r, IServerStreamWriter<V1.Checkpoint> stream, ServerCallContext context)
    {
        var cp = log.Latest;
        await stream.WriteAsync(Checkpoint(cp));
        while (true)
        {
            cp = await log.CheckpointAfter(cp.Size, context.CancellationToken);
            await stream.WriteAsync(Checkpoint(cp));
        }
    }

    public virtual async Task<ListAnchorsResponse> ListAnchors(ListAnchorsRequest r, ServerCallContext context) => ProtoReply.Anchors(
        await AnchorApi.Page(ledger, AnchorPageQuery.FromProto(r), context.CancellationToken));

    public virtual async Task<V1.Anchor> GetLatestAnchor(GetLatestAnchorRequest r, ServerCallContext context) =>
        ProtoReply.Anchor(await AnchorApi.Latest(ledger, context.CancellationToken));

    public virtual async Task StreamAnchors(StreamAnchorsRequest r, IServerStreamWriter<V1.Anchor> stream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        // A new anchor is a new entry, so a checkpoint follows it: wake on each and send what arrived.
        for (long next = Field.NonNegative(r.Start, "start"); ;)
        {
            var cp = log.Latest;
            for (long count = ledger.Count; next < count; next++) await stream.WriteAsync(ProtoReply.Anchor(await ledger.Read(next, token)));
            await log.CheckpointAfter(cp.Size, token);
        }
    }

    private static V1.Checkpoint Checkpoint(SignedCheckpoint cp) =>
        new() { Origin = cp.Checkpoint.Origin, Size = cp.Size, RootHash = cp.Checkpoint.Root.ToBase64(), Note = cp.Note };
}

internal static class GrpcCaller
{
    /// <summary>The caller of a method whose policy requires an API key (<see cref="AuthPolicies"/>).</summary>
    public static Principal Caller(this ServerCallContext context) =>
        Principal.Of(context.GetHttpContext().User) ?? throw new InvalidOperationException($"{context.Method} has no policy that requires an API key");
}
