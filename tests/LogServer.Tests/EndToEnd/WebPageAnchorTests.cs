using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>
/// The page with anchoring on: a real EVM node (anvil), the anchor evidence verified in the browser, the transaction
/// linked through the configured explorer template, and the log view's list of anchors.
/// </summary>
public sealed class WebPageAnchorTests
{
    private const string Explorer = "https://explorer.example/{chain_id}/tx/{tx_hash}";

    [Fact]
    public async Task an_anchored_attestation_and_stamp_show_their_verified_anchor_linked_to_the_explorer_and_the_log_view_lists_the_anchors()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await AnchoringServer.Start(anvil, null, ("Attest__Web__ExplorerTxUrl", Explorer));
        var c = server.Client;
        string issuerId = await c.CreateIssuer("Anchored University");
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var minted = await c.Mint(AttestApi.MintBody(issuerId, kid));
        string id = minted.Str("id");
        var stamp = await c.Stamp("anchored on the page " + Guid.NewGuid());

        await AnchoringServer.WaitForAnchored(server, stamp.GetProperty("log_index").GetInt64());
        using var response = await c.GetAsync($"v1/attestations/{id}/proof-bundle?holder_token={minted.Str("holder_token")}");
        string bundleText = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, bundleText);
        var anchor = JsonDocument.Parse(bundleText).RootElement.GetProperty("anchor");
        Assert.Equal(JsonValueKind.Object, anchor.ValueKind);
        string link = $"https://explorer.example/{anchor.GetProperty("chain_id").GetInt64()}/tx/{anchor.Str("tx_hash")}";

        var seen = await VerificationPage.RunPage(server, "open", $"?attestation={id}&holder_token={minted.Str("holder_token")}");
        var r = seen.GetProperty("result");
        Assert.Equal("VALID", r.Str("verdict"));
        VerificationPage.AssertChecks(r, VerificationPage.AttestationChecks, failed: [], skipped: [.. VerificationPage.OfflineSkips.Where(c => c != "anchor")]);
        Assert.Equal("true", r.GetProperty("anchor").Str("verified"));
        Assert.Equal(link, r.GetProperty("anchor").Str("href"));
        Assert.Contains($"eip155:31337 tx {anchor.Str("tx_hash")}", r.GetProperty("anchor").Str("text"));

        var stampSeen = (await VerificationPage.RunPage(server, "search", stamp.Str("id"))).GetProperty("result");
        Assert.Equal("STAMPED", stampSeen.Str("verdict"));
        VerificationPage.AssertChecks(stampSeen, ["bundle_format", "log_key", "stamp_entry", "inclusion", "checkpoint_signature", "anchor"], failed: [], skipped: []);

        var log = seen.GetProperty("log");
        var anchors = (await c.Get("v1/anchors", key: null)).Body;
        long total = anchors.GetProperty("total").GetInt64();
        Assert.True(long.Parse(log.Str("anchorsTotal")) >= total);
        var rows = log.GetProperty("anchorRows").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        Assert.Contains(rows, row => row.Str("href") == link);

        // A bundle whose anchor calldata was changed fails the anchor check, and only it.
        var tampered = JsonNode.Parse(bundleText)!;
        string calldata = tampered["anchor"]!["calldata"]!.GetValue<string>();
        tampered["anchor"]!["calldata"] = calldata[..40] + (calldata[40] == '0' ? '1' : '0') + calldata[41..];
        string file = Path.Combine(Path.GetTempPath(), $"attest-page-anchor-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, tampered.ToJsonString());
        try
        {
            var bad = (await VerificationPage.RunPage(server, "bundle", file)).GetProperty("result");
            Assert.Equal("ALTERED", bad.Str("verdict"));
            VerificationPage.AssertChecks(bad, VerificationPage.AttestationChecks, failed: ["anchor"], skipped: [.. VerificationPage.OfflineSkips.Where(c => c != "anchor")]);
            Assert.Contains("calldata", VerificationPage.Detail(bad, "anchor"));
            // An anchor that did not verify is not shown as one.
            Assert.Equal(JsonValueKind.Null, bad.GetProperty("anchor").GetProperty("href").ValueKind);
            Assert.DoesNotContain(anchor.Str("tx_hash"), bad.GetProperty("anchor").Str("text"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
