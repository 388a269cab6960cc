using System.Buffers.Binary;
using Attest.LogServer.Api;
using Attest.Verification;

namespace Attest.LogServer.Service;

/// <summary>
/// Cursor pagination of the lists that grow with the log (keyring, an issuer's keys, API keys). Items are in log
/// order of the entry that created them, and a cursor is the log index of the last item served, so a page never
/// repeats or skips an item while entries are appended: new items have higher indexes and come last. The cursor is
/// opaque to clients (base64url of 8 bytes); a malformed one is 400 <c>invalid_cursor</c>.
/// </summary>
public readonly record struct PageRequest(long After, int Limit)
{
    public const int DefaultLimit = 100, MaxLimit = 1000;

    /// <summary>From a client's cursor (null or empty: the first page) and limit (null: the default).</summary>
    public static PageRequest Of(string? cursor, long? limit)
    {
        if (limit is { } l && (l < 1 || l > MaxLimit)) throw DomainError.Invalid("parameter_out_of_range", $"\"limit\" must be between 1 and {MaxLimit}");
        return new PageRequest(string.IsNullOrEmpty(cursor) ? -1 : Decode(cursor), (int)(limit ?? DefaultLimit));
    }

    /// <summary>The page of <paramref name="ordered"/> (ascending by <paramref name="index"/>, each index unique) after the cursor.</summary>
    public Page<T> Take<T>(IEnumerable<T> ordered, Func<T, long> index)
    {
        long after = After;
        var items = new List<T>(Math.Min(Limit, 128));
        foreach (var item in ordered)
        {
            if (index(item) <= after) continue;
            if (items.Count == Limit) return new Page<T>(items, Encode(index(items[^1])));
            items.Add(item);
        }
        return new Page<T>(items, null);
    }

    private static string Encode(long index)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, index);
        return Base64Url.Encode(bytes);
    }

    private static long Decode(string cursor)
    {
        long i = cursor.Length == 11 && Base64Url.TryDecode(cursor, out var bytes) && bytes.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(bytes) : -1;
        return i >= 0 ? i : throw DomainError.Invalid("invalid_cursor", "the cursor is not one this server gave (pass next_cursor back unchanged)");
    }
}

/// <summary>One page of a list and the cursor of the next (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
