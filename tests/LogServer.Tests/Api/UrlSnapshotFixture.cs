namespace Attest.LogServer.Tests.Api;

/// <summary>
/// A loopback page server and two real servers with URL snapshots on: <see cref="Allowing"/>, whose allow-list names
/// the page server's address and port (a small size cap, two fetches at a time), <see cref="Impatient"/>, the same with
/// a timeout of one second, and <see cref="Strict"/>, with an empty allow-list; issuers with API keys on the first.
/// </summary>
public sealed class UrlSnapshotFixture : IAsyncLifetime
{
    public const int MaxBytes = 20_000;

    public LoopbackPages Pages { get; private set; } = null!;

    public ServerProcess Allowing { get; private set; } = null!;

    public ServerProcess Strict { get; private set; } = null!;

    /// <summary>Allows the page server, but gives a fetch one second.</summary>
    public ServerProcess Impatient { get; private set; } = null!;

    public string ApiKey { get; private set; } = null!;

    public string OtherApiKey { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Pages = await LoopbackPages.Start();
        Allowing = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Stamps__UrlSnapshots__Enabled"] = "true",
            ["Attest__Stamps__UrlSnapshots__AllowedHosts__0"] = $"127.0.0.1:{Pages.Port}",
            ["Attest__Stamps__UrlSnapshots__MaxBytes"] = MaxBytes.ToString(),
            ["Attest__Stamps__UrlSnapshots__MaxRedirects"] = "3",
            // Two fetches at a time (the tests of a class run one after the other), and time enough for a loaded machine.
            ["Attest__Stamps__UrlSnapshots__MaxConcurrent"] = "2",
            ["Attest__Stamps__UrlSnapshots__TimeoutSeconds"] = "120",
        });
        Strict = await ServerProcess.Start(settings: new Dictionary<string, string> { ["Attest__Stamps__UrlSnapshots__Enabled"] = "true" });
        Impatient = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Stamps__UrlSnapshots__Enabled"] = "true",
            ["Attest__Stamps__UrlSnapshots__AllowedHosts__0"] = $"127.0.0.1:{Pages.Port}",
            ["Attest__Stamps__UrlSnapshots__TimeoutSeconds"] = "1",
        });
        ApiKey = await ApiKeyOf(await Allowing.Client.CreateIssuer("Archive"));
        OtherApiKey = await ApiKeyOf(await Allowing.Client.CreateIssuer("Stranger"));
    }

    private async Task<string> ApiKeyOf(string issuerId) =>
        (await Allowing.Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "archivist" })).Body.Str("key");

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { Allowing, Strict, Impatient })
        {
            if (server is null) continue;
            await server.DisposeAsync();
            Directory.Delete(server.DataDir, recursive: true);
        }
        if (Pages is not null) await Pages.DisposeAsync();
    }
}
