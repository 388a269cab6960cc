using System.Net;
using System.Numerics;
using System.Text.Json;

namespace Attest.LogServer.Tests.Anchoring;

/// <summary>
/// The anchoring account is a hot wallet: whoever sets the chain's fees (or a slow chain) must not be able to drain
/// it. The anchorer never offers more than Attest:Anchor:MaxFeePerGas a gas, replacements included, and waits (saying
/// so in /v1/anchors/status) rather than pay more; it replaces one anchor's transaction at most MaxReplacements times;
/// it refuses a gas estimate above MaxGas; and it talks to a node that is not on loopback only over https.
/// </summary>
public sealed class AnchorLimitsTests
{
    private const long Gwei = 1_000_000_000;

    private static Task<ServerProcess> StartServer(AnvilProcess anvil, params (string Key, string Value)[] settings) =>
        AnchoringServer.Start(anvil, null, settings);

    [Fact]
    public async Task while_the_base_fee_is_above_the_cap_nothing_is_sent_and_once_it_falls_the_anchor_pays_at_most_the_cap()
    {
        await using var anvil = await AnvilProcess.Start("--base-fee", (100 * Gwei).ToString());
        await using var server = await StartServer(anvil, ("Attest__Anchor__MaxFeePerGas", (10 * Gwei).ToString()));
        long index = (await server.Client.Stamp("expensive times")).GetProperty("log_index").GetInt64();

        var status = await WaitFor(server, s => Waiting(s) is not null || s.GetProperty("pending").ValueKind == JsonValueKind.Object,
            "the anchorer to wait or to send");
        Assert.Equal(JsonValueKind.Null, status.GetProperty("pending").ValueKind);
        Assert.Equal(0, await anvil.Quantity("eth_getTransactionCount", AnvilProcess.DevAddress, "pending"));
        Assert.Contains("Attest:Anchor:MaxFeePerGas", Waiting(status));

        // The fee falls: the anchor goes out, within the cap, and the wait is over.
        await anvil.Rpc("anvil_setNextBlockBaseFeePerGas", "0x" + Gwei.ToString("x"));
        await anvil.Mine();
        status = await WaitFor(server, s => s.GetProperty("anchored_size").GetInt64() > index, "the anchor once the fee fell");
        Assert.Null(Waiting(status));
        var anchor = (await server.Client.Get("v1/anchors/latest", key: null)).Body;
        var tx = await anvil.Rpc("eth_getTransactionByHash", anchor.Str("tx_hash"));
        Assert.True(Quantity(tx.Str("maxFeePerGas")) <= 10 * Gwei, $"the anchor offered {Quantity(tx.Str("maxFeePerGas"))} wei a gas");
        Assert.True(Quantity(tx.Str("maxPriorityFeePerGas")) <= 10 * Gwei);
    }

    [Fact]
    public async Task replacements_stop_at_the_limit_and_the_last_transaction_is_waited_for()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        await using var server = await StartServer(anvil, ("Attest__Anchor__ReplaceAfter", "00:00:00.3"), ("Attest__Anchor__MaxReplacements", "2"));
        long index = (await server.Client.Stamp("never mined")).GetProperty("log_index").GetInt64();

        var status = await WaitFor(server, s => Waiting(s) is not null
            || s.GetProperty("pending") is { ValueKind: JsonValueKind.Object } p && p.GetProperty("transactions").GetInt32() > 3, "the replacements to stop");
        Assert.Equal(3, status.GetProperty("pending").GetProperty("transactions").GetInt32());
        Assert.Contains("Attest:Anchor:MaxReplacements", Waiting(status));
        // Several more replacement periods pass: still the first and two replacements, nothing more signed or sent.
        for (int i = 0; i < 10; i++)
        {
            await Task.Delay(300);
            Assert.Equal(3, Sent(server).Count);
        }
        Assert.Equal(3, (await server.Client.Get("v1/anchors/status", key: null)).Body.GetProperty("pending").GetProperty("transactions").GetInt32());

        // The last one mines, and is the anchor.
        await anvil.Mine();
        await WaitFor(server, s => s.GetProperty("anchored_size").GetInt64() > index, "the anchor to be logged");
        Assert.Equal(status.GetProperty("pending").Str("tx_hash"), (await server.Client.Get("v1/anchors/latest", key: null)).Body.Str("tx_hash"));
    }

    [Fact]
    public async Task replacements_never_offer_more_than_the_fee_cap()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        // anvil's first block has a base fee of 1 gwei: the first offer is about 3 gwei, and bumps of 1/8 soon pass 4.
        const long cap = 4 * Gwei;
        await using var server = await StartServer(anvil, ("Attest__Anchor__ReplaceAfter", "00:00:00.2"), ("Attest__Anchor__MaxReplacements", "50"),
            ("Attest__Anchor__MaxFeePerGas", cap.ToString()));
        await server.Client.Stamp("fees rising");

        var status = await WaitFor(server, s => Waiting(s) is not null
            || s.GetProperty("pending") is { ValueKind: JsonValueKind.Object } p && p.GetProperty("transactions").GetInt32() > 20, "the fee cap to stop the replacements");
        var sent = Sent(server);
        Assert.True(sent.Count >= 2, $"expected at least one replacement below the cap, got {sent.Count} transactions");
        foreach (var tx in sent)
        {
            Assert.True(BigInteger.Parse(tx.Str("Fee")) <= cap, $"a transaction offered {tx.Str("Fee")} wei a gas, above the cap {cap}");
            Assert.True(BigInteger.Parse(tx.Str("PriorityFee")) <= cap);
        }
        var pooled = await anvil.Rpc("eth_getTransactionByHash", status.GetProperty("pending").Str("tx_hash"));
        Assert.True(Quantity(pooled.Str("maxFeePerGas")) <= cap);
        Assert.Contains("Attest:Anchor:MaxFeePerGas", Waiting(status));
    }

    [Fact]
    public async Task a_gas_estimate_above_the_gas_cap_sends_nothing_and_says_so()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await StartServer(anvil, ("Attest__Anchor__MaxGas", "21000"));
        await server.Client.Stamp("too much gas");
        var status = await WaitFor(server, s => s.GetProperty("consecutive_failures").GetInt32() >= 1 || s.GetProperty("pending").ValueKind == JsonValueKind.Object
            || s.GetProperty("anchored_size").GetInt64() > 0, "the gas cap to show");
        Assert.Contains("Attest:Anchor:MaxGas", status.Str("last_error"));
        Assert.Equal(0, await anvil.Quantity("eth_getTransactionCount", AnvilProcess.DevAddress, "pending"));
    }

    [Theory]
    [InlineData("http://example.com/v3/secret-project-key")]
    [InlineData("http://10.0.0.7:8545/secret-project-key")]
    public async Task a_node_url_that_is_not_loopback_and_not_https_stops_the_server_at_start_without_echoing_it(string url)
    {
        var settings = new Dictionary<string, string> { ["Attest__Anchor__RpcUrl"] = url, ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(settings: settings));
        Assert.Contains("Attest:Anchor:RpcUrl must be https", e.Message);
        Assert.DoesNotContain("secret-project-key", e.Message);
        Assert.DoesNotContain(AnvilProcess.DevKey[2..], e.Message);
    }

    [Theory]
    [InlineData("Attest__Anchor__MaxFeePerGas", "0")]
    [InlineData("Attest__Anchor__MaxGas", "20999")]
    [InlineData("Attest__Anchor__MaxReplacements", "-1")]
    public async Task a_limit_out_of_range_stops_the_server_at_start(string key, string value)
    {
        var settings = new Dictionary<string, string>
        {
            ["Attest__Anchor__RpcUrl"] = "http://127.0.0.1:9/",
            ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey,
            [key] = value,
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(settings: settings));
        Assert.Contains("Attest:Anchor:MaxFeePerGas must be positive, MaxGas at least 21000 and MaxReplacements not negative", e.Message);
    }

    /// <summary>Why the anchorer holds back a transaction that is due (null: it does not).</summary>
    private static string? Waiting(JsonElement status) =>
        status.TryGetProperty("waiting", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null;

    private static BigInteger Quantity(string hex) => BigInteger.Parse("0" + hex[2..], System.Globalization.NumberStyles.HexNumber);

    /// <summary>Every transaction signed for the pending anchor, as saved before sending (anchor-state.json).</summary>
    private static List<JsonElement> Sent(ServerProcess server)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(server.DataDir, "anchor-state.json")));
        return [.. doc.RootElement.GetProperty("Pending").GetProperty("Sent").EnumerateArray().Select(e => e.Clone())];
    }

    private static Task<JsonElement> WaitFor(ServerProcess server, Func<JsonElement, bool> condition, string what) =>
        AnchoringServer.WaitForStatus(server, condition, what);
}
