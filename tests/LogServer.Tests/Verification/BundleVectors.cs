using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>How a vector's relying party holds its trust root (docs/VERIFYING.md "What a verifier trusts").</summary>
public static class TrustKind
{
    public const string LogKey = "log_key", Policy = "policy", None = "none";
}

/// <summary>The verifiers a vector applies to: the server has its own key, so a vector without a trust root is not for it, nor for the page, which always trusts one.</summary>
public static class Verifiers
{
    public const string Server = "server", Cli = "cli", Npm = "npm", Page = "page";

    public static readonly string[] All = [Server, Cli, Npm, Page];

    public static readonly string[] Standalone = [Cli, Npm];
}

/// <summary>
/// One entry of tests/testdata/bundles/vectors.json: a bundle file, a trust file (a log vkey or a policy file, none
/// for <see cref="TrustKind.None"/>), the verdict every verifier must reach offline and with <c>--online</c>
/// (null: not checked online), and the checks (docs/VERIFYING.md "Checks") that fail offline, so that a verdict is
/// reached for the right reason.
/// </summary>
public sealed record BundleVector(
    string Name, string Description, string Bundle, string Trust, string? TrustFile, string ExpectedOffline, string? ExpectedOnline, string[] Verifiers,
    string[] FailedOffline)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["description"] = Description,
        ["bundle"] = Bundle,
        ["trust"] = Trust,
        ["trust_file"] = TrustFile,
        ["expected_offline"] = ExpectedOffline,
        ["expected_online"] = ExpectedOnline,
        ["verifiers"] = new JsonArray([.. Verifiers.Select(v => (JsonNode)v)]),
        ["failed_checks_offline"] = new JsonArray([.. FailedOffline.Select(c => (JsonNode)c)]),
    };

    public static BundleVector FromJson(JsonElement v) => new(
        v.GetProperty("name").GetString()!, v.GetProperty("description").GetString()!, v.GetProperty("bundle").GetString()!,
        v.GetProperty("trust").GetString()!, v.GetProperty("trust_file").GetString(), v.GetProperty("expected_offline").GetString()!,
        v.GetProperty("expected_online").GetString(), [.. v.GetProperty("verifiers").EnumerateArray().Select(e => e.GetString()!)],
        [.. v.GetProperty("failed_checks_offline").EnumerateArray().Select(e => e.GetString()!)]);
}

/// <summary>The vector set: its manifest (the single list of expectations) and where the committed copy lives.</summary>
public static class BundleVectors
{
    public const string Format = "attest-bundle-vectors/v1";
    public const string LogKeyFile = "log.vkey", AnchorPolicy = "anchor-required.policy", QuorumPolicy = "witness-quorum.policy", BelowQuorumPolicy = "witness-below-quorum.policy";

    public static string CommittedDir => Path.Combine(ExternalTools.RepoRoot, "tests", "testdata", "bundles");

    /// <summary>Rewrite the committed set from a live run (the generator fixture does it only then).</summary>
    public static bool WriteRequested => Environment.GetEnvironmentVariable("ATTEST_WRITE_VECTORS") == "1";

    private const string Valid = BundleReport.Valid, Altered = BundleReport.Altered, Unverified = BundleReport.Unverified;

    public static readonly BundleVector[] All =
    [
        new("good", "A fresh bundle of a valid attestation, anchored and cosigned by the witness; the log's key as trust root.",
            "good.json", TrustKind.LogKey, LogKeyFile, Valid, Valid, Verifiers.All, []),
        new("no-trust-root", "The good bundle with no trust root at all: every proof checks out, but nothing says whose log it is.",
            "good.json", TrustKind.None, null, Unverified, Unverified, Verifiers.Standalone, []),
        new("forged-other-log", "Minted on a second server with its own log key and the same origin, issuer \"Massachusetts Institute of Technology\"; the real log's key as trust root.",
            "forged.json", TrustKind.LogKey, LogKeyFile, Altered, Altered, Verifiers.All, [BundleVerifier.CheckpointSignature, BundleVerifier.StatusNoteCheck]),
        new("forged-no-trust-root", "The forged bundle with no trust root: it cannot be told from a genuine one, so it is not VALID.",
            "forged.json", TrustKind.None, null, Unverified, null, Verifiers.Standalone, []),
        new("edited-issuer", "The good bundle with issuer.name changed to \"Massachusetts Institute of Technology\": not the name of the logged issuer/v1 entry.",
            "edited-issuer.json", TrustKind.LogKey, LogKeyFile, Altered, Altered, Verifiers.All, [BundleVerifier.Issuer]),
        new("stripped-revocation", "A revoked attestation's bundle with its revocation entry deleted and status set back to VALID: the log's status note still says REVOKED.",
            "stripped-revocation.json", TrustKind.LogKey, LogKeyFile, Altered, Altered, Verifiers.All, [BundleVerifier.StatusNoteCheck]),
        new("wrong-key", "The good bundle with issuer_key.public_key replaced by another key and the payload re-signed by it: the signature verifies, but not under the logged key.",
            "wrong-key.json", TrustKind.LogKey, LogKeyFile, Altered, Altered, Verifiers.All, [BundleVerifier.KeyEvents, BundleVerifier.LogEntry]),
        new("rotated-key", "Signed by a key that was rotated after signing: what it signed before stays valid.",
            "rotated-key.json", TrustKind.LogKey, LogKeyFile, Valid, Valid, Verifiers.All, []),
        new("compromised-before-signing", "Signed by a key later marked compromised from the signing time on (compromised_at = created_at).",
            "compromised-before-signing.json", TrustKind.LogKey, LogKeyFile, BundleReport.KeyCompromised, BundleReport.KeyCompromised, Verifiers.All, [BundleVerifier.KeyStatus]),
        new("compromised-after-signing", "Signed by a key later marked compromised from the whole second after the signing time: the signature stays valid.",
            "compromised-after-signing.json", TrustKind.LogKey, LogKeyFile, Valid, Valid, Verifiers.All, []),
        new("superseded", "An attestation superseded by another, fetched after the supersession.",
            "superseded.json", TrustKind.LogKey, LogKeyFile, BundleReport.Superseded, BundleReport.Superseded, Verifiers.All, [BundleVerifier.Superseded]),
        new("revoked", "A revoked attestation, fetched after the revocation.",
            "revoked.json", TrustKind.LogKey, LogKeyFile, BundleReport.Revoked, BundleReport.Revoked, Verifiers.All, [BundleVerifier.Revocation]),
        new("revoked-since", "A bundle fetched before the attestation was revoked: VALID as of its checkpoint offline, REVOKED online.",
            "revoked-since.json", TrustKind.LogKey, LogKeyFile, Valid, BundleReport.Revoked, Verifiers.All, []),
        new("anchored-anchor-required", "The good bundle, whose anchor evidence holds, under a policy with `anchor required`.",
            "good.json", TrustKind.Policy, AnchorPolicy, Valid, Valid, Verifiers.All, []),
        new("not-anchored-anchor-required", "A bundle of an entry no anchor covers yet (the chain mined nothing since), under a policy with `anchor required`.",
            "not-anchored.json", TrustKind.Policy, AnchorPolicy, Unverified, Unverified, Verifiers.All, [BundleVerifier.Anchor]),
        new("witnessed-quorum", "The good bundle under a policy whose quorum is the one witness that cosigned its checkpoint.",
            "good.json", TrustKind.Policy, QuorumPolicy, Valid, Valid, Verifiers.All, []),
        new("witnessed-below-quorum", "The good bundle under a policy that needs both the witness and a second witness key that never cosigns (`group both all w1 w2`, `quorum both`).",
            "good.json", TrustKind.Policy, BelowQuorumPolicy, Unverified, Unverified, Verifiers.All, [BundleVerifier.WitnessQuorum]),
    ];

    public static string ManifestJson()
    {
        var manifest = new JsonObject
        {
            ["format"] = Format,
            ["description"] = "Proof bundles and the verdict every Attest verifier must reach on each (docs/VERIFYING.md). Generated by tests/LogServer.Tests/Verification/VectorFixture.cs with ATTEST_WRITE_VECTORS=1.",
            ["vectors"] = new JsonArray([.. All.Select(v => (JsonNode)v.ToJson())]),
        };
        return manifest.ToJsonString(Pretty) + "\n";
    }

    public static BundleVector[] ReadManifest(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "vectors.json")));
        Assert.Equal(Format, doc.RootElement.GetProperty("format").GetString());
        return [.. doc.RootElement.GetProperty("vectors").EnumerateArray().Select(BundleVector.FromJson)];
    }

    public static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The relying party's trust root as the C# library takes it.</summary>
    public static TrustPolicy? Trust(string dir, BundleVector v)
    {
        if (v.TrustFile is null) return null;
        string text = File.ReadAllText(Path.Combine(dir, v.TrustFile));
        if (v.Trust == TrustKind.Policy) return TrustPolicy.Parse(text);
        Assert.True(NoteVerifier.TryParse(text.Trim(), out var key), $"{v.TrustFile} is not a vkey");
        return TrustPolicy.OfLogKey(key!);
    }
}
