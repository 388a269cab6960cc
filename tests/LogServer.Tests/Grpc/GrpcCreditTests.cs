using System.Net;
using Attest.LogServer.Tests.Api;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>
/// Credits over gRPC: Stamps.Create, Mint and Supersede are charged as their REST twins are, answer
/// <c>credits_charged</c> and <c>api_credits_remaining</c> (unset for a key without a balance), and an empty balance
/// is RESOURCE_EXHAUSTED with the REST code.
/// </summary>
public sealed class GrpcCreditTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int ResourceExhausted = 8;

    private ServerProcess Server => fixture.Server;

    private HttpClient Client => fixture.Client;

    private static V1.MintRequest Mint(string issuerId, string kid) => new()
    {
        IssuerId = issuerId, Kid = kid, Alg = "Ed25519", Schema = "degree", Claims = Struct.Parser.ParseJson(AttestApi.DegreeClaims().ToJsonString()),
    };

    [Fact]
    public async Task grpc_writes_are_charged_and_an_empty_balance_is_resource_exhausted()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, id) = await Client.CreateApiKey(issuerId, 3);

        string stampKey = Guid.NewGuid().ToString();
        var (status, message, reply) = await RawGrpc.CallAs(Server, key, "/attest.v1.Stamps/Create", new V1.CreateStampRequest { Content = "over grpc" }, ("idempotency-key", stampKey));
        Assert.True(status == 0, message);
        var stamp = V1.Stamp.Parser.ParseFrom(reply);
        Assert.Equal(1, stamp.CreditsCharged);
        Assert.Equal(2, stamp.ApiCreditsRemaining);

        (status, message, reply) = await RawGrpc.CallAs(Server, key, "/attest.v1.Attestations/Mint", Mint(issuerId, kid), ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.True(status == 0, message);
        var minted = V1.Attestation.Parser.ParseFrom(reply);
        Assert.Equal(1, minted.CreditsCharged);
        Assert.Equal(1, minted.ApiCreditsRemaining);

        var supersede = new V1.SupersedeRequest { Id = minted.Id, Attestation = Mint(issuerId, kid) };
        (status, message, reply) = await RawGrpc.CallAs(Server, key, "/attest.v1.Attestations/Supersede", supersede, ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.True(status == 0, message);
        var superseding = V1.Attestation.Parser.ParseFrom(reply);
        Assert.Equal(1, superseding.CreditsCharged);
        Assert.Equal(0, superseding.ApiCreditsRemaining);

        long size = await Client.TreeSize();
        (status, message, _) = await RawGrpc.CallAs(Server, key, "/attest.v1.Stamps/Create", new V1.CreateStampRequest { Content = "one too many" });
        Assert.Equal(ResourceExhausted, status);
        Assert.StartsWith("insufficient_api_credits:", message);
        (status, message, _) = await RawGrpc.CallAs(Server, key, "/attest.v1.Attestations/Mint", Mint(issuerId, kid), ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.Equal(ResourceExhausted, status);
        Assert.StartsWith("insufficient_api_credits:", message);
        Assert.Equal(size, await Client.TreeSize());

        // The retry of the gRPC stamp over REST is the same request: the same stamp, at no cost.
        var (restStatus, retried) = await Client.Post("v1/stamps", new { content = "over grpc" }, key, stampKey);
        Assert.Equal(HttpStatusCode.Created, restStatus);
        Assert.Equal(stamp.Id, retried.Str("id"));
        CreditsApi.AssertCharged(retried, 0, 0);
        Assert.Equal(0, await Client.Balance(id));
    }

    [Fact]
    public async Task a_grpc_write_by_a_key_without_a_balance_leaves_the_credit_fields_unset()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (key, _) = await Client.CreateApiKey(issuerId, null);
        var (status, message, reply) = await RawGrpc.CallAs(Server, key, "/attest.v1.Stamps/Create", new V1.CreateStampRequest { ContentHash = new string('d', 64) });
        Assert.True(status == 0, message);
        var stamp = V1.Stamp.Parser.ParseFrom(reply);
        Assert.Null(stamp.CreditsCharged);
        Assert.Null(stamp.ApiCreditsRemaining);
        (status, message, reply) = await RawGrpc.CallAs(Server, key, "/attest.v1.Attestations/Mint", Mint(issuerId, kid), ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.True(status == 0, message);
        Assert.Null(V1.Attestation.Parser.ParseFrom(reply).CreditsCharged);
    }
}
