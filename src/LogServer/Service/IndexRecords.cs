using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

/// <summary>
/// A typed value of the FASTER index: each kind of index record is encoded to and decoded from the store's
/// <see cref="IndexValue"/> by its own <see cref="ToIndexValue"/> and <see cref="From"/>, and nowhere else. Its
/// keys are <see cref="EntryIndexer"/>'s (and <see cref="Anchor.AnchorLedger"/>'s); the stored numbers are those
/// of <see cref="EntryIndexer.Schema"/>, so changing an encoding here means a new schema number.
/// </summary>
public interface IIndexRecord<TSelf> where TSelf : struct, IIndexRecord<TSelf>
{
    static abstract TSelf From(IndexValue value);

    IndexValue ToIndexValue();
}

/// <summary>The typed reads and writes of <see cref="IIndexRecord{TSelf}"/> values (generic over structs: nothing is boxed).</summary>
public static class IndexRecords
{
    public static bool TryGet<T>(this IIndexStore index, in IndexKey key, out T record) where T : struct, IIndexRecord<T>
    {
        bool found = index.TryGet(key, out IndexValue value);
        record = found ? T.From(value) : default;
        return found;
    }

    public static void Put<T>(this IIndexStore index, in IndexKey key, in T record) where T : struct, IIndexRecord<T> =>
        index.Put(key, record.ToIndexValue());
}

/// <summary>
/// The log index of one entry: of a leaf hash's entry, a stamp id's, an idempotency key's, a document's latest
/// attestation, a key's n-th attestation. Stored as (index, 0, 0).
/// </summary>
public readonly record struct EntryAt(long Index) : IIndexRecord<EntryAt>
{
    public static EntryAt From(IndexValue value) => new(value.A);

    public IndexValue ToIndexValue() => new(Index, 0, 0);
}

/// <summary>
/// An attestation's entry and the entries that changed its status, if any. Stored as (entry index, revocation
/// index + 1 or 0, superseding index + 1 or 0).
/// </summary>
public readonly record struct AttestationState(long EntryIndex, long? RevocationIndex, long? SupersededByIndex) : IIndexRecord<AttestationState>
{
    public static AttestationState From(IndexValue value) =>
        new(value.A, value.B > 0 ? value.B - 1 : null, value.C > 0 ? value.C - 1 : null);

    public IndexValue ToIndexValue() => new(EntryIndex, RevocationIndex is { } r ? r + 1 : 0, SupersededByIndex is { } s ? s + 1 : 0);
}

/// <summary>
/// A count of entries in log order, with the index of the last one counted, so that counting an entry again (the
/// indexer re-applies entries after a crash) changes nothing. Stored as (0, count, last counted index).
/// </summary>
public readonly record struct Counter(long Count, long LastCounted) : IIndexRecord<Counter>
{
    /// <summary>Whether the entry at <paramref name="index"/> is not yet counted.</summary>
    public bool Counts(long index) => Count == 0 || index > LastCounted;

    /// <summary>The count with the entry at <paramref name="index"/>.</summary>
    public Counter With(long index) => new(Count + 1, index);

    public static Counter From(IndexValue value) => new(value.B, value.C);

    public IndexValue ToIndexValue() => new(0, Count, LastCounted);
}

/// <summary>
/// The stamps of one content hash: the earliest's index, and a <see cref="Counter"/> of them. Stored as (earliest
/// index, count, last counted index).
/// </summary>
public readonly record struct ContentStamps(long Earliest, Counter Stamps) : IIndexRecord<ContentStamps>
{
    public static ContentStamps From(IndexValue value) => new(value.A, Counter.From(value));

    public IndexValue ToIndexValue() => Stamps.ToIndexValue() with { A = Earliest };
}
