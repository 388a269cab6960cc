using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests;

/// <summary>
/// A minted attestation's proof bundle checked by code nobody here wrote: tests/interop/attestation/verify-bundle.mjs
/// under Node.js, with the npm packages canonicalize (RFC 8785), @noble/ed25519 and @noble/hashes only, fully offline.
/// Each tampered bundle must fail exactly the matching checks, and the server's own POST /v1/verify {bundle} must agree.
/// Fails, never skips, when node or npm is missing.
/// </summary>
public sealed class IndependentVerifierTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task a_minted_attestation_passes_every_check_of_the_independent_verifier()
    {
        var (bundleText, claims) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        // The claims survived (non-ASCII and astral characters included) into the signed payload.
        var signed = bundle["attestation"]!["payload"]!["claims"]!.AsObject();
        Assert.Equal(claims.Count, signed.Count);
        foreach (var (name, value) in claims) Assert.Equal(value!.GetValue<string>(), signed[name]!.GetValue<string>());

        // The key the bundle carries is the one the server publishes.
        var (status, keys) = await Client.Get(".well-known/attest-keys.json", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        string kid = bundle["issuer_key"]!["kid"]!.GetValue<string>();
        var published = (await Client.GetAll(".well-known/attest-keys.json", "keys", key: null)).Single(k => k.GetProperty("kid").GetString() == kid);
        Assert.Equal(published.GetProperty("public_key").GetString(), bundle["issuer_key"]!["public_key"]!.GetValue<string>());
        Assert.Equal(keys.GetProperty("log").GetProperty("verifier_key").GetString(), bundle["log"]!["verifier_key"]!.GetValue<string>());

        var result = await RunVerifier(bundleText);
        Assert.True(result.ExitCode == 0, $"the independent verifier rejected a fresh bundle: {result}\n{bundleText}");
        AssertChecks(result, signature: true, payloadHash: true, inclusion: true, checkpointSignature: true);

        var verdict = await ServerVerdict(bundleText);
        Assert.Equal("VALID", verdict.GetProperty("verdict").GetString());
        var reasons = Reasons(verdict);
        Assert.Contains("bundle_proof_ok", reasons);
        Assert.Contains("signature_ok", reasons);
        Assert.Contains("payload_matches_log", reasons);
    }

    [Fact]
    public async Task a_changed_claim_fails_the_signature_and_the_payload_hash_but_not_the_log_proof()
    {
        var (bundleText, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        bundle["attestation"]!["payload"]!["claims"]!["honors"] = "summa cum laude ✨ (forged)";

        var result = await RunVerifier(bundle.ToJsonString(Relaxed));
        Assert.Equal(1, result.ExitCode);
        AssertChecks(result, signature: false, payloadHash: false, inclusion: true, checkpointSignature: true);

        var verdict = await ServerVerdict(bundle.ToJsonString(Relaxed));
        Assert.Equal("ALTERED", verdict.GetProperty("verdict").GetString());
        Assert.Contains("signature_invalid", Reasons(verdict));
        Assert.Contains("bundle_entry_mismatch", Reasons(verdict));
    }

    [Fact]
    public async Task a_flipped_signature_character_fails_only_the_signature()
    {
        var (bundleText, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        string signature = bundle["attestation"]!["signature"]!.GetValue<string>();
        Assert.Equal(86, signature.Length); // 64 bytes, unpadded base64url
        // A character in the middle: every one of its 6 bits is a bit of the signature, none is padding.
        bundle["attestation"]!["signature"] = Flip(signature, 10);

        var result = await RunVerifier(bundle.ToJsonString(Relaxed));
        Assert.Equal(1, result.ExitCode);
        AssertChecks(result, signature: false, payloadHash: true, inclusion: true, checkpointSignature: true);

        var verdict = await ServerVerdict(bundle.ToJsonString(Relaxed));
        Assert.Equal("ALTERED", verdict.GetProperty("verdict").GetString());
        Assert.Contains("signature_invalid", Reasons(verdict));
        Assert.Contains("bundle_proof_ok", Reasons(verdict));
    }

    [Fact]
    public async Task a_bundle_carrying_another_public_key_fails_offline_and_on_the_server()
    {
        var (bundleText, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        // A well-formed 32-byte key that is not the issuer's: offline, the signature check uses the bundle's key.
        bundle["issuer_key"]!["public_key"] = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var result = await RunVerifier(bundle.ToJsonString(Relaxed));
        Assert.Equal(1, result.ExitCode);
        AssertChecks(result, signature: false, payloadHash: true, inclusion: true, checkpointSignature: true);

        var verdict = await ServerVerdict(bundle.ToJsonString(Relaxed));
        Assert.Equal("ALTERED", verdict.GetProperty("verdict").GetString());
        Assert.Contains("bundle_key_mismatch", Reasons(verdict));
    }

    [Fact]
    public async Task a_changed_proof_hash_fails_only_the_inclusion()
    {
        var (bundleText, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        string proof = bundle["log_entry"]!["tlog_proof"]!.GetValue<string>();
        var lines = proof.Split('\n');
        Assert.Equal("c2sp.org/tlog-proof@v1", lines[0]);
        int index = Array.FindIndex(lines, l => l.StartsWith("index "));
        Assert.True(index > 0 && lines[index + 1].Length == 44, $"the proof has no hash (the tree has issuer, key and attestation entries):\n{proof}");
        lines[index + 1] = Flip(lines[index + 1], 20);
        bundle["log_entry"]!["tlog_proof"] = string.Join('\n', lines);

        var result = await RunVerifier(bundle.ToJsonString(Relaxed));
        Assert.Equal(1, result.ExitCode);
        AssertChecks(result, signature: true, payloadHash: true, inclusion: false, checkpointSignature: true);

        var verdict = await ServerVerdict(bundle.ToJsonString(Relaxed));
        Assert.Equal("ALTERED", verdict.GetProperty("verdict").GetString());
        Assert.Contains("bundle_proof_invalid", Reasons(verdict));
    }

    [Fact]
    public async Task a_changed_checkpoint_signature_fails_only_the_checkpoint_signature()
    {
        var (bundleText, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        string proof = bundle["log_entry"]!["tlog_proof"]!.GetValue<string>();
        var lines = proof.Split('\n');
        int line = Array.FindLastIndex(lines, l => l.StartsWith("\u2014 "));
        Assert.True(line > 0, $"no signature line in the tlog-proof:\n{proof}");
        // "— name base64(4-byte key id || 64-byte signature)": a character well inside the signature bytes.
        lines[line] = Flip(lines[line], lines[line].Length - 30);
        bundle["log_entry"]!["tlog_proof"] = string.Join('\n', lines);

        var result = await RunVerifier(bundle.ToJsonString(Relaxed));
        Assert.Equal(1, result.ExitCode);
        AssertChecks(result, signature: true, payloadHash: true, inclusion: true, checkpointSignature: false);

        var verdict = await ServerVerdict(bundle.ToJsonString(Relaxed));
        Assert.Equal("ALTERED", verdict.GetProperty("verdict").GetString());
        Assert.Contains("bundle_proof_invalid", Reasons(verdict));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static string Flip(string text, int at)
    {
        char c = text[at];
        char other = c == 'A' ? 'B' : 'A';
        return text[..at] + other + text[(at + 1)..];
    }

    private static void AssertChecks(ProcessResult result, bool signature, bool payloadHash, bool inclusion, bool checkpointSignature)
    {
        JsonElement checks;
        try
        {
            checks = JsonDocument.Parse(result.Stdout).RootElement;
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"the verifier did not print one JSON line ({e.Message}): {result}");
        }
        var expected = new Dictionary<string, bool>
        {
            ["signature"] = signature, ["payload_hash"] = payloadHash, ["inclusion"] = inclusion, ["checkpoint_signature"] = checkpointSignature,
        };
        Assert.Equal(expected.Keys.Append("anchor").Order(), checks.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(JsonValueKind.Null, checks.GetProperty("anchor").ValueKind); // no anchoring here: AnchorTests has it
        foreach (var (name, want) in expected)
            Assert.True(checks.GetProperty(name).GetBoolean() == want, $"check \"{name}\" should be {want}: {result}");
    }

    private static List<string?> Reasons(JsonElement verdict) =>
        [.. verdict.GetProperty("reasons").EnumerateArray().Select(r => r.GetString())];

    private async Task<JsonElement> ServerVerdict(string bundleText)
    {
        var (status, body) = await Client.Post("v1/verify", "{\"bundle\":" + bundleText + "}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    /// <summary>A new issuer and key, one degree attestation with non-ASCII and emoji claims, and its proof bundle (raw JSON).</summary>
    private async Task<(string BundleText, JsonObject Claims)> MintAndFetchBundle()
    {
        var (status, issuer) = await Client.Post("v1/issuers", new { name = "Universität Ærøskøbing " + Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.Created, status);
        string issuerId = issuer.GetProperty("id").GetString()!;
        string kid = "deg-" + Guid.NewGuid().ToString("N")[..12];
        (status, var key) = await Client.Post($"v1/issuers/{issuerId}/keys", new { kid });
        Assert.True(status == HttpStatusCode.Created, $"key: {status} {key}");

        var claims = new JsonObject
        {
            ["student_name"] = "Zoë Ñúñez-Łukasiewicz 🎓",
            ["institution"] = "東京大学 / Universität Ærøskøbing",
            ["degree_type"] = "Master of Science",
            ["field_of_study"] = "Informatik — Kryptographie \"applied\" \\ ∑",
            ["graduation_date"] = "2026-06-30",
            ["honors"] = "summa cum laude ✨",
        };
        var mint = new JsonObject { ["issuer_id"] = issuerId, ["kid"] = kid, ["alg"] = "Ed25519", ["schema"] = "degree", ["claims"] = claims.DeepClone() };
        (status, var attestation) = await Client.Post("v1/attestations/mint", mint.ToJsonString(Relaxed), idempotencyKey: Guid.NewGuid().ToString());
        Assert.True(status == HttpStatusCode.Created, $"mint: {status} {attestation}");
        string id = attestation.GetProperty("id").GetString()!;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await Client.GetAsync($"v1/attestations/{id}/proof-bundle?holder_token={attestation.GetProperty("holder_token").GetString()}");
            string text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK) return (text, claims);
            Assert.True(DateTime.UtcNow < deadline, $"no proof bundle within 30 s: {response.StatusCode} {text}");
            await Task.Delay(100);
        }
    }

    /// <summary>Writes the bundle to a temp file and runs <c>node verify-bundle.mjs</c> on it (after <c>npm ci</c> when node_modules is missing).</summary>
    internal static async Task<ProcessResult> RunVerifier(string bundleText)
    {
        string folder = ExternalTools.Interop("attestation");
        await ExternalTools.NpmCi(folder, "canonicalize", "@noble/ed25519", "@noble/hashes");

        string file = Path.Combine(Path.GetTempPath(), $"attest-bundle-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(file, bundleText, new UTF8Encoding(false));
            return await ExternalTools.Run("node", [Path.Combine(folder, "verify-bundle.mjs"), file], folder, TimeSpan.FromMinutes(1));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
