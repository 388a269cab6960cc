namespace Attest.Merkle;

/// <summary>Reads stored hashes by their stored-hash index (see <see cref="StoredHashes"/>, the layout of Go's sumdb/tlog).</summary>
public interface IHashReader
{
    /// <summary>
    /// Fills <paramref name="hashes"/>[i] with the hash stored at <paramref name="indexes"/>[i].
    /// MUST either fill every slot with the stored value or throw; MUST NOT return hashes it has not durably or
    /// in-memory recorded for that index.
    /// </summary>
    void ReadHashes(ReadOnlySpan<long> indexes, Span<Hash> hashes);
}
