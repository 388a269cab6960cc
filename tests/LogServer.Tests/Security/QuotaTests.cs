using System.Net;
using System.Security.Cryptography;

namespace Attest.LogServer.Tests.Security;

/// <summary>A server with small per-issuer quotas (Attest:Quotas), so that one issuer can be driven over each.</summary>
public sealed class QuotaFixture : IAsyncLifetime
{
    public const int Keys = 3, Packs = 2, ApiKeys = 2, BlobBytes = 1000;

    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public async Task InitializeAsync() => Server = await ServerProcess.Start(settings: new Dictionary<string, string>
    {
        ["Attest__Quotas__MaxKeysPerIssuer"] = Keys.ToString(),
        ["Attest__Quotas__MaxPacksPerIssuer"] = Packs.ToString(),
        ["Attest__Quotas__MaxApiKeysPerIssuer"] = ApiKeys.ToString(),
        ["Attest__Quotas__MaxBlobBytesPerDay"] = BlobBytes.ToString(),
    });

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>
/// One issuer cannot grow the keyring, the packs, the API keys or the blob store without bound: past its quota a
/// request is 429 quota_exceeded naming the setting, appends nothing and stores nothing, and other issuers go on.
/// Every request here uses the admin key: acting for an issuer, it is held to that issuer's quotas.
/// </summary>
public sealed class QuotaTests(QuotaFixture fixture) : IClassFixture<QuotaFixture>
{
    private HttpClient Client => fixture.Client;

    private static void AssertQuota((HttpStatusCode Status, System.Text.Json.JsonElement Body) response, string setting)
    {
        Http.AssertError(response, HttpStatusCode.TooManyRequests, "quota_exceeded");
        Assert.Contains("Attest:Quotas:" + setting, response.Body.Str("message"));
    }

    [Fact]
    public async Task signing_keys_past_the_quota_are_refused_rotation_included_and_nothing_is_appended()
    {
        string issuerId = await Client.CreateIssuer("Key Hoarder");
        string first = (await Client.CreateKey(issuerId)).Str("kid");
        await Client.CreateKey(issuerId);
        var (status, _) = await Client.Post($"v1/issuers/keys/{first}/rotate", new { new_kid = AttestApi.NewKid() });
        Assert.Equal(HttpStatusCode.Created, status); // the third key: rotated keys stay in the keyring, so they count

        long size = await Client.TreeSize();
        string refusedKid = AttestApi.NewKid();
        AssertQuota(await Client.Post($"v1/issuers/{issuerId}/keys", new { kid = refusedKid }), "MaxKeysPerIssuer");
        var second = (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").EnumerateArray().Select(k => k.Str("kid")).Last();
        AssertQuota(await Client.Post($"v1/issuers/keys/{second}/rotate", new { new_kid = AttestApi.NewKid() }), "MaxKeysPerIssuer");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(QuotaFixture.Keys, (await Client.Get($"v1/issuers/{issuerId}/keys")).Body.GetProperty("keys").GetArrayLength());

        // Another issuer is not affected.
        await Client.CreateKey(await Client.CreateIssuer("Other Issuer"));
    }

    [Fact]
    public async Task verification_packs_past_the_quota_are_refused_and_nothing_is_appended()
    {
        string issuerId = await Client.CreateIssuer("Pack Hoarder");
        for (int i = 0; i < QuotaFixture.Packs; i++)
            Assert.Equal(HttpStatusCode.Created, (await Client.Post("v1/attestation-packs", new { issuer_id = issuerId, name = "pack " + i })).Status);
        long size = await Client.TreeSize();
        AssertQuota(await Client.Post("v1/attestation-packs", new { issuer_id = issuerId, name = "one too many" }), "MaxPacksPerIssuer");
        Assert.Equal(size, await Client.TreeSize());
    }

    [Fact]
    public async Task api_keys_past_the_quota_are_refused_until_one_is_revoked()
    {
        string issuerId = await Client.CreateIssuer("API Key Hoarder");
        var created = new List<string>();
        for (int i = 0; i < QuotaFixture.ApiKeys; i++)
        {
            var (status, key) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "ci " + i });
            Assert.Equal(HttpStatusCode.Created, status);
            created.Add(key.Str("id"));
        }
        long size = await Client.TreeSize();
        AssertQuota(await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "one too many" }), "MaxApiKeysPerIssuer");
        Assert.Equal(size, await Client.TreeSize());

        // A revoked key no longer counts.
        Assert.Equal(HttpStatusCode.OK, (await Client.Send(HttpMethod.Delete, $"v1/api-keys/{created[0]}")).Status);
        Assert.Equal(HttpStatusCode.Created, (await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "replacement" })).Status);
    }

    [Fact]
    public async Task payload_uploads_past_the_daily_quota_are_refused_before_anything_is_stored()
    {
        string issuerId = await Client.CreateIssuer("Blob Hoarder");
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        string blobs = Path.Combine(fixture.Server.DataDir, "blobs");
        var body = AttestApi.MintBody(issuerId, kid);
        body["content_type"] = "application/pdf";
        body["payload"] = AttestApi.B64Url(RandomNumberGenerator.GetBytes(QuotaFixture.BlobBytes * 6 / 10));
        await Client.Mint(body);

        long size = await Client.TreeSize();
        int stored = Directory.GetFiles(blobs).Length;
        var second = AttestApi.MintBody(issuerId, kid);
        second["content_type"] = "application/pdf";
        second["payload"] = AttestApi.B64Url(RandomNumberGenerator.GetBytes(QuotaFixture.BlobBytes * 6 / 10));
        var (status, refused) = await Client.Post("v1/attestations/mint", second, idempotencyKey: Guid.NewGuid().ToString());
        AssertQuota((status, refused), "MaxBlobBytesPerDay");
        Assert.Equal(size, await Client.TreeSize());
        Assert.Equal(stored, Directory.GetFiles(blobs).Length);

        // A mint without a payload still goes through, and so does another issuer's upload.
        await Client.Mint(AttestApi.MintBody(issuerId, kid));
        string otherIssuer = await Client.CreateIssuer("Modest Uploader");
        var other = AttestApi.MintBody(otherIssuer, (await Client.CreateKey(otherIssuer)).Str("kid"));
        other["content_type"] = "application/pdf";
        other["payload"] = AttestApi.B64Url(RandomNumberGenerator.GetBytes(QuotaFixture.BlobBytes * 6 / 10));
        await Client.Mint(other);
    }
}
