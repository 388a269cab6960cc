using System.Formats.Cbor;
using System.Text;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Scitt;

/// <summary>
/// A SCITT Signed Statement (RFC 9943 §6): a tagged COSE_Sign1 (RFC 9052 §4.2), parsed strictly from untrusted
/// bytes. What this service reads of it: the protected header's <c>alg</c> (label 1: -7 ES256 or -8 EdDSA, RFC 9053
/// §2.1, §2.2), <c>kid</c> (4, a byte string: the UTF-8 of a registered kid) and CWT claims (15, RFC 9597 §2) with
/// <c>iss</c> (1) and <c>sub</c> (2) as text (RFC 8392 §3.1.1, §3.1.2); the payload, attached; the signature. The
/// unprotected header must be empty: the log holds the statement byte for byte, and the signature does not cover that
/// header (see <see cref="Parse"/>).
/// </summary>
public sealed class SignedStatement
{
    /// <summary>The COSE_Sign1 tag (RFC 9052 §2): the one-byte head 0xD2, the first byte of every statement entry.</summary>
    public const CborTag Sign1Tag = (CborTag)18;

    public const int Es256 = (int)CoseKey.ES256, EdDsa = (int)CoseKey.EdDSA;

    // The header labels' one home is CoseHeader (RFC 9052 §3.1, RFC 9597 §2, draft-ietf-cose-hash-envelope §4).
    private const long AlgLabel = CoseHeader.Alg, CritLabel = CoseHeader.Crit, ContentTypeLabel = CoseHeader.ContentType,
        KidLabel = CoseHeader.Kid, CwtClaimsLabel = CoseHeader.CwtClaims, PayloadHashAlgLabel = CoseHeader.PayloadHashAlg,
        PreimageContentTypeLabel = CoseHeader.PreimageContentType, PayloadLocationLabel = CoseHeader.PayloadLocation;
    private const long IssClaim = CoseHeader.IssClaim, SubClaim = CoseHeader.SubClaim;

    private SignedStatement(ReadOnlyMemory<byte> bytes, ReadOnlyMemory<byte> protectedHeader, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> signature,
        int alg, string kid, string issuer, string subject)
    {
        Bytes = bytes;
        ProtectedHeader = protectedHeader;
        Payload = payload;
        Signature = signature;
        Alg = alg;
        Kid = kid;
        Issuer = issuer;
        Subject = subject;
    }

    /// <summary>The whole statement as received: the log entry.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The protected header's serialized map (the contents of its byte string), as signed.</summary>
    public ReadOnlyMemory<byte> ProtectedHeader { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary><see cref="Es256"/> or <see cref="EdDsa"/>.</summary>
    public int Alg { get; }

    public string Kid { get; }

    /// <summary>The CWT <c>iss</c>: the id of the issuer that makes the statement.</summary>
    public string Issuer { get; }

    /// <summary>The CWT <c>sub</c>: what the statement is about (RFC 9943 §6).</summary>
    public string Subject { get; }

    /// <summary>
    /// Parses <paramref name="bytes"/> under CBOR's strict mode (RFC 8949 §5.4 and §5.6: well-formed, valid UTF-8, no
    /// duplicate map keys), with no indefinite lengths in the parts read and nothing after the statement. A non-empty
    /// unprotected header is refused rather than emptied: the log would then hold other bytes than the issuer sent,
    /// and the entry id the issuer computes from its own bytes would not find them.
    /// </summary>
    /// <exception cref="StatementFormatException">The bytes are not a Signed Statement this service takes; its code says why.</exception>
    public static SignedStatement Parse(ReadOnlyMemory<byte> bytes)
    {
        // The tag's one-byte head (RFC 8949 §3.4): a longer encoding of 18 is not the entry kind docs/ENTRIES.md names.
        if (bytes.Length == 0 || bytes.Span[0] != 0xD2) throw Malformed("a Signed Statement is a COSE_Sign1 with CBOR tag 18 (RFC 9052 §4.2): its first byte is 0xD2");
        CoseSign1 message;
        try
        {
            message = CoseSign1.Decode(bytes.Span);
        }
        catch (CoseFormatException e)
        {
            throw new StatementFormatException(e.Code == CoseFormatException.InvalidProtectedHeader ? e.Code : "not_cose_sign1", e.Message);
        }
        if (message.ProtectedBytes.Length == 0) throw new StatementFormatException("invalid_protected_header", "the protected header is empty; it must hold alg, kid and the CWT claims");
        if (!message.Unprotected.IsEmpty)
            throw new StatementFormatException("unprotected_header_not_empty",
                "the unprotected header must be empty: the log holds the statement byte for byte, and the signature does not cover that header");
        if (message.Payload is not { } payload)
            throw new StatementFormatException("detached_payload", "the payload is detached (nil); register it attached, so the log holds what was signed (RFC 9052 §4.1), or as a hash envelope");
        // The envelope is not signed, only the protected header and the payload are: its one encoding taken is the
        // preferred serialization (RFC 8949 §4.1), else each other encoding of its array and byte-string heads would be
        // one more entry, with its own entry id, of the same signed statement.
        if (!bytes.Span.SequenceEqual(CoseSign1.Encode(message.ProtectedBytes, [0xA0], payload, detached: false, message.Signature)))
            throw Malformed("the COSE_Sign1's heads are not in CBOR's preferred serialization (RFC 8949 §4.1): each length in its shortest form");
        try
        {
            if (!WithinDepth(message.ProtectedBytes))
                throw new StatementFormatException("invalid_protected_header", $"the protected header nests arrays, maps or tags more than {MaxDepth} deep");
            var (alg, kid, iss, sub) = ReadProtected(message.Protected);
            return new SignedStatement(bytes, message.ProtectedBytes, payload, message.Signature, alg, kid, iss, sub);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or FormatException and not StatementFormatException)
        {
            throw Malformed($"not well-formed CBOR as RFC 8949 §5.4 requires: {e.Message}");
        }
    }

    /// <summary>
    /// The bytes the signature is over: <c>Sig_structure = ["Signature1", body_protected, external_aad, payload]</c>
    /// (RFC 9052 §4.4), with empty external_aad.
    /// </summary>
    public byte[] ToBeSigned() => CoseSign1.SigStructure(ProtectedHeader.Span, Payload.Span);

    /// <summary>
    /// The policy's reading of the protected header that <see cref="CoseSign1.Decode"/> parsed (one map, unique
    /// labels): each value read under its label's rules, each refusal with the code the registration API answers.
    /// </summary>
    private static (int Alg, string Kid, string Issuer, string Subject) ReadProtected(CoseHeader header)
    {
        int? alg = null;
        string? kid = null, iss = null, sub = null;
        bool claims = false, hashEnvelope = false, contentType = false;
        List<long>? critical = null;
        // Text labels are allowed (RFC 9052 §3) but none is one this service reads.
        foreach (long label in header.Labels)
        {
            var r = new CborReader(header.Encoded(label), CborConformanceMode.Strict);
            switch (label)
            {
                case AlgLabel:
                    if (r.PeekState() is not (CborReaderState.NegativeInteger or CborReaderState.UnsignedInteger))
                        throw new StatementFormatException("unsupported_alg", "alg must be the integer -7 (ES256) or -8 (EdDSA)");
                    long a = r.ReadInt64();
                    alg = a is Es256 or EdDsa ? (int)a : throw new StatementFormatException("unsupported_alg", $"alg {a} is not -7 (ES256) or -8 (EdDSA)");
                    break;
                case KidLabel:
                    if (r.PeekState() != CborReaderState.ByteString) throw new StatementFormatException("unknown_kid", "kid (label 4) must be a byte string: the UTF-8 of a registered kid");
                    kid = Utf8(DefiniteBytes(r, "the kid").Span) ?? throw new StatementFormatException("unknown_kid", "kid is not the UTF-8 of any registered kid");
                    break;
                case CwtClaimsLabel:
                    (iss, sub) = ReadClaims(r);
                    claims = true;
                    break;
                case ContentTypeLabel or PreimageContentTypeLabel:
                    // RFC 9052 §3.1: a text media type or a CoAP content-format number.
                    if (r.PeekState() == CborReaderState.UnsignedInteger) r.ReadUInt32();
                    else Text(r, "a content type");
                    contentType |= label == ContentTypeLabel;
                    break;
                case PayloadHashAlgLabel:
                    r.ReadInt32();
                    hashEnvelope = true;
                    break;
                case PayloadLocationLabel:
                    Text(r, "the payload location");
                    break;
                case CritLabel:
                    critical = ReadCritical(r);
                    break;
                case CoseHeader.Receipts:
                    // The service writes receipts into the unprotected header of the Transparent Statement; a label may
                    // not be in both headers (RFC 9052 §3), so that statement would be malformed to every verifier.
                    throw new StatementFormatException("invalid_protected_header", "receipts (394) go in a Transparent Statement's unprotected header (RFC 9942 §4.3), not in the protected header");
            }
        }
        // draft-ietf-cose-hash-envelope §4: the preimage's type is 259; content type (3) would describe the hash.
        if (hashEnvelope && contentType) throw new StatementFormatException("invalid_protected_header", "a hash envelope (label 258) carries its preimage's content type in label 259, not content type (3)");
        // RFC 9052 §3.1: a recipient that does not understand a critical label must refuse the message.
        foreach (long c in critical ?? [])
            if (c is not (AlgLabel or ContentTypeLabel or KidLabel or CwtClaimsLabel or PayloadHashAlgLabel or PreimageContentTypeLabel or PayloadLocationLabel))
                throw new StatementFormatException("invalid_protected_header", $"the critical header label {c} is not one this service understands");
        if (alg is not { } algorithm) throw new StatementFormatException("unsupported_alg", "the protected header has no alg (label 1)");
        if (kid is null) throw new StatementFormatException("missing_kid", "the protected header has no kid (label 4)");
        if (!claims) throw new StatementFormatException("missing_cwt_claims", "the protected header has no CWT claims (label 15, RFC 9597)");
        if (iss is null) throw new StatementFormatException("missing_issuer", "the CWT claims have no iss (1): the issuer's id");
        if (sub is null) throw new StatementFormatException("missing_subject", "the CWT claims have no sub (2): what the statement is about (RFC 9943)");
        return (algorithm, kid, iss, sub);
    }

    private static (string? Iss, string? Sub) ReadClaims(CborReader r)
    {
        if (r.PeekState() != CborReaderState.StartMap) throw new StatementFormatException("missing_cwt_claims", "the CWT claims (label 15) must be a map (RFC 9597 §2)");
        string? iss = null, sub = null;
        int count = MapCount(r, "the CWT claims");
        for (int i = 0; i < count; i++)
        {
            if (r.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger)
            {
                long key = r.ReadInt64();
                if (key == IssClaim) iss = Text(r, "iss");
                else if (key == SubClaim) sub = Text(r, "sub");
                else r.SkipValue();
            }
            else
            {
                r.SkipValue();
                r.SkipValue();
            }
        }
        r.ReadEndMap();
        return (iss, sub);
    }

    private static List<long> ReadCritical(CborReader r)
    {
        if (r.ReadStartArray() is not { } n || n == 0) throw new StatementFormatException("invalid_protected_header", "crit (label 2) is a non-empty array of labels (RFC 9052 §3.1)");
        var labels = new List<long>(Math.Min(n, 16));
        for (int i = 0; i < n; i++)
        {
            if (r.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger) labels.Add(r.ReadInt64());
            else throw new StatementFormatException("invalid_protected_header", "crit names a label this service does not understand");
        }
        r.ReadEndArray();
        return labels;
    }

    /// <summary>
    /// How deep the protected header may nest (its map is level 1, the CWT claims level 2). Labels this service does not
    /// read are logged as sent, and every reader of the log decodes them: CBOR decoders recurse (python's cbor2 fails at
    /// a few thousand levels, where a 64 KB statement could reach 65,000), so one statement could stop a monitor reading
    /// the whole log.
    /// </summary>
    public const int MaxDepth = 16;

    private static bool WithinDepth(byte[] protectedHeader)
    {
        var r = new CborReader(protectedHeader, CborConformanceMode.Lax);
        return Walk(r, 1);

        // Recursion bounded by MaxDepth; the bytes are already known to be well-formed CBOR of definite lengths.
        static bool Walk(CborReader r, int depth)
        {
            switch (r.PeekState())
            {
                case CborReaderState.StartArray or CborReaderState.StartMap or CborReaderState.Tag when depth > MaxDepth:
                    return false;
                case CborReaderState.StartArray:
                    r.ReadStartArray();
                    while (r.PeekState() != CborReaderState.EndArray) if (!Walk(r, depth + 1)) return false;
                    r.ReadEndArray();
                    return true;
                case CborReaderState.StartMap:
                    r.ReadStartMap();
                    while (r.PeekState() != CborReaderState.EndMap) if (!Walk(r, depth + 1)) return false;
                    r.ReadEndMap();
                    return true;
                case CborReaderState.Tag:
                    r.ReadTag();
                    return Walk(r, depth + 1);
                default:
                    r.SkipValue();
                    return true;
            }
        }
    }

    private static int MapCount(CborReader r, string what) =>
        r.ReadStartMap() ?? throw Malformed($"{what} is a map of indefinite length; this service takes definite lengths only");

    private static ReadOnlyMemory<byte> DefiniteBytes(CborReader r, string what)
    {
        if (r.PeekState() != CborReaderState.ByteString) throw Malformed($"{what} must be a byte string of definite length");
        return r.ReadDefiniteLengthByteString();
    }

    private static string Text(CborReader r, string what)
    {
        if (r.PeekState() != CborReaderState.TextString) throw new StatementFormatException("invalid_protected_header", $"{what} must be a text string of definite length");
        return r.ReadTextString();
    }

    private static string? Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static StatementFormatException Malformed(string message) => new("not_cose_sign1", message);
}

/// <summary>The one exception <see cref="SignedStatement.Parse"/> throws: a snake_case <see cref="Code"/> and what is wrong.</summary>
public sealed class StatementFormatException(string code, string message) : FormatException(message)
{
    public string Code { get; } = code;
}
