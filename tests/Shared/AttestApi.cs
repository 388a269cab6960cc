using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.Tests.Shared;

/// <summary>The attestation API from a client's side: issuers, keys, mints and verify over REST, and the base64url they use.</summary>
internal static class AttestApi
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static string[] Reasons(this JsonElement verification) => [.. verification.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)];

    public static string B64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromB64Url(string text)
    {
        Assert.Matches("^[A-Za-z0-9_-]*$", text);
        string s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    public static string NewKid() => "key-" + Guid.NewGuid().ToString("N")[..16];

    public static async Task<string> CreateIssuer(this HttpClient client, string name = "Test Issuer")
    {
        var (status, issuer) = await client.Post("v1/issuers", new { name });
        Assert.Equal(HttpStatusCode.Created, status);
        return issuer.Str("id");
    }

    public static async Task<JsonElement> CreateKey(this HttpClient client, string issuerId, string? kid = null, string? key = ServerProcess.AdminKey)
    {
        var (status, created) = await client.Post($"v1/issuers/{issuerId}/keys", new { kid = kid ?? NewKid() }, key);
        Assert.True(status == HttpStatusCode.Created, created.GetRawText());
        return created;
    }

    public static JsonObject DegreeClaims(string tag = "Lovelace") => new()
    {
        ["student_name"] = "Ada " + tag,
        ["institution"] = "Example University",
        ["degree_type"] = "BSc",
        ["field_of_study"] = "Mathematics",
        ["graduation_date"] = "2025-06-30",
        ["honors"] = "cum laude",
    };

    public static JsonObject MintBody(string issuerId, string kid, JsonObject? claims = null, string schema = "degree") => new()
    {
        ["issuer_id"] = issuerId,
        ["kid"] = kid,
        ["alg"] = "Ed25519",
        ["schema"] = schema,
        ["claims"] = claims is null ? DegreeClaims() : claims.Parent is null ? claims : claims.DeepClone(),
    };

    public static async Task<JsonElement> Mint(this HttpClient client, object body, string? key = ServerProcess.AdminKey, string? idempotencyKey = null)
    {
        var (status, a) = await client.Post("v1/attestations/mint", body, key, idempotencyKey ?? Guid.NewGuid().ToString());
        Assert.True(status == HttpStatusCode.Created, $"mint answered {status}: {a.GetRawText()}");
        return a;
    }

    public static async Task<JsonElement> Verify(this HttpClient client, object body)
    {
        var (status, v) = await client.Post("v1/verify", body, key: null);
        Assert.True(status == HttpStatusCode.OK, $"verify answered {status}: {v.GetRawText()}");
        return v;
    }

    /// <summary>The attestation's signature over the JCS bytes of its payload, under the given base64url public key.</summary>
    public static bool SignatureVerifies(string publicKey, JsonElement attestation) =>
        Ed25519.Verify(FromB64Url(publicKey), Jcs.Canonicalize(attestation.GetProperty("payload")), FromB64Url(attestation.Str("signature")));
}
