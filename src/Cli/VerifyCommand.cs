using System.CommandLine;
using System.Text.Json;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli;

/// <summary>
/// <c>attest verify</c>: every check of a proof bundle (<see cref="BundleVerifier"/>) under the relying party's trust
/// root, offline as of the bundle's checkpoint or, with <c>--online</c>, against the log's latest evidence
/// (<see cref="VerifyOnline"/>, <see cref="OnlineCheck"/>); and the chain side of its anchor when asked.
/// </summary>
public static class VerifyCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var bundle = new Argument<string>("bundle.json") { Description = "the proof bundle, as GET /v1/attestations/{id}/proof-bundle serves it (attest bundle fetches one)" };
        var logKey = new Option<string?>("--log-key")
        {
            Description = "a trust root: the log's verifier key (name+hex8+base64), or a file holding it. Without --log-key or --policy the verdict is UNVERIFIED",
        };
        var policy = new Option<string?>("--policy")
        {
            Description = "a trust root: a policy file (log keys, witnesses and their quorum, anchor required or not; docs/VERIFYING.md \"Policy file\")",
        };
        var document = new Option<string?>("--document") { Description = "a file whose SHA-256 must be the attested document_hash" };
        var rpcUrl = new Option<string?>("--rpc-url") { Description = "an EVM node's JSON-RPC URL: also look the anchor transaction up on the chain (online)" };
        var online = new Option<bool>("--online")
        {
            Description = $"ask the log (--url or ${Common.UrlVariable}) for what happened since the bundle's checkpoint: its latest evidence, proven consistent with the bundle's checkpoint",
        };
        var url = Common.UrlOption();
        var json = new Option<bool>("--json") { Description = "print the verdict, the trust root and every check as JSON" };
        var command = new Command("verify",
            "Verify a proof bundle against a trust root (--log-key or --policy): the issuer's Ed25519 signature over the JCS payload, the logged " +
            "attestation and issuer entries, inclusion of every entry (RFC 9162) in the bundle's checkpoint and its signature by a trusted log key, " +
            "the witnesses' cosignatures and quorum, the issuer key's logged events and status, the log's signed status note, revocation and " +
            "superseding entries, the anchor, and with --document the document's hash. Offline, the verdict holds as of the bundle's checkpoint; " +
            "--online asks the log for what happened since. Prints each check as pass, fail or skip (with the reason) and the verdict (VALID, " +
            "ALTERED, UNVERIFIED, KEY_COMPROMISED, REVOKED, SUPERSEDED). Exit 0 for VALID only, 1 for any other verdict, 2 when it cannot run " +
            "(see docs/VERIFYING.md).")
        {
            bundle, logKey, policy, document, rpcUrl, online, url, json,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            try
            {
                return await Run(new Options(parse.GetValue(bundle)!, parse.GetValue(logKey), parse.GetValue(policy), parse.GetValue(document),
                    parse.GetValue(rpcUrl), parse.GetValue(online), parse.GetValue(url), parse.GetValue(json)), token);
            }
            catch (UnavailableException e)
            {
                // docs/VERIFYING.md: a verifier that cannot reach the log cannot run, and says so with 2; never a verdict.
                Console.Error.WriteLine("error: " + Common.Printable(e.Message));
                return ExitCodes.Usage;
            }
        }));
        return command;
    }

    private sealed record Options(string Bundle, string? LogKey, string? Policy, string? Document, string? RpcUrl, bool Online, string? Url, bool Json);

    private static async Task<int> Run(Options o, CancellationToken token)
    {
        if (o.LogKey is not null && o.Policy is not null) throw new UsageException("give one trust root: --log-key or --policy, not both");
        if (o.Url is not null && !o.Online) throw new UsageException("--url is the log to ask with --online");
        TrustPolicy? trust = o.Policy is not null ? ReadPolicy(o.Policy) : o.LogKey is not null ? TrustPolicy.OfLogKey(Common.LogKey(o.LogKey)) : null;
        Hash? documentHash = o.Document is null ? null : Common.Sha256File(o.Document, "--document");
        Uri? rpc = null;
        if (o.RpcUrl is not null && (!Uri.TryCreate(o.RpcUrl, UriKind.Absolute, out rpc) || rpc.Scheme is not ("http" or "https")))
            throw new UsageException("--rpc-url is not an http(s) URL");
        Uri? server = o.Online ? Common.BaseUrl(o.Url) : null;

        var held = ReadBundle(o.Bundle);
        CheckResult? chain = null;
        if (rpc is not null && held.Anchor is { } anchor)
        {
            using var http = Common.Http(TimeSpan.FromSeconds(30));
            chain = await AnchorChain.Check(new EthRpc(http, rpc), anchor);
        }
        var bundle = held;
        var report = BundleVerifier.Verify(held, trust, documentHash, chain);
        // An altered bundle stays altered whatever the log holds now (docs/VERIFYING.md "Freshness", step 0): the log is not asked.
        if (server is not null && report.Verdict != BundleReport.Altered)
        {
            if (!held.Payload.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String || !Guid.TryParseExact(idElement.GetString(), "D", out var id))
                throw new UsageException($"{o.Bundle}: the payload has no attestation id (a UUID) to ask the log about");
            using var http = Common.Http(VerifyOnline.Timeout);
            var log = new VerifyOnline(http, server);
            var fresh = await log.FreshBundle(id.ToString("D"), token);
            Hash[] proof = OnlineCheck.ProofSizes(held, fresh) is { } sizes ? await log.ConsistencyProof(sizes.First, sizes.Second, token) : [];
            (report, var merged) = OnlineCheck.Verify(held, report, fresh, proof, trust, documentHash, chain);
            if (report.Verdict != BundleReport.Altered) bundle = merged;
        }
        if (o.Json) Console.WriteLine(JsonSerializer.Serialize(ToJson(report, trust), Indented));
        else Print(report, bundle, trust, o.Policy);
        return report.Ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static TrustPolicy ReadPolicy(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UsageException($"--policy {path}: no such file");
            if (info.Length > TrustPolicy.MaxBytes) throw new UsageException($"--policy {path} is {info.Length} bytes: a policy is at most {TrustPolicy.MaxBytes}");
            text = File.ReadAllText(path, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --policy {path}: {e.Message}");
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new UsageException($"--policy {path} is not UTF-8 text");
        }
        try
        {
            return TrustPolicy.Parse(text);
        }
        catch (PolicyFormatException e)
        {
            throw new UsageException($"--policy {path}: {e.Message}");
        }
    }

    private static ProofBundle ReadBundle(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UsageException($"{path}: no such file");
            if (info.Length > ProofBundle.MaxBytes) throw new UsageException($"{path} is {info.Length} bytes: a proof bundle is at most {ProofBundle.MaxBytes}");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        try
        {
            return ProofBundle.Parse(bytes);
        }
        catch (BundleFormatException e)
        {
            throw new UsageException($"{path} is not an attest proof bundle: {e.Message}");
        }
    }

    private static object ToJson(BundleReport report, TrustPolicy? trust) => new Dictionary<string, object?>
    {
        ["verdict"] = report.Verdict,
        ["ok"] = report.Ok,
        ["sentence"] = report.Sentence(),
        ["attestation_id"] = report.AttestationId,
        // A program reading this may show the name as is: only when the log it comes from is trusted and the bundle intact.
        ["issuer_name"] = report.Verdict is BundleReport.Altered or BundleReport.Unverified ? null : report.IssuerName,
        ["as_of"] = report.AsOf is not { } a ? null : new Dictionary<string, object?>
        {
            ["tree_size"] = a.TreeSize, ["root_hash"] = a.RootHash, ["status_time"] = a.StatusTime is { } t ? Rfc3339(t) : null, ["online"] = a.Online,
        },
        ["trust"] = trust is null ? null : new Dictionary<string, object?>
        {
            ["log_keys"] = trust.LogKeys.Select(k => new Dictionary<string, string> { ["key"] = k.ToString(), ["fingerprint"] = TrustPolicy.Fingerprint(k.ToString()) }).ToArray(),
            ["witnesses"] = trust.Witnesses.Select(w => new Dictionary<string, string>
            {
                ["name"] = w.Name, ["key"] = w.Key.ToString(), ["fingerprint"] = TrustPolicy.Fingerprint(w.Key.ToString()),
            }).ToArray(),
            ["quorum"] = trust.Quorum?.Name,
            ["anchor_required"] = trust.AnchorRequired,
        },
        ["checks"] = report.Checks.Select(c => new Dictionary<string, string>
        {
            ["name"] = c.Name, ["result"] = c.Outcome.ToString().ToLowerInvariant(), ["detail"] = c.Detail,
        }).ToArray(),
    };

    private static void Print(BundleReport report, ProofBundle bundle, TrustPolicy? trust, string? policyPath)
    {
        // Only the logged issuer/v1 entry's name is shown (docs/VERIFYING.md), and only as established as the verdict.
        string issuer = report.IssuerName is { } name ? $"\"{name}\" ({bundle.IssuerId}), as its logged issuer/v1 entry names it"
            : report.Verdict is BundleReport.Altered or BundleReport.Unverified ? "not shown: the verdict does not establish that a trusted log holds it"
            : "not shown: the bundle carries no issuer entry that verifies";
        Line($"attestation {report.AttestationId}, key {bundle.IssuerKey.Kid}, log {bundle.Origin}");
        Line($"issuer: {issuer}");
        if (trust is null)
        {
            Line("trust root: none (give --log-key or --policy): the bundle's own key vouches for nothing");
        }
        else
        {
            string from = policyPath is null ? "--log-key" : $"policy {policyPath}";
            foreach (var k in trust.LogKeys) Line($"trust root: log key {k.Name}+{k.KeyId:x8}, fingerprint {TrustPolicy.Fingerprint(k.ToString())} ({from})");
            foreach (var w in trust.Witnesses) Line($"  witness {w.Name}: {w.Key.Name}+{w.Key.KeyId:x8}, fingerprint {TrustPolicy.Fingerprint(w.Key.ToString())}");
            if (policyPath is not null) Line($"  quorum {trust.Quorum?.Name ?? "none"}, anchor {(trust.AnchorRequired ? "required" : "optional")}");
        }
        int width = report.Checks.Max(c => c.Name.Length);
        foreach (var c in report.Checks)
            Line($"  {c.Outcome.ToString().ToLowerInvariant(),-4}  {c.Name.PadRight(width)}  {c.Detail}");
        Line($"verdict: {report.Sentence()}");
    }

    /// <summary>
    /// Writes one line with every control, format (bidi) and separator character escaped: bundle fields reach these
    /// lines, and a newline or terminal escape in one must not print a line of its own (a forged "verdict: VALID").
    /// </summary>
    internal static void Line(string text) => Console.WriteLine(Common.Printable(text));

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
