using System.Runtime.InteropServices;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Entries;

/// <summary>
/// Strict reads of one entry object: its <c>type</c> is the expected one, each required member is present with its
/// JSON kind, an optional one is absent or of its kind, ids and hashes are in the one form this server writes
/// (lowercase), and <see cref="End"/> refuses any member left unread. An entry thus parses only if it is one this
/// server could have written, and encoding the record gives its bytes back.
/// </summary>
/// <remarks>A mutable struct, used as a local: it counts the members read.</remarks>
internal struct EntryFields
{
    private readonly JsonElement entry;
    private readonly string type;
    private int read;

    public EntryFields(JsonElement entry, string type)
    {
        this.entry = entry;
        this.type = type;
        if (entry.ValueKind != JsonValueKind.Object) throw new EntryFormatException($"a {type} entry is a JSON object");
        if (!entry.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || !t.ValueEquals(type))
            throw new EntryFormatException($"the entry's \"type\" is not \"{type}\"");
        read = 1;
    }

    public string String(string name) => OptionalString(name) ?? throw Missing(name);

    public string? OptionalString(string name) => Member(name, JsonValueKind.String, "a string") is { } v ? v.GetString()! : null;

    public long Long(string name) => OptionalLong(name) ?? throw Missing(name);

    public long? OptionalLong(string name)
    {
        if (Member(name, JsonValueKind.Number, "an integer") is not { } v) return null;
        return v.TryGetInt64(out long n) ? n : throw Mistyped(name, "an integer");
    }

    /// <summary>A UUID in the form <see cref="System.Guid.ToString()"/> writes (8-4-4-4-12 lowercase hex).</summary>
    public Guid Guid(string name) => OptionalGuid(name) ?? throw Missing(name);

    public Guid? OptionalGuid(string name)
    {
        if (Member(name, JsonValueKind.String, "a UUID") is not { } v) return null;
        Span<byte> canonical = stackalloc byte[36];
        if (!v.TryGetGuid(out var id) || !id.TryFormat(canonical, out int n, "D") || n != 36 || !v.ValueEquals(canonical))
            throw Mistyped(name, "a lowercase UUID");
        return id;
    }

    /// <summary>A SHA-256 as 64 lowercase hex digits.</summary>
    public Hash HexHash(string name)
    {
        var v = Member(name, JsonValueKind.String, "64 lowercase hex digits") ?? throw Missing(name);
        // Read in place, as no string: the indexer reads one of these per entry, and hex digits have no escapes to undo.
        var raw = JsonMarshal.GetRawUtf8Value(v);
        if (raw.Length > 0 && raw[0] == (byte)'"') raw = raw[1..^1];
        Span<byte> hash = stackalloc byte[Hash.Size];
        if (raw.Length != 2 * Hash.Size) throw Mistyped(name, "64 lowercase hex digits");
        for (int i = 0; i < Hash.Size; i++)
        {
            int high = LowerHexDigit(raw[2 * i]), low = LowerHexDigit(raw[2 * i + 1]);
            if ((high | low) < 0) throw Mistyped(name, "64 lowercase hex digits");
            hash[i] = (byte)(high << 4 | low);
        }
        return new Hash(hash);
    }

    private static int LowerHexDigit(byte c) => c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'a' and <= (byte)'f' ? c - 'a' + 10 : -1;

    /// <summary>Refuses members not read: a member docs/ENTRIES.md does not define for the type, or one given twice.</summary>
    public readonly void End()
    {
        int members = 0;
        foreach (var _ in entry.EnumerateObject()) members++;
        if (members != read) throw new EntryFormatException($"the {type} entry has members docs/ENTRIES.md does not define for it");
    }

    private JsonElement? Member(string name, JsonValueKind kind, string what)
    {
        if (!entry.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind != kind) throw Mistyped(name, what);
        read++;
        return v;
    }

    private readonly EntryFormatException Missing(string name) => new($"the {type} entry has no \"{name}\"");

    private readonly EntryFormatException Mistyped(string name, string what) => new($"the {type} entry's \"{name}\" is not {what}");
}
