using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Attest.Merkle;
using Microsoft.AspNetCore.Builder;

namespace Attest.Witness.Tests;

/// <summary>A witness application on a free loopback port, with its own state directory, spoken to over real HTTP.</summary>
public sealed class WitnessHost : IAsyncDisposable
{
    private WebApplication app;

    private WitnessHost(WitnessConfig config, WebApplication app, FixedTime time)
    {
        Config = config;
        this.app = app;
        Time = time;
    }

    public WitnessConfig Config { get; }

    public FixedTime Time { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string VerifierKey { get; private set; } = "";

    public static async Task<WitnessHost> Start(WitnessConfig config)
    {
        var time = new FixedTime();
        var host = new WitnessHost(config, WitnessApp.Build(config, ["http://127.0.0.1:0"], time), time);
        await host.StartApp();
        return host;
    }

    /// <summary>Stops the application and starts a new one on the same state directory (a restart).</summary>
    public async Task Restart()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        app = WitnessApp.Build(Config, ["http://127.0.0.1:0"], Time);
        await StartApp();
    }

    private async Task StartApp()
    {
        await app.StartAsync();
        BaseAddress = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress };
        Assert.True(CosignatureSigner.TryParse(Config.PrivateKey, out var signer));
        using (signer) VerifierKey = signer!.VerifierKey;
    }

    public Task<Answer> Post(string body) => Post(Encoding.UTF8.GetBytes(body));

    public async Task<Answer> Post(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        using var response = await Client.PostAsync("add-checkpoint", content);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public sealed record Answer(HttpStatusCode Status, MediaTypeHeaderValue? ContentType, string Body)
{
    public override string ToString() => $"{(int)Status} {ContentType}: {Body}";
}

public sealed class FixedTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A log in memory: its key, its entries' hashes, and checkpoints and proofs at any of its sizes.</summary>
public sealed class TestLog : IDisposable
{
    private readonly NoteSigner signer;
    private readonly MemoryHashStore hashes = new();

    public TestLog(string origin = "log.test/witnessed", int size = 32)
    {
        var (privateKey, verifierKey) = NoteSigner.Generate(origin);
        Assert.True(NoteSigner.TryParse(privateKey, out var s));
        signer = s!;
        VerifierKey = verifierKey;
        for (int i = 0; i < size; i++) hashes.Append(Encoding.UTF8.GetBytes($"entry {i}"));
    }

    public string Origin => signer.Name;

    /// <summary>The log's key, for tests that make it misbehave.</summary>
    public NoteSigner Signer => signer;

    public string VerifierKey { get; }

    public Hash Root(long size) => StoredHashes.TreeHash(size, hashes);

    public string SignedCheckpoint(long size) => Note.Sign(new Checkpoint(Origin, size, Root(size), []).Format(), signer);

    public Hash[] Proof(long from, long to) => from == 0 ? [] : ConsistencyProof.Prove(from, to, hashes);

    /// <summary>A well-formed request from <paramref name="old"/> to <paramref name="size"/> with the right proof.</summary>
    public string Request(long old, long size) => AddCheckpoint.Format(old, Proof(old, size), SignedCheckpoint(size));

    public void Dispose() => signer.Dispose();
}
