using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Cli.Tests;

/// <summary><c>attest stamp --sealed-until</c>, <c>attest reveal</c> and <c>attest stamp-proof</c> against a real server.</summary>
public sealed class SealedStampCommandTests
{
    [Fact]
    public async Task a_sealed_stamp_is_revealed_after_its_time_and_stamp_proof_shows_its_content_only_when_it_hashes_to_the_sealed_hash()
    {
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Stamps__MinSealSeconds"] = "1" });
        string url = server.BaseAddress.ToString();
        string logKey = (await server.Client.Get("v1/log/key", key: null)).Body.Str("verifier_key");
        string content = "Line one of the prediction " + Guid.NewGuid() + "\nline two";

        // Sealed for an hour: the proof verifies, the reveal is pending and refused, and the content is nowhere.
        string later = await Seal(url, content, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);
        var pending = await AttestCli.Run(["stamp-proof", later, "--log-key", logKey], url: url);
        AttestCli.AssertExit(0, pending);
        Assert.Contains("skip  reveal", pending.Stdout);
        Assert.Contains("not revealed yet", pending.Stdout);
        Assert.DoesNotContain(content.Split('\n')[0], pending.Stdout);
        var early = await AttestCli.Run(["reveal", later], apiKey: ServerProcess.AdminKey, url: url);
        AttestCli.AssertExit(1, early);
        Assert.Contains("still_sealed", early.Stderr);

        // Sealed for a few seconds (time enough for the CLI to start on a loaded machine), then revealed.
        long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 15;
        string id = await Seal(url, content, until);
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() < until) await Task.Delay(200);
        var reveal = await AttestCli.Run(["reveal", id], apiKey: ServerProcess.AdminKey, url: url);
        AttestCli.AssertExit(0, reveal);
        var revealed = await AttestCli.Run(["stamp-proof", id, "--log-key", logKey], url: url);
        AttestCli.AssertExit(0, revealed);
        Assert.Contains("pass  reveal", revealed.Stdout);
        Assert.Contains("  | " + content.Split('\n')[0] + "\n  | line two\n", revealed.Stdout);
        Assert.EndsWith("verdict: STAMPED", revealed.Stdout.TrimEnd());

        // A saved proof whose revealed content was edited: the reveal fails and the edited text is not shown as content.
        var proof = JsonNode.Parse((await server.Client.Get($"v1/stamps/{id}/proof", key: null)).Body.GetRawText())!;
        proof["reveal"]!["entry"] = proof["reveal"]!["entry"]!.GetValue<string>().Replace("Line one", "Line ONE");
        string file = Path.Combine(Path.GetTempPath(), $"attest-stamp-proof-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, proof.ToJsonString());
        try
        {
            var edited = await AttestCli.Run(["stamp-proof", file, "--log-key", logKey]);
            AttestCli.AssertExit(1, edited);
            Assert.Contains("fail  reveal", edited.Stdout);
            Assert.DoesNotContain("Line ONE", edited.Stdout);
            Assert.EndsWith("verdict: NOT VERIFIED", edited.Stdout.TrimEnd());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> Seal(string url, string content, long until)
    {
        var run = await AttestCli.Run(["stamp", "--text", content, "--sealed-until", until.ToString()], apiKey: ServerProcess.AdminKey, url: url);
        AttestCli.AssertExit(0, run);
        Assert.DoesNotContain(content.Split('\n')[0], run.Stdout);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("sealed", doc.RootElement.Str("visibility"));
        Assert.Equal(until, doc.RootElement.GetProperty("sealed_until").GetInt64());
        return doc.RootElement.Str("id");
    }
}
