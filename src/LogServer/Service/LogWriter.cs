using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

/// <summary>Appends one entry with its private side data and waits until it is durable and indexed.</summary>
public sealed class LogWriter(Sequencer sequencer, TransparencyLog log, FreeSpace freeSpace)
{
    /// <summary>
    /// Private data escapes only what JSON requires: it is stored and re-serialized, never embedded in a page as is, and
    /// the quotes of a signed payload held as a string take 2 bytes each instead of 6.
    /// </summary>
    public static readonly JsonWriterOptions PrivateJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions PrivateJsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Returns the log index. Once this returns, every index and the registry reflect the entry.</summary>
    public Task<long> Append(byte[] entry, JsonObject? priv) => Append(Record(entry, priv));

    /// <summary>Appends a record (see <see cref="LogRecord"/>; a caller may keep it, to answer without reading it back).</summary>
    public Task<long> Append(byte[] record)
    {
        // Refused before it is queued: a nearly full disk, or an entry log with a corrupt record (no entry may be
        // logged after one that no checkpoint can cover).
        freeSpace.EnsureRoomFor(record.Length);
        if (log.Corruption is { } corruption) throw new DomainError(ErrorKind.Unavailable, "entry_log_corrupt", corruption);
        return sequencer.AppendAsync(record, CancellationToken.None);
    }

    /// <summary>
    /// Appends a record that carries <paramref name="charge"/> (null: none). The charge is given back if the record is
    /// not appended; once it is, the indexer has spent it (<see cref="CreditAccount"/>).
    /// </summary>
    public Task<long> AppendCharging(byte[] record, CreditCharge? charge) => charge is null ? Append(record) : Charged(record, charge);

    private async Task<long> Charged(byte[] record, CreditCharge charge)
    {
        try
        {
            return await Append(record);
        }
        catch
        {
            charge.Release();
            throw;
        }
    }

    public static byte[] Record(byte[] entry, JsonObject? priv) =>
        LogRecord.Encode(entry, priv is null ? default : JsonSerializer.SerializeToUtf8Bytes(priv, PrivateJsonOptions));
}
