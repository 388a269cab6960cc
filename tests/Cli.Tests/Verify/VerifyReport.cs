using System.Text.Json;

namespace Attest.Cli.Tests.Verify;

/// <summary>What <c>attest verify --json</c> printed: the verdict, its sentence and each check's result and detail.</summary>
public sealed record VerifyReport(ProcessResult Result, string Verdict, string Sentence, Dictionary<string, string> Checks, Dictionary<string, string> Details, JsonElement Json)
{
    public string Detail(string name) => Details[name];

    /// <summary>The names of the checks that failed, in order.</summary>
    public string[] Failed => [.. Checks.Where(c => c.Value == "fail").Select(c => c.Key).Order(StringComparer.Ordinal)];

    /// <summary>Runs <c>attest verify bundle --json options…</c> and reads its output, which must be JSON.</summary>
    public static async Task<VerifyReport> Run(string directory, string bundle, params string[] options)
    {
        var r = await AttestCli.Run(["verify", bundle, "--json", .. options], directory: directory);
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(r.Stdout).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"verify --json did not print JSON ({e.Message}): {r}");
        }
        var checks = json.GetProperty("checks").EnumerateArray().ToArray();
        return new VerifyReport(r, json.GetProperty("verdict").GetString()!, json.GetProperty("sentence").GetString()!,
            checks.ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("result").GetString()!),
            checks.ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("detail").GetString()!), json);
    }
}
