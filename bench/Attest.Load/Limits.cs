using System.Diagnostics;
using System.Security.Cryptography;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.Load;

/// <summary>
/// The machine's physical limits, measured in the same run as the load so that every figure can be given as a ratio
/// that survives a noisy or different machine. Each takes about two seconds.
/// </summary>
public sealed record Limits(double Sha256PerSecond, double SignsPerSecond, double FasterLogRecordsPerSecond, double FasterLogCommitsPerSecond, int Batch, int Cores,
    double Es256VerifiesPerSecond)
{
    private static readonly TimeSpan Span = TimeSpan.FromSeconds(2);

    public static async Task<Limits> Measure(int batch)
    {
        var entry = new byte[300];
        Random.Shared.NextBytes(entry);
        double sha = OnAllCores(() =>
        {
            var d = new byte[32];
            return () => SHA256.HashData(entry, d);
        });
        using var key = Ed25519PrivateKey.Generate();
        double signs = OnAllCores(() =>
        {
            var signature = new byte[Ed25519.SignatureSize];
            return () => key.Sign(entry, signature);
        });
        // A SCITT registration checks the issuer's ES256 signature (RFC 9053 §2.1) once: over a statement-sized message.
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] es256 = p256.SignData(entry, HashAlgorithmName.SHA256);
        var publicKey = p256.ExportParameters(false);
        double verifies = OnAllCores(() =>
        {
            var key = ECDsa.Create(publicKey); // one per thread, as each request of the server has its own
            return () => key.VerifyData(entry, es256, HashAlgorithmName.SHA256);
        });
        var (records, commits) = await FasterLogRate(entry, batch);
        return new Limits(sha, signs, records, commits, batch, Environment.ProcessorCount, verifies);
    }

    /// <summary>Operations a second with one thread per core, each calling its own copy of the operation in a loop.</summary>
    private static double OnAllCores(Func<Action> operation)
    {
        long total = 0;
        var watch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new Thread(() =>
        {
            var op = operation();
            long n = 0;
            while (watch.Elapsed < Span)
            {
                for (int i = 0; i < 256; i++) op();
                n += 256;
            }
            Interlocked.Add(ref total, n);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return total / watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The server's own <see cref="EntryLog"/> (FasterLog with its settings) in a temporary directory, driven the way
    /// the sequencer drives it with <paramref name="batch"/> requests waiting: enqueue the batch of 302-byte records
    /// of 300-byte entries, one durable commit, again.
    /// </summary>
    private static async Task<(double Records, double Commits)> FasterLogRate(byte[] entry, int batch)
    {
        string dir = Directory.CreateTempSubdirectory("attest-load-fasterlog-").FullName;
        try
        {
            using var log = new EntryLog(dir);
            var record = LogRecord.Encode(entry, default);
            long commits = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < Span)
            {
                for (int i = 0; i < batch; i++) log.Enqueue(record);
                await log.CommitAsync();
                commits++;
            }
            double seconds = watch.Elapsed.TotalSeconds;
            return (commits * batch / seconds, commits / seconds);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
