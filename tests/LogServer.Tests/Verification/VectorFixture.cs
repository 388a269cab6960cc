using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// Generates every vector from real processes: one log server (its own log key, one witness cosigning with quorum 1,
/// anchoring to a real anvil that mines only when told), and a "forger" server with another log key under the same
/// origin. Bundles are fetched as a holder would; the tampered ones are edited from them. The live set goes to a
/// temporary directory; with ATTEST_WRITE_VECTORS=1 it also replaces the committed set in tests/testdata/bundles/.
/// </summary>
public sealed class VectorFixture : IAsyncLifetime
{
    public const string Origin = "test.attest.local/log";
    private readonly List<IAsyncDisposable> owned = [];

    public ServerProcess Server { get; private set; } = null!;

    public ServerProcess Forger { get; private set; } = null!;

    public AnvilProcess Anvil { get; private set; } = null!;

    public LoopbackWitness Witness { get; private set; } = null!;

    public string LogVerifierKey { get; private set; } = "";

    /// <summary>The live set: bundles, trust files and vectors.json, as committed.</summary>
    public string Dir { get; } = Directory.CreateTempSubdirectory("attest-vectors-").FullName;

    public async Task InitializeAsync()
    {
        var (logPrivateKey, logVerifierKey) = NoteSigner.Generate(Origin);
        LogVerifierKey = logVerifierKey;
        // Mining only when told: what is anchored is decided here, and nothing is anchored behind the tests' back.
        Anvil = await AnvilProcess.Start("--no-mining");
        owned.Add(Anvil);
        Witness = new LoopbackWitness("witness.test/w1", Origin, logVerifierKey);
        owned.Add(Witness);
        await Witness.Start();
        Server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Log__PrivateKey"] = logPrivateKey,
            ["Attest__WitnessPolicy__Mode"] = "Hold",
            ["Attest__WitnessPolicy__Quorum"] = "1",
            ["Attest__WitnessPolicy__Timeout"] = "00:00:10",
            ["Attest__Witnesses__0__Url"] = Witness.Url,
            ["Attest__Witnesses__0__VerifierKey"] = Witness.VerifierKey,
            ["Attest__Anchor__RpcUrl"] = Anvil.RpcUrl,
            ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey,
            ["Attest__Anchor__Interval"] = "00:00:00.2",
            ["Attest__Anchor__Confirmations"] = "1",
            ["Attest__Anchor__ReplaceAfter"] = "00:10:00",
        });
        owned.Add(Server);
        Forger = await ServerProcess.Start();
        owned.Add(Forger);
        await Generate();
    }

    public async Task DisposeAsync()
    {
        foreach (var o in Enumerable.Reverse(owned)) await o.DisposeAsync();
        foreach (var s in new[] { Server, Forger }) if (s is not null) Directory.Delete(s.DataDir, recursive: true);
        Directory.Delete(Dir, recursive: true);
    }

    private async Task Generate()
    {
        var c = Server.Client;
        string issuer = await c.CreateIssuer("Vector University");
        await c.CreateKey(issuer, "vec-main");
        await c.CreateKey(issuer, "vec-rotated");
        await c.CreateKey(issuer, "vec-compromised-before");
        await c.CreateKey(issuer, "vec-compromised-after");

        var good = await Mint(c, issuer, "vec-main", "Ada Good");
        var revoked = await Mint(c, issuer, "vec-main", "Rex Revoked");
        await Revoke(c, revoked.Id);
        var superseded = await Mint(c, issuer, "vec-main", "Sam Superseded");
        var (status, _) = await c.Post($"v1/attestations/{superseded.Id}/supersede", MintBody(issuer, "vec-main", "Sam Superseded (corrected)"), idempotencyKey: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, status);

        var rotated = await Mint(c, issuer, "vec-rotated", "Rosa Rotated");
        (status, _) = await c.Post("v1/issuers/keys/vec-rotated/rotate", new { new_kid = "vec-rotated-next" });
        Assert.Equal(HttpStatusCode.Created, status);

        // Compromised from the signing time on: the signature is no longer worth anything.
        var before = await Mint(c, issuer, "vec-compromised-before", "Cora Compromised");
        await Compromise(c, "vec-compromised-before", before.CreatedAt);
        // Compromised from the next whole second on (compromised_at is written to the second): what was signed before stays valid (the compromise time cannot be in the future).
        var after = await Mint(c, issuer, "vec-compromised-after", "Carl Clean");
        while (DateTimeOffset.UtcNow < after.CreatedAt.AddSeconds(1.5)) await Task.Delay(100);
        await Compromise(c, "vec-compromised-after", after.CreatedAt.AddSeconds(1));

        var since = await Mint(c, issuer, "vec-main", "Val Since");
        await AnchoredPast(since.Index);

        string goodPath = await Fetch(good, "good.json");
        await Fetch(revoked, "revoked.json");
        await Fetch(superseded, "superseded.json");
        await Fetch(rotated, "rotated-key.json");
        await Fetch(before, "compromised-before-signing.json");
        await Fetch(after, "compromised-after-signing.json");
        await Fetch(since, "revoked-since.json");
        await Revoke(c, since.Id);

        // After the last anchor: no block is mined from here on, so no anchor covers this entry, now or online later.
        var unanchored = await Mint(c, issuer, "vec-main", "Noa Unanchored");
        string notAnchored = await Fetch(unanchored, "not-anchored.json");
        Assert.True(JsonNode.Parse(File.ReadAllText(notAnchored))!["anchor"] is null, "the not-anchored bundle carries an anchor");
        Assert.True(JsonNode.Parse(File.ReadAllText(goodPath))!["anchor"] is not null, "the good bundle carries no anchor");

        // The forger: same origin, its own log key, an issuer name it has no right to.
        string mit = await Forger.Client.CreateIssuer("Massachusetts Institute of Technology");
        await Forger.Client.CreateKey(mit, "mit-2026");
        var forged = await Mint(Forger.Client, mit, "mit-2026", "Fred Forged");
        await Fetch(forged, "forged.json", Forger);

        Tamper("good.json", "edited-issuer.json", b => b["issuer"]!["name"] = "Massachusetts Institute of Technology");
        Tamper("revoked.json", "stripped-revocation.json", b =>
        {
            Assert.NotNull(b["revocation"]);
            b.AsObject().Remove("revocation");
            b["revocation"] = null;
            b["status"] = "VALID";
        });
        Tamper("good.json", "wrong-key.json", b =>
        {
            using var key = Ed25519PrivateKey.Generate();
            var signature = new byte[Ed25519.SignatureSize];
            key.Sign(Jcs.Canonicalize(b["attestation"]!["payload"]), signature);
            b["issuer_key"]!["public_key"] = Base64Url.Encode(key.PublicKey);
            b["attestation"]!["signature"] = Base64Url.Encode(signature);
        });

        File.WriteAllText(Path.Combine(Dir, BundleVectors.LogKeyFile), LogVerifierKey + "\n");
        var (_, neverCosigns) = CosignatureSigner.Generate("witness.test/w2");
        File.WriteAllText(Path.Combine(Dir, BundleVectors.AnchorPolicy), $"# The log's key, and an anchor on the chain for every entry.\nlog {LogVerifierKey}\nanchor required\n");
        File.WriteAllText(Path.Combine(Dir, BundleVectors.QuorumPolicy), $"# The log's key and its one witness, which must cosign.\nlog {LogVerifierKey}\nwitness w1 {Witness.VerifierKey}\nquorum w1\n");
        File.WriteAllText(Path.Combine(Dir, BundleVectors.BelowQuorumPolicy),
            $"# Both witnesses must cosign; w2 never does.\nlog {LogVerifierKey}\nwitness w1 {Witness.VerifierKey}\nwitness w2 {neverCosigns}\ngroup both all w1 w2\nquorum both\n");
        File.WriteAllText(Path.Combine(Dir, "vectors.json"), BundleVectors.ManifestJson());

        if (BundleVectors.WriteRequested)
        {
            string committed = BundleVectors.CommittedDir;
            Directory.CreateDirectory(committed);
            foreach (var file in Directory.EnumerateFiles(committed).Where(f => Path.GetFileName(f) != "README.md")) File.Delete(file);
            foreach (var file in Directory.EnumerateFiles(Dir)) File.Copy(file, Path.Combine(committed, Path.GetFileName(file)));
        }
    }

    private sealed record Minted(string Id, long Index, DateTimeOffset CreatedAt, string HolderToken);

    private static object MintBody(string issuer, string kid, string name) => new
    {
        issuer_id = issuer, kid, alg = "Ed25519", schema = "degree",
        claims = new { student_name = name, institution = "Vector University", degree_type = "Bachelor of Science", field_of_study = "Verification", graduation_date = "2026-06-30", honors = "none" },
    };

    private static async Task<Minted> Mint(HttpClient client, string issuer, string kid, string name)
    {
        var (status, body) = await client.Post("v1/attestations/mint", MintBody(issuer, kid, name), idempotencyKey: Guid.NewGuid().ToString());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return new Minted(body.GetProperty("id").GetString()!, body.GetProperty("log_index").GetInt64(),
            DateTimeOffset.Parse(body.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("holder_token").GetString()!);
    }

    private static async Task Revoke(HttpClient client, string id)
    {
        var (status, body) = await client.Post($"v1/attestations/{id}/revoke", new { reason = "degree rescinded" });
        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    private static async Task Compromise(HttpClient client, string kid, DateTimeOffset at)
    {
        var (status, body) = await client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") });
        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    /// <summary>Mines until an anchor covering <paramref name="index"/> is logged (the anchorer sends a transaction for its latest checkpoint every 0.2 s).</summary>
    private async Task AnchoredPast(long index)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var status = (await Server.Client.Get("v1/anchors/status", key: null)).Body;
            if (status.GetProperty("anchored_size").GetInt64() > index) return;
            Assert.True(DateTime.UtcNow < deadline, $"entry {index} was not anchored within 120 s: {status}\n{Server.Output}");
            if (status.GetProperty("pending").ValueKind == JsonValueKind.Object) await Anvil.Mine();
            await Task.Delay(200);
        }
    }

    /// <summary>The holder's bundle, with the holder token, as <c>attest bundle</c> fetches it; written as served.</summary>
    private async Task<string> Fetch(Minted a, string file, ServerProcess? server = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/attestations/{a.Id}/proof-bundle");
        request.Headers.Add("X-Holder-Token", a.HolderToken);
        using var response = await (server ?? Server).Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"proof-bundle of {a.Id}: {response.StatusCode} {text}");
        Assert.Equal("full", JsonNode.Parse(text)!["access"]!.GetValue<string>());
        string path = Path.Combine(Dir, file);
        File.WriteAllText(path, text.EndsWith('\n') ? text : text + "\n");
        return path;
    }

    private void Tamper(string from, string to, Action<JsonNode> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, from)))!;
        edit(node);
        File.WriteAllText(Path.Combine(Dir, to), node.ToJsonString(BundleVectors.Pretty) + "\n");
    }
}
