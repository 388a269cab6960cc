using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// Proof bundles checked by code nobody here wrote: tests/interop/attestation/verify-bundle.mjs under Node.js, written
/// from docs/VERIFYING.md and the specs with the npm packages canonicalize (RFC 8785), @noble/ed25519 and @noble/hashes
/// only, fully offline. Each bundle must get its verdict (docs/VERIFYING.md "Verdicts") and exactly the failing checks
/// that explain it; the trust root is the real server's log key, never the key a bundle names. Fails, never skips, when
/// node or npm is missing.
/// </summary>
public sealed class IndependentVerifierTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The witness key of tests/testdata/cosignature/vectors.json: no checkpoint of these servers carries its cosignature.</summary>
    private const string WitnessKey = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task a_minted_attestation_is_valid_under_the_log_key_with_every_check_passed_or_skipped_as_documented()
    {
        var (bundleText, claims, issuerName) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        // The claims survived (non-ASCII and astral characters included) into the signed payload.
        var signed = bundle["attestation"]!["payload"]!["claims"]!.AsObject();
        Assert.Equal(claims.Count, signed.Count);
        foreach (var (name, value) in claims) Assert.Equal(value!.GetValue<string>(), signed[name]!.GetValue<string>());

        // The key the bundle carries is the one the server publishes.
        string kid = bundle["issuer_key"]!["kid"]!.GetValue<string>();
        var published = (await Client.GetAll(".well-known/attest-keys.json", "keys", key: null)).Single(k => k.GetProperty("kid").GetString() == kid);
        Assert.Equal(published.GetProperty("public_key").GetString(), bundle["issuer_key"]!["public_key"]!.GetValue<string>());
        string logKey = await LogKey();
        Assert.Equal(logKey, bundle["log"]!["verifier_key"]!.GetValue<string>());

        var result = await IndependentVerifier.Run(bundleText, logKey);
        Assert.True(result.ExitCode == 0, $"the independent verifier rejected a fresh bundle: {result}\n{bundleText}");
        var output = Parse(result);
        Assert.Equal("VALID", output.GetProperty("verdict").GetString());
        Assert.Equal(issuerName, output.GetProperty("issuer_name").GetString());
        var checkpoint = bundle["log"]!["checkpoint"]!.GetValue<string>().Split('\n');
        Assert.Equal(long.Parse(checkpoint[1]), output.GetProperty("as_of").GetProperty("tree_size").GetInt64());
        string noteTime = bundle["status_note"]!.GetValue<string>().Split('\n')[7];
        Assert.Equal(noteTime, output.GetProperty("as_of").GetProperty("status_time").GetString());
        AssertChecks(result, new()
        {
            ["payload_signature"] = "pass", ["payload_key"] = "pass", ["log_entry"] = "pass", ["issuer"] = "pass", ["inclusion"] = "pass",
            ["checkpoint_signature"] = "pass", ["witness_quorum"] = "skip", ["key_events"] = "pass", ["key_status"] = "pass",
            ["status_note"] = "pass", ["revocation"] = "pass", ["superseded"] = "pass", ["anchor"] = "skip", ["anchor_chain"] = "skip",
            ["document"] = "skip", ["consistency"] = "skip", ["freshness"] = "skip",
        }, exact: true);

        // The same key given as a file, and as the log line of a policy file, are the same trust root.
        string keyFile = TempFile(logKey + "\n");
        string policyFile = TempFile($"# the log only\nlog {logKey} http://127.0.0.1/\n\nquorum none\nanchor optional\n");
        try
        {
            Assert.Equal("VALID", Parse(await IndependentVerifier.Run(bundleText, keyFile)).GetProperty("verdict").GetString());
            var byPolicy = await IndependentVerifier.Run(bundleText, policy: policyFile);
            Assert.True(byPolicy.ExitCode == 0, byPolicy.ToString());
        }
        finally
        {
            File.Delete(keyFile);
            File.Delete(policyFile);
        }

        Assert.Equal("VALID", (await ServerVerdict(bundleText)).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task without_a_trust_root_a_genuine_bundle_is_unverified_and_exits_1()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();

        var result = await IndependentVerifier.Run(bundleText);
        Assert.Equal(1, result.ExitCode);
        var output = Parse(result);
        Assert.Equal("UNVERIFIED", output.GetProperty("verdict").GetString());
        // Any log can call its issuer anything: an issuer name is shown only when a trusted log holds it.
        Assert.Equal(JsonValueKind.Null, output.GetProperty("issuer_name").ValueKind);
        AssertChecks(result, new()
        {
            ["payload_signature"] = "pass", ["inclusion"] = "pass", ["checkpoint_signature"] = "skip", ["status_note"] = "skip",
        });
    }

    [Fact]
    public async Task a_public_bundle_without_the_payload_proves_the_logged_status_and_skips_the_payload_checks()
    {
        var (bundleText, _, issuerName) = await MintAndFetchBundle();
        string id = JsonNode.Parse(bundleText)!["attestation"]!["payload"]!["id"]!.GetValue<string>();
        var (status, body) = await Client.Get($"v1/attestations/{id}/proof-bundle", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("public", body.Str("access"));

        var result = await IndependentVerifier.Run(body.GetRawText(), await LogKey());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(issuerName, Parse(result).GetProperty("issuer_name").GetString());
        AssertChecks(result, new()
        {
            ["payload_signature"] = "skip", ["payload_key"] = "skip", ["log_entry"] = "pass", ["issuer"] = "pass", ["key_status"] = "pass", ["status_note"] = "pass",
        });
    }

    [Fact]
    public async Task a_bundle_forged_by_a_second_server_under_the_same_origin_is_altered_under_the_real_key_and_unverified_without_one()
    {
        string realKey = await LogKey();
        var forger = await ServerProcess.Start();
        try
        {
            var (forgedText, _, _) = await MintAndFetchBundle(forger.Client, "Massachusetts Institute of Technology");
            var forged = JsonNode.Parse(forgedText)!;
            // Same origin, its own key: every proof in the bundle checks out against the key the bundle names.
            Assert.StartsWith("test.attest.local/log\n", forged["log"]!["checkpoint"]!.GetValue<string>());
            Assert.NotEqual(realKey, forged["log"]!["verifier_key"]!.GetValue<string>());

            var underRealKey = await IndependentVerifier.Run(forgedText, realKey);
            Assert.Equal(1, underRealKey.ExitCode);
            Assert.Equal("ALTERED", Parse(underRealKey).GetProperty("verdict").GetString());
            AssertChecks(underRealKey, new()
            {
                ["payload_signature"] = "pass", ["issuer"] = "pass", ["inclusion"] = "pass", ["checkpoint_signature"] = "fail", ["status_note"] = "fail",
            });

            // Also when the bundle's own verifier key is replaced by the real one: trust comes from --log-key alone.
            forged["log"]!["verifier_key"] = realKey;
            Assert.Equal("ALTERED", Parse(await IndependentVerifier.Run(forged.ToJsonString(Relaxed), realKey)).GetProperty("verdict").GetString());

            var withoutKey = await IndependentVerifier.Run(forgedText);
            Assert.Equal(1, withoutKey.ExitCode);
            Assert.Equal("UNVERIFIED", Parse(withoutKey).GetProperty("verdict").GetString());
        }
        finally
        {
            await forger.DisposeAsync();
            Directory.Delete(forger.DataDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_revoked_attestation_is_revoked_and_with_its_revocation_stripped_is_altered()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        string id = JsonNode.Parse(bundleText)!["attestation"]!["payload"]!["id"]!.GetValue<string>();
        var (status, body) = await Client.Post($"v1/attestations/{id}/revoke", new { reason = "issued in error" });
        Assert.True(status == HttpStatusCode.OK, $"revoke: {status} {body}");
        string revokedText = await FetchBundle(Client, id, b => b["revocation"] is JsonObject);
        string logKey = await LogKey();

        var revoked = await IndependentVerifier.Run(revokedText, logKey);
        Assert.Equal(1, revoked.ExitCode);
        Assert.Equal("REVOKED", Parse(revoked).GetProperty("verdict").GetString());
        AssertChecks(revoked, new() { ["status_note"] = "pass", ["revocation"] = "fail", ["inclusion"] = "pass" });

        // What the issue found: the entry deleted and the status set back. The log's signed status note still says REVOKED.
        var stripped = JsonNode.Parse(revokedText)!;
        stripped["revocation"] = null;
        stripped["status"] = "VALID";
        var result = await IndependentVerifier.Run(stripped.ToJsonString(Relaxed), logKey);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ALTERED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new() { ["status_note"] = "fail", ["revocation"] = "pass", ["checkpoint_signature"] = "pass" });

        // Without the note as well: a bundle without a status note fails the check.
        stripped["status_note"] = null;
        var noNote = await IndependentVerifier.Run(stripped.ToJsonString(Relaxed), logKey);
        Assert.Equal("ALTERED", Parse(noNote).GetProperty("verdict").GetString());
        AssertChecks(noNote, new() { ["status_note"] = "fail" });
    }

    [Fact]
    public async Task an_edited_issuer_name_is_altered_and_never_shown()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        bundle["issuer"]!["name"] = "Massachusetts Institute of Technology";

        var result = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), await LogKey());
        Assert.Equal(1, result.ExitCode);
        var output = Parse(result);
        Assert.Equal("ALTERED", output.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, output.GetProperty("issuer_name").ValueKind);
        AssertChecks(result, new() { ["issuer"] = "fail", ["payload_signature"] = "pass", ["inclusion"] = "pass", ["checkpoint_signature"] = "pass" });
        Assert.Contains("Massachusetts", result.Stderr);
    }

    [Fact]
    public async Task a_key_compromised_from_before_the_signing_gives_key_compromised()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        string kid = bundle["issuer_key"]!["kid"]!.GetValue<string>();
        string id = bundle["attestation"]!["payload"]!["id"]!.GetValue<string>();
        // Compromised from the very time the payload says it was signed: "at or after compromised_at" fails.
        string signedAt = bundle["attestation"]!["payload"]!["created_at"]!.GetValue<string>();
        var (status, body) = await Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = signedAt });
        Assert.True(status == HttpStatusCode.OK, $"compromise: {status} {body}");
        string compromised = await FetchBundle(Client, id, b => b["issuer_key"]!["status"]!.GetValue<string>() == "compromised");

        var result = await IndependentVerifier.Run(compromised, await LogKey());
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("KEY_COMPROMISED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new() { ["key_events"] = "pass", ["key_status"] = "fail", ["status_note"] = "pass", ["payload_signature"] = "pass" });

        // The key's status set back in the bundle: the logged compromise event still decides.
        var edited = JsonNode.Parse(compromised)!;
        edited["issuer_key"]!["status"] = "active";
        Assert.NotEqual("VALID", Parse(await IndependentVerifier.Run(edited.ToJsonString(Relaxed), await LogKey())).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task a_policy_whose_witness_quorum_is_unmet_gives_unverified_and_an_anchor_required_but_absent_too()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        string logKey = await LogKey();
        string quorum = TempFile($"log {logKey}\nwitness w1 {WitnessKey} https://witness.example/\ngroup all-of-them all w1\nquorum all-of-them\n");
        string anchor = TempFile($"log {logKey}\nanchor required # no anchoring on this server\n");
        string malformed = TempFile($"log {logKey}\nquorum none\nquorum none\n");
        try
        {
            var unmet = await IndependentVerifier.Run(bundleText, policy: quorum);
            Assert.Equal(1, unmet.ExitCode);
            Assert.Equal("UNVERIFIED", Parse(unmet).GetProperty("verdict").GetString());
            AssertChecks(unmet, new() { ["checkpoint_signature"] = "pass", ["witness:w1"] = "skip", ["witness_quorum"] = "fail", ["status_note"] = "pass" });

            var noAnchor = await IndependentVerifier.Run(bundleText, policy: anchor);
            Assert.Equal(1, noAnchor.ExitCode);
            Assert.Equal("UNVERIFIED", Parse(noAnchor).GetProperty("verdict").GetString());
            AssertChecks(noAnchor, new() { ["anchor"] = "fail", ["witness_quorum"] = "skip" });

            var bad = await IndependentVerifier.Run(bundleText, policy: malformed);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("line 3", bad.Stderr);
        }
        finally
        {
            File.Delete(quorum);
            File.Delete(anchor);
            File.Delete(malformed);
        }
    }

    [Fact]
    public async Task a_witness_cosignature_counts_toward_the_quorum_and_one_over_another_checkpoint_does_not()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        string note = bundle["log"]!["checkpoint"]!.GetValue<string>();
        string text = note[..(note.LastIndexOf("\n\n", StringComparison.Ordinal) + 1)];
        // Cosignatures made by tests/interop/witness/cosignatures.mjs (c2sp.org/tlog-cosignature, its own code) with the
        // seed of tests/testdata/cosignature/vectors.json, and a second witness that never cosigns.
        var (w1, line) = await Cosign("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "witness.example/w1", text);
        Assert.Equal(WitnessKey, w1);
        var (w2, _) = await Cosign(new string('7', 64), "witness.example/w2", text);
        var (_, otherLine) = await Cosign("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "witness.example/w1", text.Replace("\n", "\nx\n", StringComparison.Ordinal));
        string logKey = await LogKey();
        string both = TempFile($"log {logKey}\nwitness w1 {w1}\nwitness w2 {w2}\ngroup both all w1 w2\nquorum both\n");
        string either = TempFile($"log {logKey}\nwitness w1 {w1}\nwitness w2 {w2}\ngroup either any w1 w2\nquorum either\n");
        try
        {
            bundle["log"]!["checkpoint"] = note + line;
            string cosigned = bundle.ToJsonString(Relaxed);
            var valid = await IndependentVerifier.Run(cosigned, policy: either);
            Assert.True(valid.ExitCode == 0, valid.ToString());
            AssertChecks(valid, new() { ["witness:w1"] = "pass", ["witness:w2"] = "skip", ["witness_quorum"] = "pass", ["checkpoint_signature"] = "pass" });

            var unmet = await IndependentVerifier.Run(cosigned, policy: both);
            Assert.Equal("UNVERIFIED", Parse(unmet).GetProperty("verdict").GetString());
            AssertChecks(unmet, new() { ["witness:w1"] = "pass", ["witness:w2"] = "skip", ["witness_quorum"] = "fail" });

            // A line by w1 over another text: it does not verify here, so it is not counted (the log's own proofs still hold).
            bundle["log"]!["checkpoint"] = note + otherLine;
            var forged = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), policy: either);
            Assert.Equal("UNVERIFIED", Parse(forged).GetProperty("verdict").GetString());
            AssertChecks(forged, new() { ["witness:w1"] = "fail", ["witness_quorum"] = "fail", ["checkpoint_signature"] = "pass" });
        }
        finally
        {
            File.Delete(both);
            File.Delete(either);
        }
    }

    [Fact]
    public async Task a_changed_claim_fails_the_signature_and_the_log_entry_but_not_the_log_proofs()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        bundle["attestation"]!["payload"]!["claims"]!["honors"] = "summa cum laude ✨ (forged)";

        var result = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), await LogKey());
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ALTERED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new() { ["payload_signature"] = "fail", ["log_entry"] = "fail", ["inclusion"] = "pass", ["checkpoint_signature"] = "pass" });

        Assert.Equal("ALTERED", (await ServerVerdict(bundle.ToJsonString(Relaxed))).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task a_flipped_signature_character_fails_the_signature_and_its_match_with_the_log()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        BundleTampering.FlipSignature(bundle);

        var result = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), await LogKey());
        Assert.Equal("ALTERED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new() { ["payload_signature"] = "fail", ["log_entry"] = "fail", ["payload_key"] = "pass", ["inclusion"] = "pass", ["checkpoint_signature"] = "pass" });
    }

    [Fact]
    public async Task a_bundle_carrying_another_public_key_fails_the_signature_and_the_logged_key_events()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        // A well-formed 32-byte key that is not the issuer's: the signature is checked under the bundle's key, which the log never held.
        bundle["issuer_key"]!["public_key"] = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var result = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), await LogKey());
        Assert.Equal("ALTERED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new() { ["payload_signature"] = "fail", ["key_events"] = "fail", ["log_entry"] = "pass", ["inclusion"] = "pass" });

        Assert.Equal("ALTERED", (await ServerVerdict(bundle.ToJsonString(Relaxed))).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task a_changed_proof_hash_fails_only_the_inclusion()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        BundleTampering.ChangeProofHash(bundle);

        var result = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), await LogKey());
        Assert.Equal("ALTERED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new()
        {
            ["payload_signature"] = "pass", ["log_entry"] = "pass", ["issuer"] = "pass", ["inclusion"] = "fail", ["checkpoint_signature"] = "pass",
            ["key_events"] = "pass", ["status_note"] = "pass",
        });
    }

    [Fact]
    public async Task a_changed_checkpoint_signature_in_one_proof_fails_the_checkpoint_signature()
    {
        var (bundleText, _, _) = await MintAndFetchBundle();
        var bundle = JsonNode.Parse(bundleText)!;
        BundleTampering.ChangeCheckpointSignature(bundle);

        var result = await IndependentVerifier.Run(bundle.ToJsonString(Relaxed), await LogKey());
        Assert.Equal("ALTERED", Parse(result).GetProperty("verdict").GetString());
        AssertChecks(result, new() { ["payload_signature"] = "pass", ["log_entry"] = "pass", ["inclusion"] = "pass", ["checkpoint_signature"] = "fail" });
    }

    [Fact]
    public async Task an_unreadable_bundle_or_log_key_exits_2()
    {
        var notJson = await IndependentVerifier.Run("{\"format\": \"attest-proof-bundle/v1\",");
        Assert.Equal(2, notJson.ExitCode);
        Assert.Equal("", notJson.Stdout);

        var (bundleText, _, _) = await MintAndFetchBundle();
        var badKey = await IndependentVerifier.Run(bundleText, "test.attest.local/log+00000000+AbjTvowUGVqveRWVc9D+jiWh49ZBsioVOpttq7KIgew7");
        Assert.Equal(2, badKey.ExitCode);
        Assert.Contains("key id", badKey.Stderr);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static string TempFile(string text)
    {
        string file = Path.Combine(Path.GetTempPath(), $"attest-verifier-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, text, new UTF8Encoding(false));
        return file;
    }

    private static JsonElement Parse(ProcessResult result)
    {
        try
        {
            return JsonDocument.Parse(result.Stdout).RootElement;
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"the verifier did not print one JSON line ({e.Message}): {result}");
        }
    }

    /// <summary>The named checks have these results; with <paramref name="exact"/>, they are all the checks printed.</summary>
    private static void AssertChecks(ProcessResult result, Dictionary<string, string> expected, bool exact = false)
    {
        var checks = Parse(result).GetProperty("checks");
        if (exact) Assert.Equal(expected.Keys.Order(), checks.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, want) in expected)
        {
            Assert.True(checks.TryGetProperty(name, out var got), $"no check \"{name}\": {result}");
            Assert.True(got.GetString() == want, $"check \"{name}\" should be {want}: {result}");
        }
    }

    /// <summary>The cosignature line a witness with this seed and name makes over the checkpoint text, and its vkey.</summary>
    private static async Task<(string Vkey, string Line)> Cosign(string seedHex, string name, string checkpointText)
    {
        string dir = ExternalTools.Interop("witness");
        await ExternalTools.NpmCi(dir, "@noble/ed25519", "@noble/hashes");
        string file = TempFile(checkpointText);
        try
        {
            var result = await ExternalTools.Run("node", ["cosignatures.mjs", "sign", seedHex, name, "1796641200", file], dir, TimeSpan.FromMinutes(1));
            Assert.True(result.ExitCode == 0, result.ToString());
            var output = JsonDocument.Parse(result.Stdout).RootElement;
            return (output.GetProperty("vkey").GetString()!, output.GetProperty("line").GetString()!);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<string> LogKey()
    {
        var (status, keys) = await Client.Get(".well-known/attest-keys.json", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        return keys.GetProperty("log").GetProperty("verifier_key").GetString()!;
    }

    private async Task<JsonElement> ServerVerdict(string bundleText)
    {
        var (status, body) = await Client.Post("v1/verify", "{\"bundle\":" + bundleText + "}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    private Task<(string BundleText, JsonObject Claims, string IssuerName)> MintAndFetchBundle() =>
        MintAndFetchBundle(Client, "Universität Ærøskøbing " + Guid.NewGuid());

    /// <summary>A new issuer and key, one degree attestation with non-ASCII and emoji claims, and its proof bundle (raw JSON).</summary>
    private static async Task<(string BundleText, JsonObject Claims, string IssuerName)> MintAndFetchBundle(HttpClient client, string issuerName)
    {
        var (status, issuer) = await client.Post("v1/issuers", new { name = issuerName });
        Assert.Equal(HttpStatusCode.Created, status);
        string issuerId = issuer.GetProperty("id").GetString()!;
        string kid = "deg-" + Guid.NewGuid().ToString("N")[..12];
        (status, var key) = await client.Post($"v1/issuers/{issuerId}/keys", new { kid });
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
        (status, var attestation) = await client.Post("v1/attestations/mint", mint.ToJsonString(Relaxed), idempotencyKey: Guid.NewGuid().ToString());
        Assert.True(status == HttpStatusCode.Created, $"mint: {status} {attestation}");
        string id = attestation.GetProperty("id").GetString()!;
        return (await FetchBundle(client, id, _ => true), claims, issuerName);
    }

    /// <summary>The attestation's full proof bundle (admin key), once the log has a checkpoint and it shows what <paramref name="ready"/> waits for.</summary>
    private static async Task<string> FetchBundle(HttpClient client, string id, Func<JsonNode, bool> ready)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (status, body) = await client.Get($"v1/attestations/{id}/proof-bundle");
            string text = body.GetRawText();
            if (status == HttpStatusCode.OK && ready(JsonNode.Parse(text)!)) return text;
            Assert.True(DateTime.UtcNow < deadline, $"no such proof bundle within 30 s: {status} {text}");
            await Task.Delay(100);
        }
    }
}
