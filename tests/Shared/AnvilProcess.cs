using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Tests.Shared;

/// <summary>
/// A real EVM node: foundry's anvil from npm (tests/interop/evm), chain id 31337, on a loopback port, with its
/// chain kept in a state file so a stopped node can come back with the same chain.
/// </summary>
public sealed class AnvilProcess : IAsyncDisposable
{
    /// <summary>anvil's first prefunded dev account (public knowledge: the same in every anvil and hardhat node).</summary>
    public const string DevKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    public const string DevAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string[] arguments;
    private readonly string stateDir = Directory.CreateTempSubdirectory("attest-anvil-").FullName;
    private Process? process;

    // anvil binds the port it is given; held until then, so that nothing else takes it.
    private readonly ReservedPort port = new();

    private AnvilProcess(string[] arguments) => this.arguments = arguments;

    public int Port => port.Port;

    public string RpcUrl => $"http://127.0.0.1:{Port}";

    public static string Folder => ExternalTools.Interop("evm");

    /// <summary>Starts anvil with extra flags (e.g. <c>--no-mining</c>, <c>--hardfork berlin</c>) and waits until it answers.</summary>
    public static async Task<AnvilProcess> Start(params string[] flags)
    {
        await ExternalTools.NpmCi(Folder, "@foundry-rs/anvil-linux-amd64", "ethers");
        var anvil = new AnvilProcess(flags);
        await anvil.Restart();
        return anvil;
    }

    /// <summary>Starts the node again (after <see cref="Stop"/>) on the same port, with the chain it saved.</summary>
    public async Task Restart()
    {
        string binary = Path.Combine(Folder, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
        if (!File.Exists(binary)) throw new Xunit.Sdk.XunitException($"anvil is missing at {binary}: run npm ci in {Folder} (scripts/test does)");
        port.Dispose();
        var psi = new ProcessStartInfo(binary, ["--port", Port.ToString(), "--silent", "--state", Path.Combine(stateDir, "state.json"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        process = Process.Start(psi)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"anvil exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            try
            {
                await Rpc("eth_chainId");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>SIGTERM: anvil saves its chain to the state file and exits.</summary>
    public async Task Stop()
    {
        if (process is null || process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync();
    }

    public async Task<JsonElement> Rpc(string method, params object[] parameters)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = JsonSerializer.SerializeToNode(parameters) };
        using var response = await Http.PostAsJsonAsync(RpcUrl, request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (doc.RootElement.TryGetProperty("error", out var error)) throw new InvalidOperationException($"{method}: {error}");
        return doc.RootElement.GetProperty("result").Clone();
    }

    public async Task<long> Quantity(string method, params object[] parameters) =>
        Convert.ToInt64((await Rpc(method, parameters)).GetString(), 16);

    public async Task Mine(int blocks = 1)
    {
        for (int i = 0; i < blocks; i++) await Rpc("evm_mine");
    }

    /// <summary>tests/interop/evm/read-anchor.mjs: the transaction as ethers reads it from the node, its signer recovered from the raw bytes.</summary>
    public async Task<JsonElement> ReadWithEthers(string txHash)
    {
        var result = await ExternalTools.Run("node", [Path.Combine(Folder, "read-anchor.mjs"), RpcUrl, txHash], Folder, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"read-anchor.mjs failed: {result}");
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process?.Dispose();
        port.Dispose();
        try { Directory.Delete(stateDir, recursive: true); } catch (IOException) { }
    }
}
