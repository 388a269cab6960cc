using System.Formats.Cbor;
using System.Text;
using Attest.Verification.Scitt;

namespace Attest.Verification;

/// <summary>
/// What a log entry that is a SCITT Signed Statement says of itself, read for display and never trusted: the
/// protected header's <c>alg</c>, <c>kid</c> and CWT claims <c>iss</c> and <c>sub</c>, and the sizes of its parts.
/// Nothing here verifies the signature (the log verified it when it registered the statement, against a key this
/// reader does not know); a relying party that needs more verifies the statement or its receipt.
/// </summary>
/// <remarks>
/// Parsed by <see cref="CoseSign1.Decode"/>, the one strict COSE_Sign1 parser (no duplicate labels, definite lengths,
/// nothing after the array or inside the protected header's byte string), so that two readers cannot see two
/// different headers in one entry; the labels are <see cref="CoseHeader"/>'s.
/// </remarks>
public sealed record StatementHeader(
    long? Alg, byte[]? Kid, string? Iss, string? Sub, string? ContentType, int UnprotectedCount, int? PayloadLength, int SignatureLength)
{
    /// <summary>CBOR tag 18, COSE_Sign1 (RFC 9052 §4.2); as the entry's first byte, 0xD2.</summary>
    public const byte Tag18 = 0xD2;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Whether the entry is of the statement kind at all (docs/ENTRIES.md "Entry kinds"): its first byte is 0xD2.</summary>
    public static bool IsStatement(ReadOnlySpan<byte> entry) => !entry.IsEmpty && entry[0] == Tag18;

    /// <summary>The kid as text when it is printable UTF-8 (as this server's kids are), else as lowercase hex.</summary>
    public string? KidText => Kid is null ? null : Printable(Kid) ?? Convert.ToHexStringLower(Kid);

    /// <summary>The algorithm's name for the two a SCITT statement here may use (RFC 9053 §2.1: -7 ES256; RFC 9864: -8 EdDSA), else its number.</summary>
    public string? AlgName => Alg switch { null => null, CoseKey.ES256 => "ES256", CoseKey.EdDSA => "EdDSA", { } n => n.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>Reads <paramref name="entry"/> as a tagged COSE_Sign1; false with <paramref name="problem"/> when it is not one.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> entry, out StatementHeader? header, out string problem)
    {
        header = null;
        try
        {
            var message = CoseSign1.Decode(entry.Span);
            var h = message.Protected;
            var claims = h.Map(CoseHeader.CwtClaims, "CWT claims");
            header = new StatementHeader(h.Int(CoseHeader.Alg, "alg"), h.Bytes(CoseHeader.Kid, "kid"),
                claims?.Text(CoseHeader.IssClaim, "iss"), claims?.Text(CoseHeader.SubClaim, "sub"), ContentTypeOf(h),
                message.Unprotected.Labels.Count() + message.Unprotected.TextLabelCount, message.Payload?.Length, message.Signature.Length);
            problem = "";
            return true;
        }
        catch (CoseFormatException e)
        {
            problem = "not a COSE_Sign1 Signed Statement: " + e.Message;
            return false;
        }
    }

    // RFC 9052 §3.1: a content type is a text string (a media type) or an unsigned CoAP Content-Format number.
    private static string? ContentTypeOf(CoseHeader h) => CoseHeader.Guarded("content type (3)", () =>
    {
        if (h.Encoded(CoseHeader.ContentType) is not { } encoded) return null;
        var r = new CborReader(encoded, CborConformanceMode.Strict);
        return r.PeekState() == CborReaderState.TextString ? r.ReadTextString() : r.ReadUInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

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
}
