using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Verification;

namespace Attest.LogServer.Tests.Verification;

/// <summary>What one verifier said of one vector: its verdict (null when it said none), the checks that failed when it lists them, and what to show when it is wrong.</summary>
public sealed record VerifierAnswer(string? Verdict, string Evidence, string[]? Failed = null);

/// <summary>
/// Runs each of the four verifiers of docs/VERIFYING.md on a vector, through its public interface: the C# library
/// (src/Verification), <c>attest verify</c> (the built attest.dll), the independent npm verifier
/// (tests/interop/attestation/verify-bundle.mjs), the web page in chromium (tests/interop/web/page.mjs) and the
/// server's <c>POST /v1/verify</c>. Each fails, never skips, when node, npm or chromium is missing.
/// </summary>
public static class VectorVerifiers
{
    private static string Bundle(string dir, BundleVector v) => Path.Combine(dir, v.Bundle);

    private static string? TrustFile(string dir, BundleVector v) => v.TrustFile is null ? null : Path.Combine(dir, v.TrustFile);

    /// <summary>
    /// The library offline, or online against <paramref name="server"/> as docs/VERIFYING.md "Freshness" says: the
    /// holder's payload and signature judged against the log's latest public evidence, with the consistency proof
    /// between the two checkpoints; a holder's bundle that is ALTERED offline stays ALTERED online, and an
    /// attestation the trusted log does not hold is ALTERED.
    /// </summary>
    public static async Task<VerifierAnswer> Library(string dir, BundleVector v, HttpClient? server = null)
    {
        var held = ProofBundle.Parse(await File.ReadAllBytesAsync(Bundle(dir, v)));
        var trust = BundleVectors.Trust(dir, v);
        var offline = BundleVerifier.Verify(held, trust, null);
        if (server is null) return Answer(offline);

        string id = held.Payload.GetProperty("id").GetString()!;
        using var response = await server.GetAsync($"v1/attestations/{id}/proof-bundle");
        if (response.StatusCode == HttpStatusCode.NotFound) return new VerifierAnswer(BundleReport.Altered, $"the log holds no attestation {id}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"proof-bundle of {id}: {response.StatusCode}");
        var fresh = ProofBundle.ParsePublic(await response.Content.ReadAsByteArrayAsync());
        Attest.Merkle.Hash[] proof = [];
        if (OnlineCheck.ProofSizes(held, fresh) is { } sizes)
        {
            var (status, body) = await server.Get($"v1/log/proofs/consistency?first={sizes.First}&second={sizes.Second}", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            proof = body.GetProperty("proof").Hashes();
        }
        var (merged, consistency) = OnlineCheck.Merge(held, fresh, proof);
        var online = BundleVerifier.Verify(merged, trust, null, consistency: consistency);
        return offline.Verdict == BundleReport.Altered ? Answer(offline) : Answer(online);
    }

    private static VerifierAnswer Answer(BundleReport r) =>
        new(r.Verdict, string.Join("\n", r.Checks.Select(c => $"  {c.Outcome.ToString().ToLowerInvariant(),-4}  {c.Name}  {c.Detail}")),
            [.. r.Checks.Where(c => c.Outcome == Outcome.Fail).Select(c => c.Name)]);

    /// <summary><c>attest verify &lt;bundle&gt; --log-key &lt;file&gt; | --policy &lt;file&gt; --json [--online --url &lt;server&gt;]</c>; it must exit 0 for VALID only.</summary>
    public static async Task<VerifierAnswer> Cli(string dir, BundleVector v, Uri? online = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "attest.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("the CLI build output is missing", dll);
        List<string> args = [dll, "verify", Bundle(dir, v), "--json"];
        if (TrustFile(dir, v) is { } trust) args.AddRange([v.Trust == TrustKind.Policy ? "--policy" : "--log-key", trust]);
        if (online is not null) args.AddRange(["--online", "--url", online.ToString()]);
        var env = new Dictionary<string, string?> { ["ATTEST_API_KEY"] = null, ["ATTEST_URL"] = null, ["ATTEST_HOLDER_TOKEN"] = null };
        var r = await ExternalTools.Run("dotnet", [.. args], dir, TimeSpan.FromMinutes(2), env);
        string? verdict = Verdict(r.Stdout, j => j);
        if (verdict is not null && (r.ExitCode == 0) != (verdict == BundleReport.Valid))
            return new VerifierAnswer($"{verdict} with exit {r.ExitCode}", r.ToString());
        return new VerifierAnswer(verdict, r.ToString(), FailedChecks(r.Stdout));
    }

    /// <summary>The names of the failed checks in <c>attest verify --json</c>'s <c>checks</c>, or null when it printed none.</summary>
    private static string[]? FailedChecks(string stdout)
    {
        try
        {
            if (JsonNode.Parse(stdout)?["checks"] is not JsonArray checks) return null;
            return [.. checks.Where(c => c?["result"]?.GetValue<string>() == "fail").Select(c => c!["name"]!.GetValue<string>())];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary><c>node verify-bundle.mjs &lt;bundle&gt; [--log-key &lt;vkey&gt; | --policy &lt;file&gt;]</c>: one JSON line with "verdict", exit 0 for VALID only.</summary>
    public static async Task<VerifierAnswer> Npm(string dir, BundleVector v)
    {
        string[] options = TrustFile(dir, v) is not { } trust ? []
            : v.Trust == TrustKind.Policy ? ["--policy", trust] : ["--log-key", File.ReadAllText(trust).Trim()];
        var r = await IndependentVerifier.RunFile(Bundle(dir, v), options);
        string? verdict = Verdict(r.Stdout, j => j);
        if (verdict is not null && (r.ExitCode == 0) != (verdict == BundleReport.Valid))
            return new VerifierAnswer($"{verdict} with exit {r.ExitCode}", r.ToString());
        return new VerifierAnswer(verdict, r.ToString());
    }

    /// <summary><c>node page.mjs &lt;base-url&gt; verify-bundle &lt;bundle&gt; --trust &lt;file&gt;</c>: the page in chromium, one JSON line whose result.verdict is what it shows.</summary>
    public static async Task<VerifierAnswer> Page(string dir, BundleVector v, Uri baseUrl)
    {
        string folder = ExternalTools.Interop("web");
        await ExternalTools.NpmCi(folder, "playwright-core");
        List<string> args = ["page.mjs", baseUrl.ToString(), "verify-bundle", Bundle(dir, v)];
        if (TrustFile(dir, v) is { } trust) args.AddRange(["--trust", trust]);
        var r = await ExternalTools.Run("node", [.. args], folder, TimeSpan.FromMinutes(3));
        return new VerifierAnswer(Verdict(r.Stdout, j => j["result"]), r.ToString());
    }

    /// <summary><c>POST /v1/verify {"bundle", "policy"?}</c> on <paramref name="server"/>: the server is the log, and its own key the trust root.</summary>
    public static async Task<VerifierAnswer> Server(string dir, BundleVector v, HttpClient server)
    {
        var body = new JsonObject { ["bundle"] = JsonNode.Parse(await File.ReadAllTextAsync(Bundle(dir, v))) };
        if (v.Trust == TrustKind.Policy) body["policy"] = await File.ReadAllTextAsync(TrustFile(dir, v)!);
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await server.PostAsync("v1/verify", content);
        string text = await response.Content.ReadAsStringAsync();
        return new VerifierAnswer(response.StatusCode == HttpStatusCode.OK ? Verdict(text, j => j) : null, $"{(int)response.StatusCode} {text}");
    }

    /// <summary>The "verdict" of the last JSON line of <paramref name="stdout"/> (under <paramref name="at"/>), or null.</summary>
    private static string? Verdict(string stdout, Func<JsonNode, JsonNode?> at)
    {
        string? line = stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        // attest verify --json prints one indented object, not one line.
        foreach (var candidate in new[] { stdout.Trim(), line })
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            try
            {
                if (JsonNode.Parse(candidate) is { } json && at(json)?["verdict"] is JsonValue verdict && verdict.TryGetValue<string>(out var s)) return s;
            }
            catch (JsonException)
            {
            }
        }
        return null;
    }

    /// <summary>
    /// Runs <paramref name="verify"/> on every vector <paramref name="verifier"/> applies to and fails with one entry per
    /// disagreement: on the verdict, and (with <paramref name="failedChecks"/>, for a verifier that lists its checks) on
    /// which checks failed.
    /// </summary>
    public static async Task AssertAll(IEnumerable<BundleVector> vectors, string verifier, Func<BundleVector, string?> expected, Func<BundleVector, Task<VerifierAnswer>> verify,
        bool failedChecks = false)
    {
        var wrong = new List<string>();
        int checkedCount = 0;
        foreach (var v in vectors.Where(v => v.Verifiers.Contains(verifier)))
        {
            if (expected(v) is not { } want) continue;
            var answer = await verify(v);
            checkedCount++;
            if (answer.Verdict != want) wrong.Add($"{v.Name}: expected {want}, got {answer.Verdict ?? "no verdict"}\n{answer.Evidence}");
            else if (failedChecks && answer.Failed is { } failed && !failed.Order(StringComparer.Ordinal).SequenceEqual(v.FailedOffline.Order(StringComparer.Ordinal)))
                wrong.Add($"{v.Name}: {want} as expected, but failing [{string.Join(", ", failed)}], not [{string.Join(", ", v.FailedOffline)}]\n{answer.Evidence}");
        }
        Assert.True(checkedCount > 0, $"no vector applies to {verifier}");
        Assert.True(wrong.Count == 0, $"{verifier} disagrees on {wrong.Count} of {checkedCount} vectors:\n\n" + string.Join("\n\n", wrong));
    }
}
