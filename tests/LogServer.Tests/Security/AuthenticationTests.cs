using System.Net;
using System.Text.Json;
using Attest.V1;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Attacks on API keys, issuer scope and holder tokens, over REST and gRPC against a real server: every refusal is the
/// documented 401/403 JSON body or UNAUTHENTICATED/PERMISSION_DENIED with "code: message", and changes nothing.
/// </summary>
public sealed class AuthenticationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int Unauthenticated = 16, PermissionDenied = 7;

    private HttpClient Client => fixture.Client;

    private async Task<(string IssuerId, string Kid, string ApiKey, string ApiKeyId)> Issuer(object? expiresAt = null)
    {
        string issuerId = await Client.CreateIssuer();
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        var (status, key) = await Client.Post("v1/api-keys", expiresAt is null ? new { issuer_id = issuerId, name = "ci" } : new { issuer_id = issuerId, name = "ci", expires_at = expiresAt });
        Assert.Equal(HttpStatusCode.Created, status);
        return (issuerId, kid, key.Str("key"), key.Str("id"));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Send(HttpClient client, HttpMethod method, string path, object? body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement : default, response);
    }

    private static void AssertRefused((HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response) r, HttpStatusCode status, string code) =>
        Http.AssertError((r.Status, r.Body), status, code);

    private Task<(int Status, string? Message, byte[] Reply)> Grpc(string? key, string method, IMessage request, params (string Name, string Value)[] headers) =>
        RawGrpc.CallAs(fixture.Server, key, method, request, headers);

    private static void AssertStatus((int Status, string? Message, byte[] Reply) reply, int status, string code)
    {
        Assert.True(reply.Status == status, $"{reply.Status}: {reply.Message}");
        Assert.StartsWith(code + ": ", reply.Message);
    }

    [Fact]
    public async Task two_headers_naming_different_keys_are_refused_and_never_pick_the_admin_key()
    {
        var (_, _, apiKey, _) = await Issuer();
        long size = await Client.TreeSize();
        // A valid issuer key as Bearer with the admin key beside it, and the other way round: neither acts as the admin.
        foreach (var (bearer, xApiKey) in new[] { (apiKey, ServerProcess.AdminKey), (ServerProcess.AdminKey, apiKey), (apiKey, "atk_wrong") })
        {
            AssertRefused(await Send(Client, HttpMethod.Post, "v1/issuers", new { name = "Mallory" }, ("Authorization", "Bearer " + bearer), ("X-API-Key", xApiKey)),
                HttpStatusCode.Unauthorized, "invalid_api_key");
            AssertStatus(await Grpc(bearer, "/attest.v1.Issuers/CreateIssuer", new CreateIssuerRequest { Name = "Mallory" }, ("x-api-key", xApiKey)), Unauthenticated, "invalid_api_key");
        }
        // The same header twice.
        AssertRefused(await Send(Client, HttpMethod.Post, "v1/issuers", new { name = "Mallory" }, ("X-API-Key", apiKey), ("X-API-Key", ServerProcess.AdminKey)),
            HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Equal(size, await Client.TreeSize());
        // One key in both headers is one key.
        var same = await Send(Client, HttpMethod.Get, "v1/api-keys", null, ("Authorization", "Bearer " + ServerProcess.AdminKey), ("X-API-Key", ServerProcess.AdminKey));
        Assert.Equal(HttpStatusCode.OK, same.Status);
    }

    [Fact]
    public async Task a_revoked_key_is_refused_at_once_over_rest_and_grpc_though_it_was_just_used()
    {
        var (issuerId, kid, apiKey, apiKeyId) = await Issuer();
        // Used on both transports first, so that any result kept for the key is warm when it is revoked.
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/issuers/{issuerId}", key: apiKey)).Status);
        var listed = await Grpc(apiKey, "/attest.v1.Issuers/ListKeys", new ListKeysRequest { IssuerId = issuerId });
        Assert.True(listed.Status == 0, listed.Message);

        Assert.Equal(HttpStatusCode.OK, (await Client.Send(HttpMethod.Delete, $"v1/api-keys/{apiKeyId}")).Status);
        long size = await Client.TreeSize();
        Http.AssertError(await Client.Get($"v1/issuers/{issuerId}", key: apiKey), HttpStatusCode.Unauthorized, "invalid_api_key");
        Http.AssertError(await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), key: apiKey, idempotencyKey: Guid.NewGuid().ToString()),
            HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertStatus(await Grpc(apiKey, "/attest.v1.Issuers/ListKeys", new ListKeysRequest { IssuerId = issuerId }), Unauthenticated, "invalid_api_key");
        AssertStatus(await Grpc(apiKey, "/attest.v1.Stamps/Create", new CreateStampRequest { Content = "after revocation" }, ("idempotency-key", Guid.NewGuid().ToString())),
            Unauthenticated, "invalid_api_key");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task an_expired_key_is_refused_over_rest_and_grpc_though_it_was_just_used()
    {
        // Long enough to use the key on both transports first, so that any result kept for it is warm when it expires.
        var expires = DateTimeOffset.UtcNow.AddSeconds(8);
        var (issuerId, _, apiKey, _) = await Issuer(expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/issuers/{issuerId}", key: apiKey)).Status);
        var early = await Grpc(apiKey, "/attest.v1.Issuers/ListKeys", new ListKeysRequest { IssuerId = issuerId });
        Assert.True(early.Status == 0, early.Message);
        var wait = expires - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);

        Http.AssertError(await Client.Get($"v1/issuers/{issuerId}", key: apiKey), HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertStatus(await Grpc(apiKey, "/attest.v1.Issuers/ListKeys", new ListKeysRequest { IssuerId = issuerId }), Unauthenticated, "invalid_api_key");
    }

    [Fact]
    public async Task an_issuer_key_cannot_read_or_revoke_another_issuers_attestation_nor_list_its_keys()
    {
        var (issuerId, _, apiKey, _) = await Issuer();
        var (otherIssuer, otherKid, _, _) = await Issuer();
        var theirs = await Client.Mint(AttestApi.MintBody(otherIssuer, otherKid));
        string id = theirs.Str("id");
        long size = await Client.TreeSize();

        Http.AssertError(await Client.Get($"v1/attestations/{id}", key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/attestations/{id}/revoke", new { reason = "not mine" }, key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Get($"v1/issuers/{otherIssuer}/keys", key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Get($"v1/issuers/{otherIssuer}", key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Post($"v1/issuers/{otherIssuer}/keys", new { kid = AttestApi.NewKid() }, key: apiKey), HttpStatusCode.Forbidden, "forbidden");
        var bundle = await Client.Get($"v1/attestations/{id}/proof-bundle", key: apiKey);
        Assert.Equal(HttpStatusCode.OK, bundle.Status);
        Assert.Equal("public", bundle.Body.Str("access"));

        AssertStatus(await Grpc(apiKey, "/attest.v1.Attestations/Get", new GetAttestationRequest { Id = id }), PermissionDenied, "forbidden");
        AssertStatus(await Grpc(apiKey, "/attest.v1.Attestations/Revoke", new RevokeRequest { Id = id, Reason = "not mine" }), PermissionDenied, "forbidden");
        AssertStatus(await Grpc(apiKey, "/attest.v1.Issuers/ListKeys", new ListKeysRequest { IssuerId = otherIssuer }), PermissionDenied, "forbidden");
        AssertStatus(await Grpc(apiKey, "/attest.v1.Issuers/CreateKey", new CreateKeyRequest { IssuerId = otherIssuer, Kid = AttestApi.NewKid() }), PermissionDenied, "forbidden");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal("VALID", (await Client.Get($"v1/attestations/{id}")).Body.Str("status"));
        // Its own issuer's keys it may list.
        Assert.Equal(HttpStatusCode.OK, (await Client.Get($"v1/issuers/{issuerId}/keys", key: apiKey)).Status);
    }

    [Fact]
    public async Task the_holder_token_of_one_attestation_does_not_open_another()
    {
        var (issuerId, kid, _, _) = await Issuer();
        var a = await Client.Mint(AttestApi.MintBody(issuerId, kid));
        var b = await Client.Mint(AttestApi.MintBody(issuerId, kid));
        string tokenOfA = a.Str("holder_token");

        var own = await Send(Client, HttpMethod.Get, $"v1/attestations/{a.Str("id")}", null, ("X-Holder-Token", tokenOfA));
        Assert.Equal(HttpStatusCode.OK, own.Status);
        AssertRefused(await Send(Client, HttpMethod.Get, $"v1/attestations/{b.Str("id")}", null, ("X-Holder-Token", tokenOfA)), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Get($"v1/attestations/{b.Str("id")}?holder_token={Uri.EscapeDataString(tokenOfA)}", key: null), HttpStatusCode.Forbidden, "forbidden");
        var bundle = await Send(Client, HttpMethod.Get, $"v1/attestations/{b.Str("id")}/proof-bundle", null, ("X-Holder-Token", tokenOfA));
        Assert.Equal(HttpStatusCode.OK, bundle.Status);
        Assert.Equal("public", bundle.Body.Str("access"));
        Assert.Equal(JsonValueKind.Null, bundle.Body.GetProperty("attestation").ValueKind);

        AssertStatus(await Grpc(null, "/attest.v1.Attestations/Get", new GetAttestationRequest { Id = b.Str("id") }, ("x-holder-token", tokenOfA)), PermissionDenied, "forbidden");
        var ownOverGrpc = await Grpc(null, "/attest.v1.Attestations/Get", new GetAttestationRequest { Id = a.Str("id") }, ("x-holder-token", tokenOfA));
        Assert.True(ownOverGrpc.Status == 0, ownOverGrpc.Message);
    }

    [Fact]
    public async Task a_wrong_key_on_a_route_that_needs_no_key_is_refused_not_taken_as_anonymous()
    {
        var (issuerId, kid, _, _) = await Issuer();
        var a = await Client.Mint(AttestApi.MintBody(issuerId, kid));
        string id = a.Str("id"), token = a.Str("holder_token");

        // A valid holder token does not cover for a wrong key beside it.
        AssertRefused(await Send(Client, HttpMethod.Get, $"v1/attestations/{id}", null, ("X-Holder-Token", token), ("X-API-Key", "atk_wrong")), HttpStatusCode.Unauthorized, "invalid_api_key");
        Http.AssertError(await Client.Get($"v1/attestations/{id}/proof-bundle", key: "atk_wrong"), HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertStatus(await Grpc("atk_wrong", "/attest.v1.Attestations/GetProofBundle", new GetProofBundleRequest { Id = id }), Unauthenticated, "invalid_api_key");
        AssertStatus(await Grpc("atk_wrong", "/attest.v1.Attestations/Get", new GetAttestationRequest { Id = id }, ("x-holder-token", token)), Unauthenticated, "invalid_api_key");
        // Without the key, the same requests are answered.
        Assert.Equal(HttpStatusCode.OK, (await Send(Client, HttpMethod.Get, $"v1/attestations/{id}", null, ("X-Holder-Token", token))).Status);
        Assert.Equal("public", (await Client.Get($"v1/attestations/{id}/proof-bundle", key: null)).Body.Str("access"));
    }

    [Fact]
    public async Task refusals_carry_the_json_error_body_and_a_bearer_challenge()
    {
        var missing = await Send(Client, HttpMethod.Get, "v1/api-keys", null);
        AssertRefused(missing, HttpStatusCode.Unauthorized, "missing_api_key");
        Assert.Equal("Bearer", missing.Response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/json", missing.Response.Content.Headers.ContentType?.MediaType);
        AssertRefused(await Send(Client, HttpMethod.Get, "v1/api-keys", null, ("Authorization", "Basic dXNlcjpwYXNz")), HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertRefused(await Send(Client, HttpMethod.Get, "v1/api-keys", null, ("Authorization", "Bearer ")), HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertStatus(await Grpc(null, "/attest.v1.Issuers/CreateIssuer", new CreateIssuerRequest { Name = "Nobody" }), Unauthenticated, "missing_api_key");
        var (_, _, apiKey, _) = await Issuer();
        var forbidden = await Send(Client, HttpMethod.Get, "v1/api-keys", null, ("X-API-Key", apiKey));
        AssertRefused(forbidden, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("this needs the admin key", forbidden.Body.Str("message"));
        AssertStatus(await Grpc(apiKey, "/attest.v1.Issuers/CreateIssuer", new CreateIssuerRequest { Name = "Nobody" }), PermissionDenied, "forbidden");
    }

    [Fact]
    public async Task very_long_key_headers_are_refused_and_the_server_goes_on()
    {
        string longKey = "atk_" + new string('x', 10_000);
        AssertRefused(await Send(Client, HttpMethod.Get, "v1/api-keys", null, ("X-API-Key", longKey)), HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertRefused(await Send(Client, HttpMethod.Get, "v1/api-keys", null, ("Authorization", "Bearer " + longKey)), HttpStatusCode.Unauthorized, "invalid_api_key");
        AssertStatus(await Grpc(longKey, "/attest.v1.Issuers/CreateIssuer", new CreateIssuerRequest { Name = "Nobody" }), Unauthenticated, "invalid_api_key");
        // Beyond Kestrel's header limits the request is refused before any of ours runs.
        var huge = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/api-keys") { Headers = { { "X-API-Key", new string('x', 200_000) } } });
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, huge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.Get("v1/api-keys")).Status);
    }
}
