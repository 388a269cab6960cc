using System.Formats.Cbor;

namespace Attest.Verification.Scitt;

/// <summary>
/// A Transparent Statement (RFC 9943, "Transparent Statements"; RFC 9942 §4.3): the Signed Statement with its receipts in
/// the unprotected header parameter 394, an array of bstr-wrapped receipts. Its statement as logged is the same
/// COSE_Sign1 with that header emptied.
/// </summary>
public static class TransparentStatement
{
    private const int MaxReceipts = 16;

    /// <summary>The statement with <paramref name="receipts"/> as its unprotected header <c>{394: [receipts]}</c>.</summary>
    public static byte[] Build(CoseSign1 statement, IEnumerable<byte[]> receipts)
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(1);
        w.WriteInt64(CoseHeader.Receipts);
        var list = receipts.ToList();
        w.WriteStartArray(list.Count);
        foreach (var r in list) w.WriteByteString(r);
        w.WriteEndArray();
        w.WriteEndMap();
        return statement.WithUnprotected(w.Encode());
    }

    /// <summary>
    /// The receipts of a transparent statement, each still encoded; throws <see cref="CoseFormatException"/> when 394 is
    /// missing or not an array of byte strings, or when the unprotected header holds anything else.
    /// </summary>
    public static IReadOnlyList<byte[]> Receipts(CoseSign1 message) => CoseHeader.Guarded<IReadOnlyList<byte[]>>("the receipts", () =>
    {
        var u = message.Unprotected;
        byte[] encoded = u.Encoded(CoseHeader.Receipts) ?? throw new CoseFormatException("no receipts: the unprotected header has no 394 (is this a signed statement, not yet transparent?)");
        // The statement as logged has an empty unprotected header: anything beside 394 would be covered by nothing.
        if (u.Labels.Any(l => l != CoseHeader.Receipts) || u.TextLabelCount > 0) throw new CoseFormatException("the unprotected header holds more than the receipts (394)");
        var r = new CborReader(encoded, CborConformanceMode.Strict);
        if (r.PeekState() != CborReaderState.StartArray || r.ReadStartArray() is not { } count) throw new CoseFormatException("the receipts (394) are not a definite-length array");
        if (count is 0 or > MaxReceipts) throw new CoseFormatException($"{count} receipts: 1 to {MaxReceipts}");
        var receipts = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            if (r.PeekState() != CborReaderState.ByteString) throw new CoseFormatException($"receipt {i} is not a byte string");
            receipts.Add(r.ReadByteString());
        }
        r.ReadEndArray();
        return receipts;
    });
}
