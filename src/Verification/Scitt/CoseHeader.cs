using System.Formats.Cbor;

namespace Attest.Verification.Scitt;

/// <summary>
/// A COSE header map (RFC 9052 §3): labels are integers or text strings, values any CBOR item. Each value is kept
/// encoded and read on demand by its label's rules, so an unknown parameter is carried, not interpreted.
/// </summary>
public sealed class CoseHeader
{
    // RFC 9052 §3.1, Table 2; RFC 9597 §2 (CWT claims in COSE headers); RFC 9942 §2 and §4.3 (receipts, verifiable data
    // structures and their proofs); draft-ietf-cose-hash-envelope §3 (the hash envelope's parameters).
    public const long Alg = 1, Crit = 2, ContentType = 3, Kid = 4, CwtClaims = 15,
        PayloadHashAlg = 258, PreimageContentType = 259, PayloadLocation = 260,
        Receipts = 394, VerifiableDataStructure = 395, VerifiableDataProofs = 396;

    /// <summary>The CWT claims a Signed Statement must carry in its header 15: RFC 8392 §3.1.1 iss, §3.1.2 sub.</summary>
    public const long IssClaim = 1, SubClaim = 2;

    private readonly Dictionary<long, byte[]> values;
    private readonly HashSet<string> textLabels;

    private CoseHeader(Dictionary<long, byte[]> values, HashSet<string> textLabels)
    {
        this.values = values;
        this.textLabels = textLabels;
    }

    public static CoseHeader Empty { get; } = new([], []);

    public bool IsEmpty => values.Count == 0 && textLabels.Count == 0;

    public IEnumerable<long> Labels => values.Keys;

    /// <summary>How many text-string labels the map has (read past, never interpreted here).</summary>
    public int TextLabelCount => textLabels.Count;

    public bool Has(long label) => values.ContainsKey(label);

    /// <summary>The encoded value at <paramref name="label"/>, or null.</summary>
    public byte[]? Encoded(long label) => values.GetValueOrDefault(label);

    /// <summary>The integer at <paramref name="label"/>, null when absent; a value of another type is a format error.</summary>
    public long? Int(long label, string name) => Guarded<long?>(name, () =>
    {
        if (Encoded(label) is not { } v) return null;
        var r = Reader(v);
        return r.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger ? r.ReadInt64() : throw new CoseFormatException($"{name} ({label}) is not an integer");
    });

    /// <summary>The byte string at <paramref name="label"/>, null when absent.</summary>
    public byte[]? Bytes(long label, string name) => Guarded(name, () =>
    {
        if (Encoded(label) is not { } v) return null;
        if (v[0] == 0x5F) throw new CoseFormatException($"{name} ({label}) is an indefinite-length byte string");
        var r = Reader(v);
        return r.PeekState() == CborReaderState.ByteString ? r.ReadByteString() : throw new CoseFormatException($"{name} ({label}) is not a byte string");
    });

    /// <summary>The text string at <paramref name="label"/>, null when absent.</summary>
    public string? Text(long label, string name) => Guarded(name, () =>
    {
        if (Encoded(label) is not { } v) return null;
        if (v[0] == 0x7F) throw new CoseFormatException($"{name} ({label}) is an indefinite-length text string");
        var r = Reader(v);
        return r.PeekState() == CborReaderState.TextString ? r.ReadTextString() : throw new CoseFormatException($"{name} ({label}) is not a text string");
    });

    /// <summary>The map at <paramref name="label"/> read as a header-like map (CWT claims, proofs), null when absent.</summary>
    public CoseHeader? Map(long label, string name) => Guarded(name, () =>
    {
        if (Encoded(label) is not { } v) return null;
        var r = Reader(v);
        if (r.PeekState() != CborReaderState.StartMap) throw new CoseFormatException($"{name} ({label}) is not a map");
        return Read(r, name, 64);
    });

    /// <summary>Reads one definite-length map with unique integer or text labels.</summary>
    public static CoseHeader Read(CborReader reader, string what, int maxEntries)
    {
        if (reader.PeekState() != CborReaderState.StartMap) throw new CoseFormatException($"{what} is not a map");
        int? count = reader.ReadStartMap();
        if (count is null) throw new CoseFormatException($"{what} is an indefinite-length map");
        if (count > maxEntries) throw new CoseFormatException($"{what} has {count} entries: at most {maxEntries}");
        var values = new Dictionary<long, byte[]>();
        var text = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            switch (reader.PeekState())
            {
                case CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
                    long label = reader.ReadInt64();
                    if (!values.TryAdd(label, reader.ReadEncodedValue().ToArray())) throw new CoseFormatException($"{what} has label {label} twice");
                    break;
                case CborReaderState.TextString:
                    string name = reader.ReadTextString();
                    reader.SkipValue();
                    if (!text.Add(name)) throw new CoseFormatException($"{what} has label \"{name}\" twice");
                    break;
                default:
                    throw new CoseFormatException($"{what} has a label that is neither an integer nor a text string", CoseFormatException.InvalidLabel);
            }
        }
        reader.ReadEndMap();
        return new CoseHeader(values, text);
    }

    /// <summary>RFC 9052 §3: a label MUST NOT occur in both the protected and the unprotected header.</summary>
    public static void RefuseOverlap(CoseHeader @protected, CoseHeader unprotected)
    {
        foreach (long label in @protected.values.Keys)
            if (unprotected.values.ContainsKey(label)) throw new CoseFormatException($"label {label} is in both the protected and the unprotected header");
        foreach (string label in @protected.textLabels)
            if (unprotected.textLabels.Contains(label)) throw new CoseFormatException($"label \"{label}\" is in both the protected and the unprotected header");
    }

    private static CborReader Reader(byte[] encoded) => new(encoded, CborConformanceMode.Strict);

    /// <summary>
    /// Runs a reader of untrusted CBOR so that whatever it meets (malformed CBOR, an integer out of range, an item of
    /// another type) comes out as the one documented <see cref="CoseFormatException"/>.
    /// </summary>
    internal static T Guarded<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or FormatException)
        {
            throw new CoseFormatException($"{what} is not well-formed: {e.Message}");
        }
    }
}
