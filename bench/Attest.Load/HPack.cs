using System.Buffers;
using System.Text;

namespace Attest.Load;

/// <summary>A header block the lean client cannot or will not decode (RFC 7541 §2.3, §5, §6).</summary>
public sealed class HPackException(string message) : Exception(message);

/// <summary>
/// HPACK (RFC 7541) as far as a gRPC client needs it: a decoder with the static table (Appendix A) and a dynamic table
/// (§2.3.2, §4), and the encoder's two primitives, integers (§5.1) and raw string literals (§5.2). Literals are
/// decoded only when not Huffman-coded: .NET's encoder (Kestrel) never Huffman-codes, and a block that is
/// Huffman-coded fails with <see cref="HPackException"/>, so the load tool reports it instead of misreading it.
/// </summary>
public sealed class HPackDecoder(int maxTableSize = 4096)
{
    private readonly int announced = maxTableSize;
    private static readonly (byte[] Name, byte[] Value)[] Static = [.. new (string, string)[]
    {
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""), ("etag", ""),
        ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""), ("if-modified-since", ""),
        ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""),
        ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""),
        ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""), ("set-cookie", ""),
        ("strict-transport-security", ""), ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""),
        ("www-authenticate", ""),
    }.Select(e => (Encoding.ASCII.GetBytes(e.Item1), Encoding.ASCII.GetBytes(e.Item2)))];

    // Oldest first: dynamic index 1 (absolute index 62) is the last element.
    private readonly List<(byte[] Name, byte[] Value)> dynamic = [];
    private int size, limit = maxTableSize;

    /// <summary>The dynamic table's size as §4.1 counts it (name + value + 32 per entry).</summary>
    public int TableSize => size;

    /// <summary>Decodes one complete header block (§3.1), calling <paramref name="onField"/> for each field in order.</summary>
    public void Decode(ReadOnlySpan<byte> block, Action<ReadOnlySpan<byte>, ReadOnlySpan<byte>> onField)
    {
        bool fieldSeen = false;
        while (block.Length > 0)
        {
            byte b = block[0];
            if ((b & 0x80) != 0)
            {
                // §6.1 indexed field.
                var (name, value) = Entry(Integer(ref block, 7));
                onField(name, value);
                fieldSeen = true;
            }
            else if ((b & 0xE0) == 0x20)
            {
                // §6.3 dynamic table size update: only at the start of a block, and within what we announced.
                if (fieldSeen) throw new HPackException("dynamic table size update after a header field");
                int newLimit = Integer(ref block, 5);
                if (newLimit > announced) throw new HPackException($"dynamic table size update to {newLimit}, above the {announced} announced");
                limit = newLimit;
                Evict(0);
            }
            else
            {
                // §6.2: with incremental indexing (01), without (0000) or never indexed (0001).
                bool index = (b & 0xC0) == 0x40;
                int nameIndex = Integer(ref block, index ? 6 : 4);
                var name = nameIndex == 0 ? String(ref block) : Entry(nameIndex).Name;
                var value = String(ref block);
                onField(name, value);
                fieldSeen = true;
                if (index) Add(name.ToArray(), value.ToArray());
            }
        }
    }

    private (byte[] Name, byte[] Value) Entry(int index) =>
        index <= 0 ? throw new HPackException("header index 0")
        : index <= Static.Length ? Static[index - 1]
        : index - Static.Length <= dynamic.Count ? dynamic[dynamic.Count - (index - Static.Length)]
        : throw new HPackException($"header index {index} beyond the dynamic table's {dynamic.Count} entries");

    /// <summary>§4.4: an entry larger than the whole table empties it and is not added.</summary>
    private void Add(byte[] name, byte[] value)
    {
        int entrySize = name.Length + value.Length + 32;
        Evict(entrySize);
        if (entrySize > limit) return;
        dynamic.Add((name, value));
        size += entrySize;
    }

    /// <summary>Evicts oldest entries until <paramref name="room"/> more bytes fit under the limit (§4.3, §4.4).</summary>
    private void Evict(int room)
    {
        int drop = 0;
        while (drop < dynamic.Count && size + room > limit)
        {
            size -= dynamic[drop].Name.Length + dynamic[drop].Value.Length + 32;
            drop++;
        }
        dynamic.RemoveRange(0, drop);
    }

    /// <summary>§5.1, with an N-bit prefix; values past 2^28 are refused rather than overflowing.</summary>
    public static int Integer(ref ReadOnlySpan<byte> input, int prefixBits)
    {
        if (input.Length == 0) throw new HPackException("header block ends inside an integer");
        int max = (1 << prefixBits) - 1;
        int value = input[0] & max;
        input = input[1..];
        if (value < max) return value;
        for (int shift = 0; ; shift += 7)
        {
            if (input.Length == 0) throw new HPackException("header block ends inside an integer");
            if (shift > 21) throw new HPackException("integer too large");
            byte b = input[0];
            input = input[1..];
            value += (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
    }

    /// <summary>§5.2 string literal, raw only.</summary>
    private static ReadOnlySpan<byte> String(ref ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) throw new HPackException("header block ends before a string");
        bool huffman = (input[0] & 0x80) != 0;
        int length = Integer(ref input, 7);
        if (huffman) throw new HPackException("Huffman-coded string (this client decodes raw literals only)");
        if (length > input.Length) throw new HPackException("string runs past the end of the header block");
        var s = input[..length];
        input = input[length..];
        return s;
    }

    /// <summary>Writes <paramref name="value"/> with an N-bit prefix whose high bits are <paramref name="flags"/> (§5.1).</summary>
    public static void WriteInteger(IBufferWriter<byte> output, int value, int prefixBits, byte flags)
    {
        int max = (1 << prefixBits) - 1;
        var span = output.GetSpan(6);
        int n = 0;
        if (value < max)
        {
            span[n++] = (byte)(flags | value);
        }
        else
        {
            span[n++] = (byte)(flags | max);
            for (value -= max; value >= 0x80; value >>= 7) span[n++] = (byte)(value & 0x7F | 0x80);
            span[n++] = (byte)value;
        }
        output.Advance(n);
    }

    /// <summary>A raw (not Huffman-coded) string literal (§5.2).</summary>
    public static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteInteger(output, value.Length, 7, 0);
        output.Write(value);
    }

    /// <summary>A literal field without indexing (§6.2.2): by static name index, or with a literal name when it is 0.</summary>
    public static void WriteLiteral(IBufferWriter<byte> output, int staticNameIndex, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        WriteInteger(output, staticNameIndex, 4, 0);
        if (staticNameIndex == 0) WriteString(output, name);
        WriteString(output, value);
    }
}
