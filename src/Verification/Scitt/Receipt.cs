using System.Formats.Cbor;
using Attest.Merkle;

namespace Attest.Verification.Scitt;

/// <summary>
/// An RFC 9942 receipt of inclusion in an RFC9162_SHA256 tree: a COSE_Sign1 whose protected header has <c>alg</c>,
/// <c>kid</c> and the verifiable data structure 395 = 1 (RFC 9942 §5.1), whose unprotected header has the
/// verifiable data proofs 396 with one inclusion proof (-1): <c>bstr .cbor [tree_size, leaf_index, inclusion_path: [+ bstr]]</c>
/// (RFC 9942 §5.2), and whose payload is detached: it is the tree's root, recomputed from the leaf and the path
/// (RFC 9942 §5.2.1), so a receipt verifies only for the leaf it was made for.
/// </summary>
public sealed class Receipt
{
    private const int MaxPath = 63; // a tree of at most 2^63 leaves has at most 63 levels

    private Receipt(CoseSign1 message, long alg, byte[] kid, long treeSize, long leafIndex, Hash[] path, string? issuer, long? issuedAt)
    {
        Message = message;
        Alg = alg;
        Kid = kid;
        TreeSize = treeSize;
        LeafIndex = leafIndex;
        this.path = path;
        Issuer = issuer;
        IssuedAt = issuedAt;
    }

    public CoseSign1 Message { get; }

    public long Alg { get; }

    public byte[] Kid { get; }

    public long TreeSize { get; }

    public long LeafIndex { get; }

    private readonly Hash[] path;

    public IReadOnlyList<Hash> Path => path;

    /// <summary>The CWT claims' iss (the log's origin for Attest), when present.</summary>
    public string? Issuer { get; }

    /// <summary>The CWT claims' iat (seconds since the epoch), when present.</summary>
    public long? IssuedAt { get; }

    /// <summary>Parses an RFC9162_SHA256 inclusion receipt; throws <see cref="CoseFormatException"/> for anything else.</summary>
    public static Receipt Parse(CoseSign1 message) => CoseHeader.Guarded("the receipt", () =>
    {
        var h = message.Protected;
        long alg = h.Int(CoseHeader.Alg, "alg") ?? throw new CoseFormatException("the receipt's protected header has no alg (1)");
        if (alg != CoseKey.ES256 && alg != CoseKey.EdDSA) throw new CoseFormatException($"the receipt's alg {alg} is neither ES256 (-7) nor EdDSA (-8)");
        byte[] kid = h.Bytes(CoseHeader.Kid, "kid") ?? throw new CoseFormatException("the receipt's protected header has no kid (4)");
        if (h.Has(CoseHeader.Crit)) throw new CoseFormatException("the receipt lists critical parameters (crit, 2), which this verifier does not process");
        long vds = h.Int(CoseHeader.VerifiableDataStructure, "verifiable data structure") ?? throw new CoseFormatException("the receipt has no verifiable data structure (395)");
        if (vds != Rfc9942.Rfc9162Sha256) throw new CoseFormatException($"the receipt's verifiable data structure is {vds}, not RFC9162_SHA256 (1)");
        string? issuer = null;
        long? iat = null;
        if (h.Map(CoseHeader.CwtClaims, "CWT claims") is { } claims)
        {
            issuer = claims.Text(Rfc9942.IssClaim, "iss");
            iat = claims.Int(Rfc9942.IatClaim, "iat");
        }
        if (message.Payload is not null) throw new CoseFormatException("the receipt's payload is not detached: RFC 9942 §4.4 leaves the root out, to be recomputed");

        var proofs = message.Unprotected.Map(CoseHeader.VerifiableDataProofs, "verifiable data proofs") ?? throw new CoseFormatException("the receipt has no verifiable data proofs (396)");
        byte[] encoded = proofs.Encoded(Rfc9942.InclusionProof) ?? throw new CoseFormatException("the receipt's proofs have no inclusion proof (-1)");
        var (treeSize, leafIndex, path) = ReadInclusionProof(encoded);
        return new Receipt(message, alg, kid, treeSize, leafIndex, path, issuer, iat);
    });

    /// <summary>
    /// The root the inclusion path leads to from <paramref name="leafHash"/>, or null when the path does not fit
    /// (leaf_index, tree_size): RFC 9162 §2.1.3.2 with the root taken from the computation instead of compared,
    /// since the receipt's payload is detached.
    /// </summary>
    public Hash? RootFrom(in Hash leafHash) => InclusionProof.RootFrom(LeafIndex, TreeSize, leafHash, path);

    /// <summary>Checks the service's signature over the detached <paramref name="root"/> (RFC 9052 §4.4 with the root as payload).</summary>
    public bool VerifySignature(CoseKey key, in Hash root) => key.Alg == Alg && key.Verify(Message.ToBeSigned(root.Bytes), Message.Signature);

    // RFC 9942 §5.2: the value of -1 is an array of bstr-wrapped proofs; one receipt proves one leaf, so exactly one here.
    private static (long TreeSize, long LeafIndex, Hash[] Path) ReadInclusionProof(byte[] encoded)
    {
        var outer = new CborReader(encoded, CborConformanceMode.Strict);
        if (outer.PeekState() != CborReaderState.StartArray || outer.ReadStartArray() is not { } count) throw new CoseFormatException("the inclusion proofs (-1) are not a definite-length array");
        if (count != 1) throw new CoseFormatException($"the receipt carries {count} inclusion proofs: one receipt proves one leaf here");
        if (outer.PeekState() != CborReaderState.ByteString) throw new CoseFormatException("the inclusion proof is not a bstr-wrapped array");
        byte[] wrapped = outer.ReadByteString();
        outer.ReadEndArray();

        var r = new CborReader(wrapped, CborConformanceMode.Strict);
        if (r.PeekState() != CborReaderState.StartArray || r.ReadStartArray() != 3) throw new CoseFormatException("the inclusion proof is not [tree_size, leaf_index, inclusion_path]");
        if (r.PeekState() != CborReaderState.UnsignedInteger) throw new CoseFormatException("the inclusion proof's tree_size is not an unsigned integer");
        ulong size = r.ReadUInt64();
        if (r.PeekState() != CborReaderState.UnsignedInteger) throw new CoseFormatException("the inclusion proof's leaf_index is not an unsigned integer");
        ulong index = r.ReadUInt64();
        if (size is 0 or > long.MaxValue) throw new CoseFormatException($"the inclusion proof's tree_size {size} is out of range");
        if (index >= size) throw new CoseFormatException($"the inclusion proof's leaf_index {index} is not below its tree_size {size}");
        if (r.PeekState() != CborReaderState.StartArray || r.ReadStartArray() is not { } n) throw new CoseFormatException("the inclusion path is not a definite-length array");
        if (n > MaxPath) throw new CoseFormatException($"the inclusion path has {n} hashes: at most {MaxPath}");
        var path = new Hash[n];
        for (int i = 0; i < n; i++)
        {
            if (r.PeekState() != CborReaderState.ByteString) throw new CoseFormatException($"inclusion path element {i} is not a byte string");
            byte[] h = r.ReadByteString();
            if (h.Length != Hash.Size) throw new CoseFormatException($"inclusion path element {i} is {h.Length} bytes, not a SHA-256 hash");
            path[i] = new Hash(h);
        }
        r.ReadEndArray();
        r.ReadEndArray();
        if (r.BytesRemaining != 0) throw new CoseFormatException("bytes follow the inclusion proof");
        return ((long)size, (long)index, path);
    }
}
