using System.Formats.Cbor;

namespace Attest.Verification.Scitt;

/// <summary>
/// Bytes that are not the COSE structure they claim to be; the message says what is wrong. <see cref="Code"/> is
/// <see cref="InvalidProtectedHeader"/> when the protected header's bytes are not one map of integer or text labels,
/// so that a caller refusing with codes (the server's registration policy) tells that apart from a broken envelope.
/// </summary>
public sealed class CoseFormatException(string message, string? code = null) : Exception(message)
{
    public const string InvalidProtectedHeader = "invalid_protected_header", InvalidLabel = "invalid_label";

    public string? Code { get; } = code;
}

/// <summary>
/// A COSE_Sign1 message (RFC 9052 §4.2), parsed strictly from untrusted bytes: CBOR tag 18, then the array
/// <c>[protected: bstr .cbor header_map, unprotected: header_map, payload: bstr / nil, signature: bstr]</c>, with
/// definite lengths, no duplicate labels, and nothing after it. The raw bytes of each element are kept so that the
/// message can be written again byte for byte with another unprotected header (<see cref="WithUnprotected"/>).
/// </summary>
public sealed class CoseSign1
{
    /// <summary>Statements and receipts are small: a log entry is at most 65,535 bytes, a transparent statement a few receipts more.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>RFC 9052 §2, Table 1: the CBOR tag of COSE_Sign1; as an entry's first byte, 0xD2.</summary>
    public const int Tag = 18;
    private const int MaxHeaderEntries = 64;
    private readonly byte[] encodedProtected, encodedPayload, encodedSignature;

    private CoseSign1(byte[] protectedBytes, CoseHeader @protected, CoseHeader unprotected, byte[]? payload, byte[] signature,
        byte[] encodedProtected, byte[] encodedPayload, byte[] encodedSignature)
    {
        ProtectedBytes = protectedBytes;
        Protected = @protected;
        Unprotected = unprotected;
        Payload = payload;
        Signature = signature;
        this.encodedProtected = encodedProtected;
        this.encodedPayload = encodedPayload;
        this.encodedSignature = encodedSignature;
    }

    /// <summary>The serialized protected header map: the bytes the signature covers (RFC 9052 §3).</summary>
    public byte[] ProtectedBytes { get; }

    public CoseHeader Protected { get; }

    public CoseHeader Unprotected { get; }

    /// <summary>The payload, or null when it is detached (nil, RFC 9052 §4.1).</summary>
    public byte[]? Payload { get; }

    public byte[] Signature { get; }

    /// <summary>Parses a tagged COSE_Sign1; throws <see cref="CoseFormatException"/> for anything else.</summary>
    public static CoseSign1 Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxBytes) throw new CoseFormatException($"{bytes.Length} bytes: a COSE_Sign1 here is at most {MaxBytes}");
        try
        {
            var reader = new CborReader(bytes.ToArray(), CborConformanceMode.Strict);
            if (reader.PeekState() != CborReaderState.Tag || reader.ReadTag() != (CborTag)Tag)
                throw new CoseFormatException("not a COSE_Sign1: it does not start with CBOR tag 18");
            if (reader.ReadStartArray() != 4) throw new CoseFormatException("a COSE_Sign1 is an array of exactly 4 elements");

            byte[] encodedProtected = reader.ReadEncodedValue().ToArray();
            byte[] protectedBytes = ReadBytes(encodedProtected, "the protected header");
            // RFC 9052 §3: an empty protected header is encoded as a zero-length bstr, not as an empty map.
            var @protected = protectedBytes.Length == 0 ? CoseHeader.Empty : ParseHeaderBytes(protectedBytes, "the protected header");

            var unprotected = CoseHeader.Read(reader, "the unprotected header", MaxHeaderEntries);

            byte[] encodedPayload = reader.ReadEncodedValue().ToArray();
            byte[]? payload = encodedPayload is [0xF6] ? null : ReadBytes(encodedPayload, "the payload");
            byte[] encodedSignature = reader.ReadEncodedValue().ToArray();
            byte[] signature = ReadBytes(encodedSignature, "the signature");
            reader.ReadEndArray();
            if (reader.BytesRemaining != 0) throw new CoseFormatException("bytes follow the COSE_Sign1");
            CoseHeader.RefuseOverlap(@protected, unprotected);
            return new CoseSign1(protectedBytes, @protected, unprotected, payload, signature, encodedProtected, encodedPayload, encodedSignature);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or FormatException)
        {
            throw new CoseFormatException("not a well-formed COSE_Sign1: " + e.Message);
        }
    }

    /// <summary>
    /// The same message with <paramref name="encodedUnprotected"/> (an encoded CBOR map) as its unprotected header:
    /// the tag, the array head and the other three elements are copied byte for byte from the parsed input.
    /// </summary>
    public byte[] WithUnprotected(ReadOnlySpan<byte> encodedUnprotected)
    {
        var output = new byte[2 + encodedProtected.Length + encodedUnprotected.Length + encodedPayload.Length + encodedSignature.Length];
        output[0] = 0xD2; // tag 18
        output[1] = 0x84; // array of 4
        int at = 2;
        foreach (var part in new[] { encodedProtected, encodedUnprotected.ToArray(), encodedPayload, encodedSignature })
        {
            part.CopyTo(output, at);
            at += part.Length;
        }
        return output;
    }

    /// <summary>The message as logged: its unprotected header emptied (an empty map, 0xA0).</summary>
    public byte[] WithEmptyUnprotected() => WithUnprotected([0xA0]);

    /// <summary>
    /// The Sig_structure of RFC 9052 §4.4 that a COSE_Sign1 signature covers:
    /// <c>["Signature1", body_protected, external_aad = h'', payload]</c>, with <paramref name="detachedPayload"/> when
    /// the payload is detached.
    /// </summary>
    public byte[] ToBeSigned(ReadOnlySpan<byte> detachedPayload = default) =>
        SigStructure(ProtectedBytes, Payload ?? detachedPayload);

    /// <summary>RFC 9052 §4.4 Sig_structure for a COSE_Sign1 with empty external_aad.</summary>
    public static byte[] SigStructure(ReadOnlySpan<byte> protectedBytes, ReadOnlySpan<byte> payload)
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartArray(4);
        w.WriteTextString("Signature1");
        w.WriteByteString(protectedBytes);
        w.WriteByteString([]);
        w.WriteByteString(payload);
        w.WriteEndArray();
        return w.Encode();
    }

    /// <summary>A tagged COSE_Sign1 from its parts (the signer's side).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> protectedBytes, ReadOnlySpan<byte> encodedUnprotected, ReadOnlySpan<byte> payload, bool detached, ReadOnlySpan<byte> signature)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteTag((CborTag)Tag);
        w.WriteStartArray(4);
        w.WriteByteString(protectedBytes);
        w.WriteEncodedValue(encodedUnprotected);
        if (detached) w.WriteNull();
        else w.WriteByteString(payload);
        w.WriteByteString(signature);
        w.WriteEndArray();
        return w.Encode();
    }

    private static byte[] ReadBytes(byte[] encoded, string what)
    {
        if (encoded[0] == 0x5F) throw new CoseFormatException($"{what} is an indefinite-length byte string");
        var r = new CborReader(encoded, CborConformanceMode.Strict);
        if (r.PeekState() != CborReaderState.ByteString) throw new CoseFormatException($"{what} is not a byte string");
        return r.ReadByteString();
    }

    private static CoseHeader ParseHeaderBytes(byte[] bytes, string what)
    {
        var r = new CborReader(bytes, CborConformanceMode.Strict);
        CoseHeader header;
        try
        {
            header = CoseHeader.Read(r, what, MaxHeaderEntries);
        }
        catch (CoseFormatException e) when (e.Code == CoseFormatException.InvalidLabel)
        {
            throw new CoseFormatException(e.Message, CoseFormatException.InvalidProtectedHeader);
        }
        if (r.BytesRemaining != 0) throw new CoseFormatException($"bytes follow the map in {what}", CoseFormatException.InvalidProtectedHeader);
        return header;
    }
}
