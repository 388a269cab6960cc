using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>One server with an issuer, a valid and a revoked attestation, and a file stamped twice by its hash.</summary>
public sealed class WebPageFixture : IAsyncLifetime
{
    /// <summary>Bytes of the stamped file that must never leave the browser.</summary>
    public const string FileMarker = "attest-web-file-marker-never-uploaded";

    public ServerProcess Server { get; private set; } = null!;

    public string IssuerName { get; } = "Universität Ærøskøbing " + Guid.NewGuid().ToString("N")[..8];

    public string AttestationId { get; private set; } = "";

    public string RevokedId { get; private set; } = "";

    /// <summary>The revoked attestation's full bundle (with its holder token): it carries the revocation entry.</summary>
    public string RevokedBundleText { get; private set; } = "";

    /// <summary>The log's verifier key, as GET /v1/log/key serves it.</summary>
    public string VerifierKey { get; private set; } = "";

    /// <summary>The holder token of <see cref="AttestationId"/>, from its mint.</summary>
    public string AttestationToken { get; private set; } = "";

    public string BundleText { get; private set; } = "";

    public string StampedFile { get; } = Path.Combine(Path.GetTempPath(), $"attest-stamped-{Guid.NewGuid():N}.txt");

    public string ContentHash { get; private set; } = "";

    public string FirstStampId { get; private set; } = "";

    public long FirstStampIndex { get; private set; }

    public string FirstStampLeaf { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.Start();
        var c = Server.Client;
        string issuerId = await c.CreateIssuer(IssuerName);
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var minted = await c.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("Zoë Ñúñez 🎓")));
        (AttestationId, AttestationToken) = (minted.Str("id"), minted.Str("holder_token"));
        var revokedMint = await c.Mint(AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims("Revoked")));
        RevokedId = revokedMint.Str("id");
        var (revoked, body) = await c.Post($"v1/attestations/{RevokedId}/revoke", new { reason = "issued in error" });
        Assert.True(revoked == HttpStatusCode.OK, body.GetRawText());

        byte[] content = [.. Encoding.UTF8.GetBytes(FileMarker + "\n"), .. RandomNumberGenerator.GetBytes(64 * 1024)];
        await File.WriteAllBytesAsync(StampedFile, content);
        ContentHash = Convert.ToHexStringLower(SHA256.HashData(content));
        var (status, first) = await c.Post("v1/stamps", new { content_hash = ContentHash });
        Assert.Equal(HttpStatusCode.Created, status);
        (status, _) = await c.Post("v1/stamps", new { content_hash = ContentHash });
        Assert.Equal(HttpStatusCode.Created, status);
        FirstStampId = first.Str("id");
        FirstStampIndex = first.GetProperty("log_index").GetInt64();
        FirstStampLeaf = first.Str("leaf_hash");

        await c.CheckpointCovering(await c.TreeSize());
        using var response = await c.GetAsync($"v1/attestations/{AttestationId}/proof-bundle?holder_token={AttestationToken}");
        BundleText = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, BundleText);
        using var revokedResponse = await c.GetAsync($"v1/attestations/{RevokedId}/proof-bundle?holder_token={revokedMint.Str("holder_token")}");
        RevokedBundleText = await revokedResponse.Content.ReadAsStringAsync();
        Assert.True(revokedResponse.StatusCode == HttpStatusCode.OK, RevokedBundleText);
        VerifierKey = (await c.Get("v1/log/key", key: null)).Body.Str("verifier_key");
    }

    public async Task DisposeAsync()
    {
        File.Delete(StampedFile);
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

