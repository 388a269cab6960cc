using System.Net;
using System.Text.Json;

namespace Attest.Tests.Shared;

/// <summary>A server process anchoring to a local EVM node (anvil), and waits on what its anchorer reports.</summary>
public static class AnchoringServer
{
    /// <summary>
    /// Settings that anchor to <paramref name="anvil"/> from its first funded account every 0.2 s, final after one
    /// confirmation; a transaction is replaced only after 10 minutes (so a slow machine does not make one anchor two)
    /// and an RPC call gives up after 2 s. <paramref name="more"/> adds settings or overrides these.
    /// </summary>
    public static Dictionary<string, string> Settings(AnvilProcess anvil, params (string Key, string Value)[] more)
    {
        var s = new Dictionary<string, string>
        {
            ["Attest__Anchor__RpcUrl"] = anvil.RpcUrl,
            ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey,
            ["Attest__Anchor__Interval"] = "00:00:00.2",
            ["Attest__Anchor__Confirmations"] = "1",
            ["Attest__Anchor__ReplaceAfter"] = "00:10:00",
            ["Attest__Anchor__RpcTimeout"] = "00:00:02",
        };
        foreach (var (k, v) in more) s[k] = v;
        return s;
    }

    public static Task<ServerProcess> Start(AnvilProcess anvil, string? dataDir = null, params (string Key, string Value)[] settings) =>
        ServerProcess.Start(dataDir, Settings(anvil, settings));

    /// <summary>Reads <c>/v1/anchors/status</c> every 100 ms until <paramref name="condition"/> holds; 60 s only bound a hang.</summary>
    public static async Task<JsonElement> WaitForStatus(ServerProcess server, Func<JsonElement, bool> condition, string what)
    {
        JsonElement last = default;
        for (int i = 0; i < 600; i++)
        {
            var (status, body) = await server.Client.Get("v1/anchors/status", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            last = body;
            if (condition(body)) return body;
            await Task.Delay(100);
        }
        throw new TimeoutException($"waited 60 s for {what}; last status {last}\n{server.Output}");
    }

    /// <summary>Waits for an anchor covering the entry at <paramref name="index"/>.</summary>
    public static Task<JsonElement> WaitForAnchored(ServerProcess server, long index) =>
        WaitForStatus(server, s => s.GetProperty("anchored_size").GetInt64() > index, $"an anchor covering entry {index}");
}
