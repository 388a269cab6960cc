using System.Net;
using Attest.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Attest.LogServer.Tests.Commands;

/// <summary>
/// An idempotency key is bound to the validated command (README "Idempotency"), not to the bytes one transport
/// carried: the same request over REST and over gRPC, with the same key and API key, is one request, whether or not a
/// default is spelled out; another request with that key is refused on either transport.
/// </summary>
public sealed class CrossTransportIdempotencyTests : IAsyncLifetime
{
    private ServerProcess server = null!;
    private GrpcChannel channel = null!;

    private static readonly Method<MintRequest, Attestation> Mint = Unary<MintRequest, Attestation>("attest.v1.Attestations", "Mint", MintRequest.Parser);
    private static readonly Method<CreateStampRequest, Stamp> CreateStamp = Unary<CreateStampRequest, Stamp>("attest.v1.Stamps", "Create", CreateStampRequest.Parser);

    public async Task InitializeAsync()
    {
        server = await ServerProcess.Start();
        channel = GrpcChannel.ForAddress(server.GrpcUrl);
    }

    public async Task DisposeAsync()
    {
        channel.Dispose();
        await server.DisposeAsync();
        Directory.Delete(server.DataDir, recursive: true);
    }

    [Fact]
    public async Task a_mint_sent_over_rest_then_over_grpc_with_one_key_is_one_mint()
    {
        string issuer = await server.Client.CreateIssuer();
        string kid = (await server.Client.CreateKey(issuer)).Str("kid");
        string key = Guid.NewGuid().ToString();
        // REST spells out the default content type and the document hash the claims give; gRPC leaves both to the server.
        var claims = AttestApi.DegreeClaims("cross");
        claims["document"] = new System.Text.Json.Nodes.JsonObject { ["sha256"] = new string('A', 64) };
        var body = AttestApi.MintBody(issuer, kid, claims);
        body["content_type"] = "application/json";
        body["document_hash"] = new string('a', 64);
        var rest = await server.Client.Mint(body, idempotencyKey: key);
        long size = await server.Client.TreeSize();

        var message = new MintRequest { IssuerId = issuer, Kid = kid, Alg = "Ed25519", Schema = "degree", Claims = Struct.Parser.ParseJson(claims.ToJsonString()) };
        var replay = await Call(Mint, message, key);
        Assert.Equal((rest.Str("id"), rest.GetProperty("log_index").GetInt64()), (replay.Id, replay.LogIndex));
        Assert.Equal("", replay.HolderToken); // only the first answer carries it
        Assert.Equal(size, await server.Client.TreeSize());

        // Another command under the same key: refused over gRPC and over REST, and nothing appended.
        message.Claims.Fields["honors"] = Value.ForString("summa cum laude");
        var e = await Assert.ThrowsAsync<RpcException>(() => Call(Mint, message, key));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.StartsWith("idempotency_key_reused: ", e.Status.Detail);
        var otherBody = AttestApi.MintBody(issuer, kid, AttestApi.DegreeClaims("other"));
        Http.AssertError(await server.Client.Post("v1/attestations/mint", otherBody, idempotencyKey: key), HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(size, await server.Client.TreeSize());
    }

    [Fact]
    public async Task a_stamp_sent_over_grpc_then_over_rest_with_one_key_is_one_stamp()
    {
        string key = Guid.NewGuid().ToString();
        // gRPC names the content hash; REST sends the content of a hash-only stamp, which keeps only its hash.
        var first = await Call(CreateStamp, new CreateStampRequest { ContentHash = StampOf("cross-transport stamp") }, key);
        var (status, again) = await server.Client.Post("v1/stamps", new { content = "cross-transport stamp", visibility = "hash_only" }, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal((first.Id, first.LogIndex), (again.Str("id"), again.GetProperty("log_index").GetInt64()));

        var (otherStatus, other) = await server.Client.Post("v1/stamps", new { content = "cross-transport stamp", visibility = "public" }, idempotencyKey: key);
        Http.AssertError((otherStatus, other), HttpStatusCode.Conflict, "idempotency_key_reused");
    }

    private static string StampOf(string content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));

    private async Task<TResponse> Call<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, string idempotencyKey)
        where TRequest : class where TResponse : class
    {
        var headers = new Metadata { { "authorization", "Bearer " + ServerProcess.AdminKey }, { "idempotency-key", idempotencyKey } };
        return await channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers), request);
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name, MessageParser<TRequest> requestParser)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, service, name, Marshallers.Create(r => r.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create<TResponse>(r => r.ToByteArray(), bytes => { var m = new TResponse(); m.MergeFrom(bytes); return m; }));
}
