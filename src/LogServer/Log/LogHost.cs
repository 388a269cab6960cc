using Attest.LogServer.Service;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Log;

/// <summary>
/// Owns the log's lifetime: opens (and so recovers) it at start, before the server listens, publishes checkpoints at
/// least every <see cref="LogOptions.CheckpointInterval"/> while the tree grows, checkpoints the index, and on
/// graceful shutdown drains the sequencer and publishes a final checkpoint.
/// </summary>
/// <remarks>
/// An index checkpoint runs beside the publishing loop, not in it: its writes are paced
/// (<see cref="LogOptions.IndexCheckpointMegabytesPerSecond"/>) and take seconds, and checkpoints must keep being
/// published meanwhile. At most one runs at a time; the next starts once it finished and the interval passed.
/// </remarks>
public sealed class LogHost(TransparencyLog log, Sequencer sequencer, KvIndex index, FreeSpace space, AttestOptions options, ILogger<LogHost> logger) : BackgroundService
{
    // Read and written only by the publishing loop (ExecuteAsync), then by StopAsync once the loop has ended.
    private Task indexCheckpoint = Task.CompletedTask;
    private readonly FailureStreak indexing = new(logger, "Index checkpoint failed; writes to the index's files are retried until they succeed, and entries are still accepted",
        "Index checkpoints succeed again");

    /// <summary>
    /// Opens the log before the host goes on to start the server, so no request ever meets a log still opening: the
    /// host awaits each hosted service's start in turn, and starts Kestrel after them all.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await log.OpenAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    // A failed write of a checkpoint (a full disk, an I/O error) must not stop the host: the sequencer goes on taking
    // entries (it stops only when the entry log itself fails), reads go on, and the next tick tries again.
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        index.WriteBytesPerSecond = options.Log.IndexCheckpointMegabytesPerSecond * 1_000_000L;
        var nextIndexCheckpoint = DateTime.UtcNow + options.Log.IndexCheckpointInterval;
        using var timer = new PeriodicTimer(options.Log.CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await log.PublishAsync(stopping);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested && TransparencyLog.IsWriteFailure(e))
                {
                    // Logged once per streak, and shown by /readyz, by the log itself (TransparencyLog.PublishFailure).
                }
                if (index.WriteFailure is { } writes) indexing.Failed(writes);
                else if (indexCheckpoint.IsCompletedSuccessfully) indexing.Succeeded();
                if (indexCheckpoint.IsCompleted && DateTime.UtcNow >= nextIndexCheckpoint)
                {
                    if (indexCheckpoint.Exception is { } failed) indexing.Failed(failed.InnerException ?? failed);
                    indexCheckpoint = NoRoomForIndexCheckpoint() is { } refusal ? Task.FromException(refusal) : sequencer.CheckpointIndexAsync();
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
        await sequencer.StopAsync();
        // Never opened (the start failed): there is nothing to publish or checkpoint.
        if (!log.IsOpen) return;
        SignedCheckpoint last;
        try
        {
            last = await log.PublishAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The entries it would have covered are in the entry log; the next start replays and publishes them.
            logger.LogError(e, "The final checkpoint could not be published; the next start publishes it");
            last = log.Latest;
        }
        // Unpaced from here: a checkpoint still running finishes at full speed, then the last one is taken.
        index.WriteBytesPerSecond = 0;
        try
        {
            // One still waiting for space is given up when the host's shutdown timeout passes: the index is derived,
            // and the next start re-applies what its last checkpoint lacks.
            if (!indexCheckpoint.IsFaulted) await indexCheckpoint.WaitAsync(cancellationToken);
            if (NoRoomForIndexCheckpoint() is { } refusal) throw refusal;
            await sequencer.CheckpointIndexAsync();
        }
        catch (Exception e)
        {
            logger.LogError(e, "The index checkpoint at shutdown failed; the next start re-applies the entries after the last one");
        }
        logger.LogInformation("Log closed at checkpoint {Size}", last.Size);
    }

    /// <summary>
    /// Why an index checkpoint is not begun: it writes its whole hash table (64 MB) at once, and begun on a disk
    /// without room for it, its half-written files took the last megabytes, so that checkpoints (a few KB each) could
    /// no longer be published until space returned. Not begun, it is tried again at the next interval.
    /// </summary>
    private IOException? NoRoomForIndexCheckpoint()
    {
        long needed = index.CheckpointBytes, available = space.AvailableNow();
        return available >= needed ? null
            : new IOException($"an index checkpoint writes at least {needed} bytes and the data directory's filesystem has {available} available");
    }

    /// <summary>
    /// Logs a background write that keeps failing once at Error when it starts failing, and once when it succeeds
    /// again, not at every retry (every second).
    /// </summary>
    private sealed class FailureStreak(ILogger logger, string failed, string recovered)
    {
        // Read and written only by the publishing loop, like the streak itself.
        private long since = -1;

        public void Failed(Exception e)
        {
            if (since >= 0) return;
            since = Environment.TickCount64;
            logger.LogError(e, "{What}", failed);
        }

        public void Succeeded()
        {
            if (since < 0) return;
            logger.LogInformation("{What}, after {Seconds:F0} s of failures", recovered, (Environment.TickCount64 - since) / 1000.0);
            since = -1;
        }
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
        services.AddSingleton<IIndexStore>(sp => sp.GetRequiredService<KvIndex>());
        services.AddSingleton(sp => Registry.Load(Path.Combine(options.DataDir, "registry.json")));
        services.AddSingleton(sp => new EntryIndexer(sp.GetRequiredService<KvIndex>(), sp.GetRequiredService<Registry>(), Path.Combine(options.DataDir, "registry.json")));
        // Neither opens anything when made: LogHost's start opens both (TransparencyLog.OpenAsync). The index opens
        // beside the log's own files (its FASTER recovery is the longer), and the sequencer awaits it only after them.
        services.AddSingleton(sp => new Sequencer(
            options.DataDir,
            Task.Run(IEntryIndexer () => sp.GetRequiredService<EntryIndexer>()),
            sp.GetRequiredService<ILogger<Sequencer>>(),
            options.Log.MaxBatch,
            options.Limits.MaxRecordBytes));
        services.AddSingleton(sp => new TransparencyLog(
            options.DataDir,
            sp.GetRequiredService<Sequencer>(),
            Secrets.LoadLogKey(options, sp.GetRequiredService<ILogger<TransparencyLog>>()),
            sp.GetRequiredService<ILogger<TransparencyLog>>(),
            witnesses is null ? null : sp.GetRequiredService<Witnessing.CheckpointWitnessing>()));
        services.AddSingleton(options.Limits);
        services.AddSingleton(options.Credits);
        services.AddSingleton<FreeSpace>();
        services.AddSingleton<Api.LargeBodies>();
        services.AddSingleton<LogWriter>();
        services.AddSingleton<Idempotency>();
        services.AddSingleton<StampService>();
        services.AddSingleton(options.Stamps);
        services.AddSingleton<StampReveals>();
        services.AddSingleton<Snapshots.UrlSnapshotter>();
        services.AddSingleton<ProofService>();
        services.AddSingleton<VerifyService>();
        services.AddSingleton(options.RateLimits);
        services.AddSingleton<Api.RateLimiter>();
        services.AddSingleton<KeyVault>();
        services.AddSingleton<BlobStore>();
        services.AddSingleton<KeyGates>();
        services.AddSingleton<IssuerQuotas>();
        services.AddSingleton<IssuerService>();
        services.AddSingleton<AttestationService>();
        services.AddSingleton<Scitt.Registrations>();
        services.AddSingleton<Scitt.Receipts>();
        services.AddHostedService<LogHost>();
        services.AddSingleton<Anchor.AnchorLedger>();
        services.AddSingleton(sp => new Anchor.Anchorer(anchor, sp.GetRequiredService<TransparencyLog>(), sp.GetRequiredService<Anchor.AnchorLedger>(),
            sp.GetRequiredService<LogWriter>(), sp.GetRequiredService<TimeProvider>(), options, sp.GetRequiredService<ILogger<Anchor.Anchorer>>()));
        // Registered after LogHost, so it stops first, while the sequencer still takes its last entry.
        services.AddHostedService(sp => sp.GetRequiredService<Anchor.Anchorer>());
        return services;
    }
}
