using Attest.Merkle;
using Attest.Witness;
using Microsoft.AspNetCore.Builder;

namespace Attest.Tests.Shared;

/// <summary>
/// A witness application (Attest.Witness) on a loopback port known before it starts (a server may be told of a witness
/// that is down or starts later), so it can be stopped, wiped and started again there.
/// </summary>
public sealed class LoopbackWitness : IAsyncDisposable
{
    private readonly WitnessConfig config;
    private readonly ReservedPort port = new();
    private WebApplication? app;

    public LoopbackWitness(string name, string origin, string logVerifierKey)
    {
        var (privateKey, verifierKey) = CosignatureSigner.Generate(name);
        Name = name;
        VerifierKey = verifierKey;
        LogVerifierKey = logVerifierKey;
        Assert.True(CosignatureVerifier.TryParse(verifierKey, out var v));
        Verifier = v!;
        Url = port.Url;
        config = new WitnessConfig
        {
            PrivateKey = privateKey,
            StateDir = Directory.CreateTempSubdirectory("attest-witness-").FullName,
            Logs = [new WitnessedLog { Origin = origin, VerifierKey = logVerifierKey }],
        };
    }

    public string Name { get; }

    public string Url { get; }

    public string VerifierKey { get; }

    public string LogVerifierKey { get; }

    public CosignatureVerifier Verifier { get; }

    public async Task Start()
    {
        port.Dispose(); // until now connections were refused; the witness binds the port next
        app = WitnessApp.Build(config, [Url]);
        await app.StartAsync();
    }

    public async Task Stop()
    {
        if (app is null) return;
        await app.StopAsync();
        await app.DisposeAsync();
        app = null;
    }

    /// <summary>A witness whose disk was lost: stopped, its state deleted, started again on the same port.</summary>
    public async Task Reset()
    {
        await Stop();
        Directory.Delete(config.StateDir, recursive: true);
        await Start();
    }

    public async ValueTask DisposeAsync()
    {
        await Stop();
        port.Dispose();
        if (Directory.Exists(config.StateDir)) Directory.Delete(config.StateDir, recursive: true);
    }
}
