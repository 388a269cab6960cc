using System.CommandLine;
using System.Text.Json;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli;

/// <summary><c>attest verify</c>: every check of a proof bundle, offline (<see cref="BundleVerifier"/>), and the chain side of its anchor when asked.</summary>
public static class VerifyCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var bundle = new Argument<string>("bundle.json") { Description = "the proof bundle, as GET /v1/attestations/{id}/proof-bundle serves it (attest bundle fetches one)" };
        var logKey = new Option<string?>("--log-key")
        {
            Description = "the log's verifier key (name+hex8+base64), or a file holding it: the one trust root. Without it, checkpoint signatures are skipped",
        };
        var document = new Option<string?>("--document") { Description = "a file whose SHA-256 must be the attested document_hash" };
        var rpcUrl = new Option<string?>("--rpc-url") { Description = "an EVM node's JSON-RPC URL: also look the anchor transaction up on the chain (online)" };
        var json = new Option<bool>("--json") { Description = "print the verdict and every check as JSON" };
        var command = new Command("verify",
            "Verify a proof bundle offline: the issuer's Ed25519 signature over the JCS payload, the logged attestation entry, " +
            "inclusion of every entry (RFC 9162) in the bundle's checkpoint and its signature by --log-key, the issuer key's logged " +
            "events and status, revocation and superseding entries, the anchor (calldata names the anchored checkpoint, the entry's " +
            "proof at that size, the logged anchor entry), and with --document the document's hash. Prints each check as pass, fail or " +
            "skip (with the reason) and the verdict (VALID, REVOKED, SUPERSEDED, KEY_COMPROMISED, ALTERED). Exit 0 only when no check fails.")
        {
            bundle, logKey, document, rpcUrl, json,
        };
        command.SetAction((parse, token) => Common.Run(() => Run(
            parse.GetValue(bundle)!, parse.GetValue(logKey), parse.GetValue(document), parse.GetValue(rpcUrl), parse.GetValue(json), token)));
        return command;
    }

    private static async Task<int> Run(string path, string? logKeyText, string? documentPath, string? rpcUrl, bool json, CancellationToken token)
    {
        var logKey = logKeyText is null ? null : Common.LogKey(logKeyText);
        Hash? documentHash = documentPath is null ? null : Common.Sha256File(documentPath, "--document");
        Uri? rpc = null;
        if (rpcUrl is not null && (!Uri.TryCreate(rpcUrl, UriKind.Absolute, out rpc) || rpc.Scheme is not ("http" or "https")))
            throw new UsageException("--rpc-url is not an http(s) URL");

        var bundle = ReadBundle(path);
        CheckResult? chain = null;
        if (rpc is not null && bundle.Anchor is { } anchor)
        {
            using var http = Common.Http(TimeSpan.FromSeconds(30));
            chain = await AnchorChain.Check(new EthRpc(http, rpc), anchor);
        }
        var report = BundleVerifier.Verify(bundle, logKey is null ? null : TrustPolicy.OfLogKey(logKey), documentHash, chain);
        if (json) Console.WriteLine(JsonSerializer.Serialize(ToJson(report), Indented));
        else Print(report, bundle);
        return report.Ok ? ExitCodes.Ok : ExitCodes.Failed;
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

    private static object ToJson(BundleReport report) => new Dictionary<string, object?>
    {
        ["verdict"] = report.Verdict,
        ["ok"] = report.Ok,
        ["attestation_id"] = report.AttestationId,
        ["checks"] = report.Checks.Select(c => new Dictionary<string, string>
        {
            ["name"] = c.Name, ["result"] = c.Outcome.ToString().ToLowerInvariant(), ["detail"] = c.Detail,
        }).ToArray(),
    };

    private static void Print(BundleReport report, ProofBundle bundle)
    {
        Console.WriteLine($"attestation {report.AttestationId} of {report.IssuerName ?? "an issuer whose name is not logged in the bundle"} ({bundle.IssuerId}), key {bundle.IssuerKey.Kid}, log {bundle.Origin}");
        int width = report.Checks.Max(c => c.Name.Length);
        foreach (var c in report.Checks)
            Console.WriteLine($"  {c.Outcome.ToString().ToLowerInvariant(),-4}  {c.Name.PadRight(width)}  {c.Detail}");
        int failed = report.Checks.Count(c => c.Outcome == Outcome.Fail);
        Console.WriteLine(failed == 0 ? $"verdict: {report.Verdict}" : $"verdict: {report.Verdict} ({failed} check{(failed == 1 ? "" : "s")} failed)");
    }
}
