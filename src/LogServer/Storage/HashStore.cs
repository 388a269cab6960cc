using Attest.Merkle;

namespace Attest.LogServer.Storage;

/// <summary>
/// The stored Merkle hashes of the log, in the stored-hash layout of <see cref="StoredHashes"/>: a proof or tile at
/// any tree size reads O(log n) of them.
/// </summary>
/// <remarks>
/// Contract: the sequencer stages the hashes of a batch with <see cref="Stage"/> (visible to itself at once, since
/// each record's hashes depend on earlier ones), then writes them with <see cref="WriteStaged"/> before it
/// counts the batch as integrated. Readers of published tree sizes only ever touch written hashes.
/// </remarks>
public sealed class HashStore : IHashReader, IDisposable
{
    private readonly RecordFile<Hash> file;
    private readonly List<Hash> staged = [];

    public HashStore(string path) => file = new RecordFile<Hash>(path);

    /// <summary>Hashes written to the file.</summary>
    public long Count => file.Count;

    public void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> hashes)
    {
        long written = file.Count;
        for (int i = 0; i < indexes.Length; i++)
        {
            long index = indexes[i];
            if (index < written) file.Read(index, hashes.Slice(i, 1));
            else if (index - written < staged.Count) hashes[i] = staged[(int)(index - written)];
            else throw new ArgumentOutOfRangeException(nameof(indexes), $"stored hash {index} does not exist yet");
        }
    }

    public void Stage(ReadOnlySpan<Hash> hashes)
    {
        foreach (var h in hashes) staged.Add(h);
    }

    public void WriteStaged()
    {
        file.Append(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(staged));
        staged.Clear();
    }

    public void Truncate(long count) => file.Truncate(count);

    public void Flush() => file.Flush();

    public void Dispose() => file.Dispose();
}
