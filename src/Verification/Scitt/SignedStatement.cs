using System.Formats.Cbor;
using Attest.Merkle;

namespace Attest.Verification.Scitt;

/// <summary>
/// A SCITT Signed Statement (RFC 9943, "Signed Statements"): a COSE_Sign1 whose protected header has <c>alg</c> (1),
/// <c>kid</c> (4, bytes) and the CWT claims (15, RFC 9597) with <c>iss</c> (1) and <c>sub</c> (2), RFC 8392 §3.1.
/// A hash envelope (draft-ietf-cose-hash-envelope §3) carries the payload's hash: <c>payload_hash_alg</c> (258),
/// <c>preimage_content_type</c> (259), and no <c>content_type</c> (3).
/// </summary>
public sealed class SignedStatement
{
    /// <summary>SHA-256 in the COSE algorithms registry (RFC 9054 §2.1), the only hash envelope algorithm read here.</summary>
    public const long Sha256 = -16;

    /// <summary>
    /// The serialized protected header of a Signed Statement, in the deterministic order of RFC 8949 §4.2.1: alg,
    /// content type (unless a hash envelope), kid, CWT claims iss and sub (RFC 9597), and for a hash envelope
    /// (draft-ietf-cose-hash-envelope) the payload hash alg, the preimage content type and the payload location.
    /// </summary>
    public static byte[] ProtectedHeader(long alg, string kid, string iss, string sub, string? contentType = null, bool hashEnvelope = false, string? location = null)
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        int optional = (contentType is null ? 0 : 1) + (hashEnvelope ? 1 + (location is null ? 0 : 1) : 0);
        w.WriteStartMap(3 + optional);
        w.WriteInt64(CoseHeader.Alg);
        w.WriteInt64(alg);
        if (!hashEnvelope && contentType is not null)
        {
            w.WriteInt64(CoseHeader.ContentType);
            w.WriteTextString(contentType);
        }
        w.WriteInt64(CoseHeader.Kid);
        w.WriteByteString(System.Text.Encoding.UTF8.GetBytes(kid));
        w.WriteInt64(CoseHeader.CwtClaims);
        w.WriteStartMap(2);
        w.WriteInt64(CoseHeader.IssClaim);
        w.WriteTextString(iss);
        w.WriteInt64(CoseHeader.SubClaim);
        w.WriteTextString(sub);
        w.WriteEndMap();
        if (hashEnvelope)
        {
            w.WriteInt64(CoseHeader.PayloadHashAlg);
            w.WriteInt64(Sha256);
            if (contentType is not null)
            {
                w.WriteInt64(CoseHeader.PreimageContentType);
                w.WriteTextString(contentType);
            }
            if (location is not null)
            {
                w.WriteInt64(CoseHeader.PayloadLocation);
                w.WriteTextString(location);
            }
        }
        w.WriteEndMap();
        return w.Encode();
    }

    private SignedStatement(CoseSign1 message, long alg, byte[] kid, string issuer, string subject, string? contentType, long? payloadHashAlg, string? preimageContentType)
    {
        Message = message;
        Alg = alg;
        Kid = kid;
        Issuer = issuer;
        Subject = subject;
        ContentType = contentType;
        PayloadHashAlg = payloadHashAlg;
        PreimageContentType = preimageContentType;
    }

    public CoseSign1 Message { get; }

    public long Alg { get; }

    public byte[] Kid { get; }

    public string Issuer { get; }

    public string Subject { get; }

    public string? ContentType { get; }

    public long? PayloadHashAlg { get; }

    public string? PreimageContentType { get; }

    public bool IsHashEnvelope => PayloadHashAlg is not null;

    /// <summary>The statement as the log holds it: the COSE_Sign1 with an empty unprotected header.</summary>
    public byte[] LoggedBytes() => Message.WithEmptyUnprotected();

    /// <summary>Its RFC 9162 §2.1.1 leaf hash, SHA-256(0x00 || statement as logged): SCRAPI's entry id in lowercase hex.</summary>
    public Hash LeafHash() => Rfc6962.HashLeaf(LoggedBytes());

    /// <summary>Reads the statement's protected header; throws <see cref="CoseFormatException"/> when a required part is missing or malformed.</summary>
    public static SignedStatement Parse(CoseSign1 message) => CoseHeader.Guarded("the statement's header", () =>
    {
        var h = message.Protected;
        long alg = h.Int(CoseHeader.Alg, "alg") ?? throw new CoseFormatException("the protected header has no alg (1)");
        if (alg is not (CoseKey.ES256 or CoseKey.EdDSA)) throw new CoseFormatException($"alg {alg}: a statement is signed with ES256 (-7) or EdDSA (-8)");
        byte[] kid = h.Bytes(CoseHeader.Kid, "kid") ?? throw new CoseFormatException("the protected header has no kid (4)");
        // RFC 9052 §3.1: every label in crit must be understood; none of the parameters read here needs to be critical.
        if (h.Has(CoseHeader.Crit)) throw new CoseFormatException("the protected header lists critical parameters (crit, 2), which this verifier does not process");
        var claims = h.Map(CoseHeader.CwtClaims, "CWT claims") ?? throw new CoseFormatException("the protected header has no CWT claims (15)");
        string issuer = claims.Text(CoseHeader.IssClaim, "iss") ?? throw new CoseFormatException("the CWT claims have no iss (1)");
        string subject = claims.Text(CoseHeader.SubClaim, "sub") ?? throw new CoseFormatException("the CWT claims have no sub (2)");
        string? contentType = h.Has(CoseHeader.ContentType) ? ContentTypeOf(h.Encoded(CoseHeader.ContentType)!, "content type (3)") : null;
        long? hashAlg = h.Int(CoseHeader.PayloadHashAlg, "payload_hash_alg");
        string? preimage = h.Has(CoseHeader.PreimageContentType) ? ContentTypeOf(h.Encoded(CoseHeader.PreimageContentType)!, "preimage content type (259)") : null;
        if (hashAlg is null && preimage is not null) throw new CoseFormatException("a preimage content type (259) without payload_hash_alg (258)");
        if (hashAlg is not null)
        {
            if (contentType is not null) throw new CoseFormatException("a hash envelope has no content type (3): its preimage's goes in 259");
            if (hashAlg != Sha256) throw new CoseFormatException($"payload_hash_alg {hashAlg}: only SHA-256 (-16) is read here");
            if (message.Payload is not { Length: 32 }) throw new CoseFormatException("a SHA-256 hash envelope's payload is the 32-byte hash");
        }
        return new SignedStatement(message, alg, kid, issuer, subject, contentType, hashAlg, preimage);
    });

    /// <summary>Checks the issuer's signature with <paramref name="key"/> (which must be of the statement's alg).</summary>
    public bool VerifySignature(CoseKey key) => key.Alg == Alg && key.Verify(Message.ToBeSigned(), Message.Signature);

    // RFC 9052 §3.1: a content type is a text string (a media type) or an unsigned CoAP Content-Format number.
    private static string ContentTypeOf(byte[] encoded, string name)
    {
        var r = new CborReader(encoded, CborConformanceMode.Strict);
        return r.PeekState() switch
        {
            CborReaderState.TextString => r.ReadTextString(),
            CborReaderState.UnsignedInteger => "coap-content-format " + r.ReadUInt64(),
            _ => throw new CoseFormatException($"the {name} is neither a text string nor an unsigned integer"),
        };
    }
}
