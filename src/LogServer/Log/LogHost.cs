using Attest.LogServer.Service;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Log;

/// <summary>
/// Owns the log's lifetime: opens (and so recovers) it at start, publishes checkpoints at least every
/// <see cref="LogOptions.CheckpointInterval"/> while the tree grows, checkpoints the index, and on graceful
/// shutdown drains the sequencer and publishes a final checkpoint.
/// </summary>
/// <remarks>
/// An index checkpoint runs beside the publishing loop, not in it: its writes are paced
/// (<see cref="LogOptions.IndexCheckpointMegabytesPerSecond"/>) and take seconds, and checkpoints must keep being
/// published meanwhile. At most one runs at a time; the next starts once it finished and the interval passed.
/// </remarks>
public sealed class LogHost(TransparencyLog log, Sequencer sequencer, KvIndex index, AttestOptions options, ILogger<LogHost> logger) : BackgroundService
{
    private Task indexCheckpoint = Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        index.WriteBytesPerSecond = options.Log.IndexCheckpointMegabytesPerSecond * 1_000_000L;
        var nextIndexCheckpoint = DateTime.UtcNow + options.Log.IndexCheckpointInterval;
        using var timer = new PeriodicTimer(options.Log.CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await log.PublishAsync(stopping);
                if (indexCheckpoint.IsCompleted && DateTime.UtcNow >= nextIndexCheckpoint)
                {
                    await indexCheckpoint; // a failed checkpoint stops the host, as it did when awaited here
                    indexCheckpoint = log.CheckpointIndexes();
                    nextIndexCheckpoint = DateTime.UtcNow + options.Log.IndexCheckpointInterval;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await sequencer.DisposeAsync();
        var last = await log.PublishAsync(CancellationToken.None);
        // Unpaced from here: a checkpoint still running finishes at full speed, then the last one is taken.
        index.WriteBytesPerSecond = 0;
        try
        {
            await indexCheckpoint;
        }
        catch (Exception e)
        {
            logger.LogError(e, "The index checkpoint running at shutdown failed; taking the final one");
        }
        await log.CheckpointIndexes();
        logger.LogInformation("Log closed at checkpoint {Size}", last.Size);
    }
}

public static class LogServices
{
    public static IServiceCollection AddAttestLog(this IServiceCollection services, AttestOptions options, Anchor.AnchorSetup? anchor, Witnessing.WitnessSetup? witnesses = null)
    {
        services.AddSingleton(sp => new Witnessing.CheckpointWitnessing(witnesses, sp.GetRequiredService<ILogger<Witnessing.CheckpointWitnessing>>()));
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new KvIndex(Path.Combine(options.DataDir, "index"), EntryIndexer.Schema));
        services.AddSingleton(sp => Registry.Load(Path.Combine(options.DataDir, "registry.json")));
        services.AddSingleton(sp => new EntryIndexer(sp.GetRequiredService<KvIndex>(), sp.GetRequiredService<Registry>(), Path.Combine(options.DataDir, "registry.json")));
        services.AddSingleton(sp => new TransparencyLog(
            options.DataDir,
            Secrets.LoadLogKey(options, sp.GetRequiredService<ILogger<TransparencyLog>>()),
            Task.Run(IEntryIndexer () => sp.GetRequiredService<EntryIndexer>()),
            sp.GetRequiredService<ILogger<TransparencyLog>>(),
            witnesses is null ? null : sp.GetRequiredService<Witnessing.CheckpointWitnessing>()));
        services.AddSingleton(sp => new Sequencer(sp.GetRequiredService<TransparencyLog>(), options.Log.MaxBatch, sp.GetRequiredService<ILogger<Sequencer>>(), options.Limits.MaxRecordBytes));
        services.AddSingleton(options.Limits);
        services.AddSingleton<FreeSpace>();
        services.AddSingleton<LogWriter>();
        services.AddSingleton<Idempotency>();
        services.AddSingleton<StampService>();
        services.AddSingleton<VerifyService>();
        services.AddSingleton(sp => new Api.Auth(Secrets.LoadAdminKeyHash(options), sp.GetRequiredService<Registry>(), sp.GetRequiredService<Api.RateLimiter>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(options.RateLimits);
        services.AddSingleton<Api.RateLimiter>();
        services.AddSingleton<KeyVault>();
        services.AddSingleton<BlobStore>();
        services.AddSingleton<KeyGates>();
        services.AddSingleton<IssuerQuotas>();
        services.AddSingleton<IssuerService>();
        services.AddSingleton<AttestationService>();
        services.AddHostedService<LogHost>();
        services.AddSingleton<Anchor.AnchorLedger>();
        services.AddSingleton(sp => new Anchor.Anchorer(anchor, sp.GetRequiredService<TransparencyLog>(), sp.GetRequiredService<Anchor.AnchorLedger>(),
            sp.GetRequiredService<LogWriter>(), sp.GetRequiredService<TimeProvider>(), options, sp.GetRequiredService<ILogger<Anchor.Anchorer>>()));
        // Registered after LogHost, so it stops first, while the sequencer still takes its last entry.
        services.AddHostedService(sp => sp.GetRequiredService<Anchor.Anchorer>());
        return services;
    }
}
