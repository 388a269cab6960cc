using System.Text;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.LogServer.Tests.Log;

/// <summary>A record the entry log cannot hold fails its own submission; the batch around it, and the log, go on.</summary>
public sealed class SequencerIsolationTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("attest-seq-iso-").FullName;

    private async Task<(TransparencyLog Log, Sequencer Sequencer)> Open(int maxRecordBytes)
    {
        var (key, _) = NoteSigner.Generate("seq.iso/log");
        NoteSigner.TryParse(key, out var signer);
        var sequencer = new Sequencer(dir, new NoIndex(), NullLogger.Instance, 64, maxRecordBytes);
        var log = new TransparencyLog(dir, sequencer, signer!, NullLogger.Instance);
        await log.OpenAsync();
        return (log, sequencer);
    }

    [Fact]
    public async Task a_record_larger_than_a_page_fails_alone_and_the_batch_around_it_is_committed()
    {
        // No cap in front: the entry log itself must refuse the 5 MB record (its pages are 4 MB).
        var (log, sequencer) = await Open(maxRecordBytes: int.MaxValue);
        await using (sequencer)
        {
            var small = Enumerable.Range(0, 20).Select(i => LogRecord.Encode(Encoding.UTF8.GetBytes($"entry {i}"), default)).ToArray();
            var huge = LogRecord.Encode("huge"u8, new byte[5 << 20]);
            var appends = small.Take(10).Append(huge).Concat(small.Skip(10)).Select(r => Task.Run(() => sequencer.AppendAsync(r))).ToArray();
            await Task.WhenAll(appends.Where((_, i) => i != 10));
            await Assert.ThrowsAsync<RecordRefusedException>(() => appends[10]);

            Assert.Null(sequencer.Fault);
            Assert.Equal(20, log.Size);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), appends.Where((_, i) => i != 10).Select(t => t.Result).Order());
            Assert.Equal(20, await sequencer.AppendAsync(LogRecord.Encode("after"u8, default)));
            await sequencer.StopAsync();
            Assert.Equal(21, log.Size);
            for (long i = 0; i < 21; i++)
                Assert.DoesNotContain("huge", Encoding.UTF8.GetString(LogRecord.Entry(await log.ReadRecordAsync(i))));
            log.Dispose();
        }
    }

    [Fact]
    public async Task a_record_over_the_cap_is_refused_before_it_is_queued()
    {
        var (log, sequencer) = await Open(maxRecordBytes: 1000);
        await using (sequencer)
        {
            var e = await Assert.ThrowsAsync<RecordTooLargeException>(() => sequencer.AppendAsync(new byte[1001]));
            Assert.Contains("Attest:Limits:MaxRecordBytes", e.Message);
            Assert.Equal(0, await sequencer.AppendAsync(LogRecord.Encode("fits"u8, new byte[990])));
            Assert.Null(sequencer.Fault);
            Assert.False(sequencer.Faulted.IsCompleted);
        }
        Assert.Equal(1, log.Size);
        log.Dispose();
    }

    public void Dispose() => Directory.Delete(dir, true);
}
