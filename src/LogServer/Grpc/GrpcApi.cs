using Attest.LogServer.Api;
using Attest.LogServer.Log;
using Attest.LogServer.Service;
using Attest.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Health.V1;

namespace Attest.LogServer.Grpc;

/// <summary>
/// The gRPC services of <c>proto/attest/v1</c> and <c>grpc.health.v1.Health</c>. Each method calls the same
/// parsing and services as its REST twin; metadata carries <c>authorization</c>/<c>x-api-key</c> and
/// <c>idempotency-key</c> exactly as the REST headers do.
/// </summary>
public static class GrpcApi
{
    public static void MapGrpcApi(this WebApplication app, int maxMessageSize)
    {
        var grpc = new GrpcEndpoint(maxMessageSize, app.Logger);
        // The message-size limit is ours (RESOURCE_EXHAUSTED), not Kestrel's request body limit (an HTTP 413).
        var bodyLimit = new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(maxMessageSize + 64L * 1024);
        var sp = app.Services;
        T S<T>() where T : notnull => sp.GetRequiredService<T>();
        var limits = S<LimitOptions>();
        var options = S<AttestOptions>();
        var auth = S<Auth>();
        // As REST: only mint and supersede take a large message (a payload), verify its own limit, the rest what any
        // request body may be; and a method that needs an API key checks it before reading the message.
        GrpcMethodLimits Limits(string service, string method)
        {
            long max = (service, method) switch
            {
                ("attest.v1.Attestations", "Mint" or "Supersede") => maxMessageSize,
                ("attest.v1.Attestations", "Verify") => options.MaxVerifyBodyBytes,
                _ => options.MaxRequestBodyBytes,
            };
            bool keyed = (service, method) is ("attest.v1.Attestations", "Mint" or "Supersede" or "Revoke") or ("attest.v1.Stamps", _) or ("attest.v1.Issuers", _);
            string bucket = method is "Mint" or "Supersede" ? "mint" : "default";
            return new GrpcMethodLimits((int)Math.Min(max, maxMessageSize), keyed ? request => auth.Require(request, bucket) : null);
        }
        void Unary<TReq, TResp>(string service, string method, MessageParser<TReq> parser, Func<GrpcCall, TReq, Task<TResp>> handler)
            where TReq : IMessage<TReq> where TResp : IMessage =>
            app.MapPost($"/{service}/{method}", grpc.Unary(parser, handler, Limits(service, method))).WithMetadata(bodyLimit).WithMetadata(PublicLimit(service, method)).ExcludeFromDescription();
        void Stream<TReq, TResp>(string service, string method, MessageParser<TReq> parser, Func<GrpcCall, TReq, Func<TResp, Task>, Task> handler)
            where TReq : IMessage<TReq> where TResp : IMessage<TResp> =>
            app.MapPost($"/{service}/{method}", grpc.ServerStreaming(parser, handler, Limits(service, method))).WithMetadata(bodyLimit).WithMetadata(PublicLimit(service, method)).ExcludeFromDescription();

        const string attestations = "attest.v1.Attestations";
        Unary(attestations, "Mint", V1.MintRequest.Parser, async (call, r) =>
        {
            var caller = call.Caller!;
            string key = AttestationApi.RequiredIdempotencyKey(call.Request, limits);
            var (mint, digest) = AttestationApi.ParseMint(ProtoJson.Body(r, "payload"), "mint", limits);
            return ProtoReply.Attestation(await S<AttestationService>().Mint(caller, mint, key, digest, call.Cancelled));
        });
        Unary(attestations, "Get", GetAttestationRequest.Parser, async (call, r) =>
            ProtoReply.Attestation(await S<AttestationService>().Get(AttestationReader.From(call.Request, S<Auth>()), AttestationApi.Id(r.Id, "attestation"), call.Cancelled)));
        Unary(attestations, "Revoke", RevokeRequest.Parser, async (call, r) =>
            ProtoReply.Attestation(await S<AttestationService>().Revoke(call.Caller!, AttestationApi.Id(r.Id, "attestation"),
                AttestationApi.Reason(r.Reason.Length > 0 ? r.Reason : null, limits), call.Cancelled)));
        Unary(attestations, "Supersede", SupersedeRequest.Parser, async (call, r) =>
        {
            var caller = call.Caller!;
            var oldId = AttestationApi.Id(r.Id, "attestation");
            string key = AttestationApi.RequiredIdempotencyKey(call.Request, limits);
            var (mint, digest) = AttestationApi.ParseMint(ProtoJson.Body(r.Attestation ?? new V1.MintRequest(), "payload"), $"supersede {oldId}", limits);
            return ProtoReply.Attestation(await S<AttestationService>().Supersede(caller, oldId, mint, key, digest, call.Cancelled));
        });
        Unary(attestations, "Verify", VerifyRequest.Parser, async (call, r) =>
            ProtoJson.Reply<VerifyResponse>(await VerifyApi.Verify(ProtoJson.Body(r, "document"), S<StampService>(), S<VerifyService>(), S<AttestOptions>().MaxVerifyBodyBytes, call.Cancelled)));
        Unary(attestations, "GetProofBundle", GetProofBundleRequest.Parser, async (call, r) =>
            new ProofBundle
            {
                Bundle = Struct.Parser.ParseJson((await S<VerifyService>().ProofBundle(
                    AttestationApi.Id(r.Id, "attestation"), AttestationReader.From(call.Request, S<Auth>()), call.Cancelled)).ToJsonString()),
            });

        const string stamps = "attest.v1.Stamps";
        Unary(stamps, "Create", CreateStampRequest.Parser, async (call, r) =>
            ProtoReply.Stamp(await StampApi.Create(call.Caller!, StampApi.IdempotencyKey(call.Request, limits), ProtoJson.Body(r), S<StampService>(), limits, call.Cancelled)));
        Unary(stamps, "Get", GetStampRequest.Parser, async (call, r) =>
        {
            var caller = call.Caller!;
            return ProtoReply.Stamp(await S<StampService>().Get(caller, AttestationApi.Id(r.Id, "stamp").ToString(), call.Cancelled));
        });

        const string issuers = "attest.v1.Issuers";
        Unary(issuers, "CreateIssuer", CreateIssuerRequest.Parser, async (call, r) =>
        {
            call.Caller!.RequireAdmin();
            return ProtoJson.Reply<V1.Issuer>(await S<IssuerService>().CreateIssuer(IssuerApi.Text(Required(r.Name, "name", limits.MaxNameLength), "name")));
        });
        Unary(issuers, "CreateKey", CreateKeyRequest.Parser, async (call, r) =>
            ProtoJson.Reply<V1.IssuerKey>(await S<IssuerService>().CreateKey(call.Caller!, AttestationApi.Id(r.IssuerId, "issuer"), IssuerApi.Kid(r.Kid, limits))));
        Unary(issuers, "RotateKey", RotateKeyRequest.Parser, async (call, r) =>
            ProtoJson.Reply<V1.IssuerKey>(await S<IssuerService>().Rotate(call.Caller!, IssuerApi.Kid(r.Kid, limits), IssuerApi.Kid(r.NewKid, limits))));
        Unary(issuers, "CompromiseKey", CompromiseKeyRequest.Parser, async (call, r) =>
        {
            var caller = call.Caller!;
            var at = new RequestFields(ProtoJson.Body(r), "kid", "compromised_at").Time("compromised_at");
            return ProtoJson.Reply<CompromiseKeyResponse>(await S<IssuerService>().Compromise(caller, IssuerApi.Kid(r.Kid, limits), at, call.Cancelled));
        });
        Unary(issuers, "ListKeys", ListKeysRequest.Parser, (call, r) =>
        {
            var issuerId = AttestationApi.Id(r.IssuerId, "issuer");
            call.Caller!.RequireIssuer(issuerId);
            if (r.PageSize < 0) throw ApiError.BadRequest("parameter_out_of_range", "page_size must not be negative");
            var page = S<IssuerService>().Keys(issuerId, PageRequest.Of(r.PageToken, r.PageSize == 0 ? null : Math.Min(r.PageSize, PageRequest.MaxLimit)));
            return Task.FromResult(ProtoJson.Reply<ListKeysResponse>(new { keys = page.Items, next_page_token = page.NextCursor ?? "" }));
        });

        const string log = "attest.v1.Log";
        Unary(log, "GetCheckpoint", GetCheckpointRequest.Parser, (call, r) => Task.FromResult(Checkpoint(S<TransparencyLog>().Latest)));
        Unary(log, "GetInclusionProof", InclusionProofRequest.Parser, (call, r) =>
        {
            var (size, proof, cp) = LogApi.Inclusion(S<TransparencyLog>(), NonNegative(r.Index, "index"), r.TreeSize != 0 ? r.TreeSize : null);
            var reply = new V1.InclusionProof { Index = r.Index, TreeSize = size };
            reply.Proof.AddRange(proof.Select(h => ByteString.CopyFrom(h.Bytes)));
            if (cp is not null) reply.TlogProof = new Merkle.TlogProof(r.Index, proof, cp.Note, null).Format();
            return Task.FromResult(reply);
        });
        Unary(log, "GetConsistencyProof", ConsistencyProofRequest.Parser, (call, r) =>
        {
            var reply = new V1.ConsistencyProof { First = r.First, Second = r.Second };
            reply.Proof.AddRange(LogApi.Consistency(S<TransparencyLog>(), r.First, r.Second).Select(h => ByteString.CopyFrom(h.Bytes)));
            return Task.FromResult(reply);
        });
        Stream<StreamEntriesRequest, Entry>(log, "StreamEntries", StreamEntriesRequest.Parser, async (call, r, send) =>
        {
            var transparencyLog = S<TransparencyLog>();
            // Entries as far as a signed checkpoint covers them, then each newly published stretch, until cancelled.
            for (long next = NonNegative(r.Start, "start"); ;)
            {
                var cp = await transparencyLog.CheckpointAfter(next, call.Cancelled);
                // From the entry bundles, as /tile/entries serves them: a record also holds private bytes.
                while (next < cp.Size)
                {
                    long n = next / Merkle.Tile.FullWidth;
                    int width = (int)Math.Min(Merkle.Tile.FullWidth, cp.Size - n * Merkle.Tile.FullWidth);
                    var entries = new List<byte[]>(width);
                    if (!Merkle.EntryBundle.TryParse(await transparencyLog.EntryTiles.ReadAsync(n, width, call.Cancelled), width, entries))
                        throw new System.Diagnostics.UnreachableException($"entry bundle {n} of the tile store is not {width} framed entries");
                    for (; next < n * Merkle.Tile.FullWidth + width; next++)
                        await send(new Entry { Index = next, Entry_ = ByteString.CopyFrom(entries[(int)(next - n * Merkle.Tile.FullWidth)]) });
                }
            }
        });
        Stream<WatchCheckpointsRequest, V1.Checkpoint>(log, "WatchCheckpoints", WatchCheckpointsRequest.Parser, async (call, r, send) =>
        {
            var transparencyLog = S<TransparencyLog>();
            var cp = transparencyLog.Latest;
            await send(Checkpoint(cp));
            while (true)
            {
                cp = await transparencyLog.CheckpointAfter(cp.Size, call.Cancelled);
                await send(Checkpoint(cp));
            }
        });

        Unary(log, "ListAnchors", ListAnchorsRequest.Parser, async (call, r) => ProtoJson.Reply<ListAnchorsResponse>(
            await AnchorApi.Page(S<Anchor.AnchorLedger>(), NonNegative(r.Start, "start"), r.Limit == 0 ? AnchorApi.DefaultPage : r.Limit, call.Cancelled)));
        Unary(log, "GetLatestAnchor", GetLatestAnchorRequest.Parser, async (call, r) =>
            ProtoJson.Reply<V1.Anchor>(await AnchorApi.Latest(S<Anchor.AnchorLedger>(), call.Cancelled)));
        Stream<StreamAnchorsRequest, V1.Anchor>(log, "StreamAnchors", StreamAnchorsRequest.Parser, async (call, r, send) =>
        {
            var (transparencyLog, ledger) = (S<TransparencyLog>(), S<Anchor.AnchorLedger>());
            // A new anchor is a new entry, so a checkpoint follows it: wake on each and send what arrived.
            for (long next = NonNegative(r.Start, "start"); ;)
            {
                var cp = transparencyLog.Latest;
                for (long count = ledger.Count; next < count; next++) await send(ProtoJson.Reply<V1.Anchor>(await ledger.Read(next, call.Cancelled)));
                await transparencyLog.CheckpointAfter(cp.Size, call.Cancelled);
            }
        });

        // Every service, and the server (""), is NOT_SERVING once the log takes no writes (HealthApi.Unavailable).
        const string health = "grpc.health.v1.Health";
        Unary(health, "Check", HealthCheckRequest.Parser, (call, r) => Task.FromResult(new HealthCheckResponse { Status = Serving(r.Service, S<TransparencyLog>(), S<Sequencer>()) }));
        Stream<HealthCheckRequest, HealthCheckResponse>(health, "Watch", HealthCheckRequest.Parser, async (call, r, send) =>
        {
            var sequencer = S<Sequencer>();
            var transparencyLog = S<TransparencyLog>();
            var status = Serving(r.Service, transparencyLog, sequencer);
            await send(new HealthCheckResponse { Status = status });
            if (status == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                // The one change there can be while the server runs: a fault is never cleared.
                await HealthApi.BecameUnavailable(transparencyLog, sequencer).WaitAsync(call.Cancelled);
                await send(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.NotServing });
            }
            await Task.Delay(Timeout.Infinite, call.Cancelled);
        });

        // Any other "/package.Service/Method" is a method we do not have.
        app.MapPost("/{service:regex(^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$)}/{method}", GrpcEndpoint.Unimplemented).ExcludeFromDescription();
    }

    /// <summary>
    /// The keyless reads count against the same per-address limit as their REST twins (<see cref="PublicRateLimits"/>);
    /// a stream counts once, and holds no concurrency permit, since it may last for hours.
    /// </summary>
    private static object[] PublicLimit(string service, string method) => (service, method) switch
    {
        ("attest.v1.Log", "GetInclusionProof" or "GetConsistencyProof") or ("attest.v1.Attestations", "Verify" or "GetProofBundle") => [PublicRoute.Expensive],
        ("attest.v1.Log", _) or ("attest.v1.Attestations", "Get") => [PublicRoute.Cheap],
        _ => [],
    };

    private static readonly string[] Services = ["", "attest.v1.Attestations", "attest.v1.Stamps", "attest.v1.Issuers", "attest.v1.Log"];

    private static HealthCheckResponse.Types.ServingStatus Serving(string service, TransparencyLog log, Sequencer sequencer) =>
        Array.IndexOf(Services, service) < 0 ? throw new GrpcException(StatusCode.NotFound, $"unknown service \"{service}\"")
        : HealthApi.Unavailable(log, sequencer) is null ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;

    private static V1.Checkpoint Checkpoint(SignedCheckpoint cp) =>
        new() { Origin = cp.Checkpoint.Origin, Size = cp.Size, RootHash = cp.Checkpoint.Root.ToBase64(), Note = cp.Note };

    private static long NonNegative(long v, string name) =>
        v >= 0 ? v : throw ApiError.BadRequest("parameter_out_of_range", $"\"{name}\" must not be negative");

    private static string Required(string v, string name, int max) =>
        v.Length == 0 ? throw ApiError.BadRequest("missing_field", $"\"{name}\" is required")
        : v.Length > max ? throw LimitOptions.TooLong($"\"{name}\"", nameof(LimitOptions.MaxNameLength), max) : v;
}
