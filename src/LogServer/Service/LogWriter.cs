using System.Text;
using System.Text.Json.Nodes;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

/// <summary>Appends one entry with its private side data and waits until it is durable and indexed.</summary>
public sealed class LogWriter(Sequencer sequencer)
{
    /// <summary>Returns the log index. Once this returns, every index and the registry reflect the entry.</summary>
    public Task<long> Append(byte[] entry, JsonObject? priv) => Append(Record(entry, priv));

    /// <summary>Appends a record made by <see cref="Record"/> (a caller may keep it, to answer without reading it back).</summary>
    public Task<long> Append(byte[] record) => sequencer.AppendAsync(record, CancellationToken.None);

    public static byte[] Record(byte[] entry, JsonObject? priv) =>
        LogRecord.Encode(entry, priv is null ? default : Encoding.UTF8.GetBytes(priv.ToJsonString()));
}
