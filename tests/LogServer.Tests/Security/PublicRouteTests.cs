using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.V1;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// The keyless public routes cannot be used to stop or drain the server: a per-address budget, a concurrency limit
/// on the expensive routes, and a small <c>/v1/verify</c> body that compares a document by its hash.
/// </summary>
public sealed class PublicRouteTests
{
    [Fact]
    public async Task an_address_over_its_public_budget_gets_429_rate_limited_with_retry_after_on_rest_and_grpc_and_issuers_still_mint()
    {
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__RateLimits__PublicPerMinute"] = "1",
            ["Attest__RateLimits__PublicBurst"] = "4",
        });
        var c = server.Client;
        string issuerId = await c.CreateIssuer();
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        await CheckpointCovering(c, 2); // by /readyz, which is not a public route and so takes no token

        // Four tokens: a mix of the public routes takes them, the fifth request is refused whatever the route.
        foreach (var path in new[] { "checkpoint", "v1/schemas", "v1/log/key", ".well-known/attest-keys.json" })
            Assert.Equal(HttpStatusCode.OK, (await c.GetAsync(path)).StatusCode);
        // A holder-token read is keyless too: guessing tokens from one address is limited like any public read.
        foreach (var path in new[] { "checkpoint", "tile/entries/000.p/1", "v1/log/proofs/inclusion?index=0", "v1/anchors", $"v1/attestations/{Guid.NewGuid()}?holder_token=attest_holder_guess" })
        {
            using var refused = await c.GetAsync(path);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"{path}: no Retry-After");
            using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("rate_limited", body.RootElement.GetProperty("error").GetString());
            Assert.False(body.RootElement.GetProperty("success").GetBoolean());
        }
        Http.AssertError(await c.Post("v1/verify", new { content_hash = new string('0', 64) }, key: null), HttpStatusCode.TooManyRequests, "rate_limited");

        // The gRPC twins of the public reads share the address's budget.
        var (grpcStatus, grpcMessage, _) = await RawGrpc.CallAs(server, null, "/attest.v1.Log/GetCheckpoint", new GetCheckpointRequest());
        Assert.Equal(8, grpcStatus); // RESOURCE_EXHAUSTED
        Assert.StartsWith("rate_limited", grpcMessage);

        // Keyed writes are not public routes: the issuer's mint goes through.
        await c.Mint(AttestApi.MintBody(issuerId, kid));
    }

    [Fact]
    public async Task an_expensive_request_beyond_the_concurrency_limit_gets_429_while_cheap_routes_still_answer()
    {
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__RateLimits__ExpensiveConcurrency"] = "1",
            ["Attest__RateLimits__ExpensiveQueue"] = "0",
        });
        var c = server.Client;
        await c.Stamp("something to prove");
        await c.CheckpointCovering(1);

        // A verify whose body trickles in holds the one permit: the server asked for the body (100-continue), so the
        // request is past the limiter and inside its handler.
        var slow = new HeldContent("{\"content_hash\":\"" + new string('0', 64));
        using var holding = new HttpRequestMessage(HttpMethod.Post, "v1/verify") { Content = slow };
        holding.Headers.ExpectContinue = true;
        var held = c.SendAsync(holding);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Http.AssertError(await c.Get("v1/log/proofs/inclusion?index=0&tree_size=1", key: null), HttpStatusCode.TooManyRequests, "rate_limited");
        Http.AssertError(await c.Post("v1/verify", new { content_hash = new string('1', 64) }, key: null), HttpStatusCode.TooManyRequests, "rate_limited");
        // SCRAPI's receipt resolution is the same lookup and inclusion proof as /v1/log/entries/{index}/receipt.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await c.GetAsync("entries/" + new string('0', 64))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("checkpoint")).StatusCode);

        slow.Release("\"}");
        using var first = await held;
        Assert.NotEqual(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.Get("v1/log/proofs/inclusion?index=0&tree_size=1", key: null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await c.GetAsync("entries/" + new string('0', 64))).StatusCode);
    }

    [Fact]
    public async Task a_ten_megabyte_verify_body_gets_413_and_changes_nothing()
    {
        await using var server = await ServerProcess.Start();
        var c = server.Client;
        string issuerId = await c.CreateIssuer();
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var a = await c.Mint(AttestApi.MintBody(issuerId, kid));
        await c.CheckpointCovering(a.GetProperty("log_index").GetInt64() + 1);
        long size = await c.TreeSize();

        string document = AttestApi.B64Url(RandomNumberGenerator.GetBytes(7_500_000)); // 10 MB of base64url
        string body = JsonSerializer.Serialize(new { attestation_id = a.Str("id"), document });
        Assert.True(body.Length > 10_000_000);
        Http.AssertError(await c.Post("v1/verify", body, key: null), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        Assert.Equal(size, await c.TreeSize());
        Assert.Equal("VALID", (await c.Verify(new { attestation_id = a.Str("id") })).Str("verdict"));
    }

    [Fact]
    public async Task document_sha256_compares_a_document_by_its_hash_on_rest_and_grpc()
    {
        await using var server = await ServerProcess.Start();
        var c = server.Client;
        string issuerId = await c.CreateIssuer();
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        byte[] document = Encoding.UTF8.GetBytes("transcript " + Guid.NewGuid());
        string hash = Convert.ToHexStringLower(SHA256.HashData(document));
        var claims = AttestApi.DegreeClaims("document");
        claims["document"] = new System.Text.Json.Nodes.JsonObject { ["sha256"] = hash };
        var a = await c.Mint(AttestApi.MintBody(issuerId, kid, claims));
        await c.CheckpointCovering(a.GetProperty("log_index").GetInt64() + 1);

        var same = await c.Verify(new { attestation_id = a.Str("id"), document_sha256 = hash.ToUpperInvariant() });
        Assert.Equal("VALID", same.Str("verdict"));
        Assert.Contains("document_hash_match", same.Reasons());
        var other = await c.Verify(new { attestation_id = a.Str("id"), document_sha256 = new string('a', 64) });
        Assert.Equal("ALTERED", other.Str("verdict"));
        Assert.Contains("document_hash_mismatch", other.Reasons());

        Http.AssertError(await c.Post("v1/verify", new { attestation_id = a.Str("id"), document_sha256 = "abc" }, key: null), HttpStatusCode.BadRequest, "invalid_document_sha256");
        Http.AssertError(await c.Post("v1/verify", new { attestation_id = a.Str("id"), document_sha256 = hash, document = AttestApi.B64Url(document) }, key: null),
            HttpStatusCode.BadRequest, "invalid_field");
        Http.AssertError(await c.Post("v1/verify", new { content_hash = hash, document_sha256 = hash }, key: null), HttpStatusCode.BadRequest, "invalid_field");

        var (status, message, _) = await RawGrpc.CallAs(server, null, "/attest.v1.Attestations/Verify", new VerifyRequest { AttestationId = a.Str("id"), DocumentSha256 = new string('b', 64) });
        Assert.True(status == 0, message);
    }

    private static async Task CheckpointCovering(HttpClient client, long size)
    {
        for (int i = 0; i < 300; i++)
        {
            if ((await client.Get("readyz", key: null)).Body.GetProperty("checkpoint_size").GetInt64() >= size) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"no checkpoint of size {size} within 15 s");
    }

    /// <summary>A request body that sends its start, then waits until the test releases the rest.</summary>
    private sealed class HeldContent(string start) : HttpContent
    {
        private readonly TaskCompletionSource<string> rest = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release(string end) => rest.TrySetResult(end);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(start));
            await stream.FlushAsync();
            Started.TrySetResult();
            await stream.WriteAsync(Encoding.UTF8.GetBytes(await rest.Task));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
