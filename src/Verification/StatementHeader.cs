using System.Formats.Cbor;
using System.Text;

namespace Attest.Verification;

/// <summary>
/// What a log entry that is a SCITT Signed Statement says of itself, read for display and never trusted: the
/// protected header's <c>alg</c>, <c>kid</c> and CWT claims <c>iss</c> and <c>sub</c>, and the sizes of its parts.
/// Nothing here verifies the signature (the log verified it when it registered the statement, against a key this
/// reader does not know); a relying party that needs more verifies the statement or its receipt.
/// </summary>
/// <remarks>
/// The entry is a tagged COSE_Sign1 (RFC 9052 §4.2): tag 18, then <c>[protected: bstr .cbor header_map,
/// unprotected: header_map, payload: bstr / nil, signature: bstr]</c>. Header labels: <c>alg</c> 1 (an integer,
/// RFC 9052 §3.1), <c>content type</c> 3, <c>kid</c> 4 (a byte string); CWT claims 15 (RFC 9597 §2) is a map in which
/// <c>iss</c> is 1 and <c>sub</c> 2 (RFC 8392 §3.1), text strings. Parsing is strict CBOR (no duplicate map keys,
/// valid UTF-8, no trailing bytes after the array or inside the protected header's byte string) so that two readers
/// cannot see two different headers in one entry.
/// </remarks>
public sealed record StatementHeader(
    long? Alg, byte[]? Kid, string? Iss, string? Sub, string? ContentType, int UnprotectedCount, int? PayloadLength, int SignatureLength)
{
    /// <summary>CBOR tag 18, COSE_Sign1 (RFC 9052 §4.2); as the entry's first byte, 0xD2.</summary>
    public const byte Tag18 = 0xD2;

    /// <summary>Header labels of RFC 9052 §3.1 and RFC 9597 §2; claim keys of RFC 8392 §3.1.</summary>
    private const CborTag CoseSign1 = (CborTag)18;

    private const int AlgLabel = 1, ContentTypeLabel = 3, KidLabel = 4, CwtClaimsLabel = 15, IssClaim = 1, SubClaim = 2;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Whether the entry is of the statement kind at all (docs/ENTRIES.md "Entry kinds"): its first byte is 0xD2.</summary>
    public static bool IsStatement(ReadOnlySpan<byte> entry) => !entry.IsEmpty && entry[0] == Tag18;

    /// <summary>The kid as text when it is printable UTF-8 (as this server's kids are), else as lowercase hex.</summary>
    public string? KidText => Kid is null ? null : Printable(Kid) ?? Convert.ToHexStringLower(Kid);

    /// <summary>The algorithm's name for the two a SCITT statement here may use (RFC 9053 §2.1: -7 ES256; RFC 9864: -8 EdDSA), else its number.</summary>
    public string? AlgName => Alg switch { null => null, -7 => "ES256", -8 => "EdDSA", { } n => n.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>Reads <paramref name="entry"/> as a tagged COSE_Sign1; false with <paramref name="problem"/> when it is not one.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> entry, out StatementHeader? header, out string problem)
    {
        header = null;
        try
        {
            var reader = new CborReader(entry, CborConformanceMode.Strict);
            if (reader.PeekState() != CborReaderState.Tag || reader.ReadTag() != CoseSign1) return Fail("it does not begin with CBOR tag 18 (COSE_Sign1)", out problem);
            if (reader.ReadStartArray() != 4) return Fail("COSE_Sign1 is not an array of 4", out problem);
            var protectedBytes = reader.ReadByteString();
            long? alg = null;
            byte[]? kid = null;
            string? iss = null, sub = null, contentType = null;
            if (protectedBytes.Length > 0)
            {
                var p = new CborReader(protectedBytes, CborConformanceMode.Strict);
                int? count = p.ReadStartMap();
                for (int i = 0; count is null ? p.PeekState() != CborReaderState.EndMap : i < count; i++)
                {
                    if (p.PeekState() is not (CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger))
                    {
                        p.SkipValue();
                        p.SkipValue();
                        continue;
                    }
                    switch (p.ReadInt64())
                    {
                        case AlgLabel:
                            alg = p.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger ? p.ReadInt64() : throw new FormatException("alg is not an integer");
                            break;
                        case KidLabel:
                            kid = p.ReadByteString();
                            break;
                        case ContentTypeLabel:
                            if (p.PeekState() == CborReaderState.TextString) contentType = p.ReadTextString();
                            else contentType = p.ReadUInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
                            break;
                        case CwtClaimsLabel:
                            (iss, sub) = ReadClaims(p);
                            break;
                        default:
                            p.SkipValue();
                            break;
                    }
                }
                p.ReadEndMap();
                if (p.BytesRemaining != 0) throw new FormatException("the protected header has bytes after its map");
            }
            int? unprotected = reader.ReadStartMap();
            int unprotectedCount = 0;
            for (; unprotected is null ? reader.PeekState() != CborReaderState.EndMap : unprotectedCount < unprotected; unprotectedCount++)
            {
                reader.SkipValue();
                reader.SkipValue();
            }
            reader.ReadEndMap();
            int? payload = null;
            if (reader.PeekState() == CborReaderState.Null) reader.ReadNull();
            else payload = reader.ReadByteString().Length;
            int signature = reader.ReadByteString().Length;
            reader.ReadEndArray();
            if (reader.BytesRemaining != 0) return Fail("bytes follow the COSE_Sign1", out problem);
            header = new StatementHeader(alg, kid, iss, sub, contentType, unprotectedCount, payload, signature);
            problem = "";
            return true;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException or DecoderFallbackException)
        {
            return Fail(e.Message, out problem);
        }
    }

    /// <summary>The <c>iss</c> and <c>sub</c> of a CWT claims map (RFC 8392 §3.1), other claims skipped.</summary>
    private static (string? Iss, string? Sub) ReadClaims(CborReader p)
    {
        string? iss = null, sub = null;
        int? count = p.ReadStartMap();
        for (int i = 0; count is null ? p.PeekState() != CborReaderState.EndMap : i < count; i++)
        {
            if (p.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger)
            {
                long key = p.ReadInt64();
                if (key == IssClaim) iss = p.ReadTextString();
                else if (key == SubClaim) sub = p.ReadTextString();
                else p.SkipValue();
            }
            else
            {
                p.SkipValue();
                p.SkipValue();
            }
        }
        p.ReadEndMap();
        return (iss, sub);
    }

    private static string? Printable(byte[] bytes)
    {
        try
        {
            string text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text.All(c => !char.IsControl(c)) ? text : null;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static bool Fail(string why, out string problem)
    {
        problem = "not a COSE_Sign1 Signed Statement: " + why;
        return false;
    }
}
