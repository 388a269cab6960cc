using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>A SCRAPI answer: the status, the Location, the content type, the body as sent and the Retry-After.</summary>
internal sealed record ScrapiResponse(HttpStatusCode Status, string? Location, string? ContentType, byte[] Body, string? RetryAfter = null);

/// <summary>An outside issuer's statements, signed by tests/interop/scitt/issuer.mjs with a key the server never sees the private half of.</summary>
internal sealed record SignedBatch(JsonObject Jwk, byte[][] Statements);

/// <summary>SCITT from a client's side: an outside issuer (node), registration over SCRAPI, problem details decoded by python3-cbor2.</summary>
internal static class ScittClient
{
    public const string Cose = "application/cose";

    /// <summary>Runs the node issuer: a fresh <paramref name="alg"/> key pair, and the statements signed with it.</summary>
    public static async Task<SignedBatch> Sign(string alg, params object[] statements)
    {
        string request = JsonSerializer.Serialize(new { alg, statements });
        var run = await ExternalTools.Run("node", ["issuer.mjs", request], ExternalTools.Interop("scitt"), TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.ToString());
        var output = JsonNode.Parse(run.Stdout)!.AsObject();
        return new SignedBatch(output["jwk"]!.AsObject(), [.. output["statements"]!.AsArray().Select(s => Convert.FromBase64String(s!.GetValue<string>()))]);
    }

    /// <summary>Registers the public JWK of <paramref name="batch"/> as an issuer-held key <paramref name="kid"/> of <paramref name="issuerId"/>.</summary>
    public static async Task RegisterKey(this HttpClient client, string issuerId, string kid, string alg, SignedBatch batch)
    {
        var (status, key) = await client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = kid, ["alg"] = alg, ["jwk"] = batch.Jwk.DeepClone() });
        Assert.True(status == HttpStatusCode.Created, key.GetRawText());
    }

    /// <summary>Registers <paramref name="key"/>'s public JWK as the ES256 issuer-held key <paramref name="kid"/> of <paramref name="issuerId"/>.</summary>
    public static async Task AddEs256Key(this HttpClient client, string issuerId, string kid, System.Security.Cryptography.ECDsa key)
    {
        var (status, body) = await client.Post($"v1/issuers/{issuerId}/keys", new JsonObject { ["kid"] = kid, ["alg"] = "ES256", ["jwk"] = Jwks.Es256(key) });
        Assert.True(status == HttpStatusCode.Created, body.GetRawText());
    }

    /// <summary><c>attest monitor --once --entries</c> over the whole log of <paramref name="server"/>: its output, once it succeeded.</summary>
    public static async Task<string> MonitorEntries(ServerProcess server)
    {
        string dir = Directory.CreateTempSubdirectory("attest-monitor-").FullName;
        try
        {
            string vkey = (await server.Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");
            var monitor = await ExternalTools.Run("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "attest.dll"), "monitor", "--url", server.BaseAddress.ToString(), "--log-key", vkey, "--once", "--entries"],
                dir, TimeSpan.FromMinutes(2));
            Assert.True(monitor.ExitCode == 0, monitor.ToString());
            return monitor.Stdout;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static async Task<ScrapiResponse> Register(this HttpClient client, byte[] statement, string? key = ServerProcess.AdminKey, string contentType = Cose)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "entries") { Content = new ByteArrayContent(statement) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Send(client, request);
    }

    public static async Task<ScrapiResponse> Entry(this HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        return await Send(client, request);
    }

    // SCRAPI answers with redirects a client should see, not follow: 303 to the entry, 302 from it to itself while pending.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Uri, HttpClient> NotFollowing = new();

    private static async Task<ScrapiResponse> Send(HttpClient client, HttpRequestMessage request)
    {
        var direct = NotFollowing.GetOrAdd(client.BaseAddress!, b => new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = b });
        using var response = await direct.SendAsync(request);
        return new ScrapiResponse(response.StatusCode, response.Headers.Location?.OriginalString, response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsByteArrayAsync(), response.Headers.RetryAfter?.ToString());
    }

    /// <summary>The entry id SCRAPI names a statement by: the hex of its RFC 9162 leaf hash.</summary>
    public static string EntryId(byte[] statement) => Attest.Merkle.Rfc6962.HashLeaf(statement).ToHex();

    /// <summary>Each body decoded by python3-cbor2: (title, detail, error code, the map's keys).</summary>
    public static async Task<List<JsonElement>> DecodeProblems(IEnumerable<byte[]> bodies)
    {
        var run = await ExternalTools.Run("/usr/bin/python3", ["problem_details.py", .. bodies.Select(Convert.ToBase64String)], ExternalTools.Interop("scitt"), TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.ToString());
        return [.. run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }
}
