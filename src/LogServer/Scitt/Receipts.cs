using System.Formats.Cbor;
using Attest.LogServer.Log;
using Attest.Merkle;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Scitt;

/// <summary>
/// COSE Receipts (RFC 9942) over the log's own tree: every entry, a SCITT Signed Statement or a JSON entry, has an
/// inclusion receipt against a signed C2SP checkpoint, and the receipt's root is that checkpoint's root (the same
/// RFC 9162 tree, design invariant 4). Signed with the transparency service's <see cref="ServiceKey"/> (ES256).
/// </summary>
/// <remarks>
/// A receipt (RFC 9942 §5.2.1, the receipt of inclusion for RFC9162_SHA256, §2 for the header parameters):
/// <code>
/// 18([ &lt;&lt;{1: -7, 4: kid, 15: {1: origin, 6: iat}, 395: 1}&gt;&gt;,
///      {396: {-1: [&lt;&lt;[tree_size, leaf_index, [path…]]&gt;&gt;]}},
///      nil,
///      signature over Sig_structure ["Signature1", protected, h'', root at tree_size] ])
/// </code>
/// The payload is detached (RFC 9942 §4.4: the verifier recomputes the root from the leaf and the path, so a
/// signature over one root cannot be paired with a proof of another). <c>iss</c> and <c>iat</c> are CWT claims in
/// the protected header (RFC 9597, label 15; claims 1 and 6 of RFC 8392 §3.1): the log's origin, the checkpoint
/// line every C2SP verifier already knows, and when the signature was made.
/// <para>
/// The signature covers only the protected header and the root (the proof is in the unprotected header), so every
/// receipt over one tree shares one signature: it is made once, when the first receipt over the latest checkpoint is
/// asked for, and a receipt then costs an inclusion proof and its encoding. An anonymous reader cannot make the service
/// sign on demand, except for a consistency receipt ending below the latest size or a proof bundle over an older
/// checkpoint (expensive routes, rate-limited as such).
/// </para>
/// </remarks>
public sealed class Receipts(TransparencyLog log, ServiceKey key, TimeProvider time)
{
    /// <summary>A receipt's protected header and its signature over one tree's root, which every receipt over that tree shares.</summary>
    private sealed record SignedRoot(long Size, Hash Root, byte[] ProtectedHeader, byte[] Signature);

    private readonly Lock gate = new();
    private SignedRoot? latest;

    // The labels and values the receipt reader checks (CoseHeader, Rfc9942), so writer and reader cannot drift apart.
    private const int Alg = (int)CoseHeader.Alg, Kid = (int)CoseHeader.Kid, CwtClaims = (int)CoseHeader.CwtClaims,
        Vds = (int)CoseHeader.VerifiableDataStructure, Vdp = (int)CoseHeader.VerifiableDataProofs;
    private const int Rfc9162Sha256 = (int)Rfc9942.Rfc9162Sha256, InclusionProofType = (int)Rfc9942.InclusionProof, ConsistencyProofType = (int)Rfc9942.ConsistencyProof;
    private const int Iss = (int)Rfc9942.IssClaim, Iat = (int)Rfc9942.IatClaim;
    private const CborTag CoseSign1Tag = (CborTag)CoseSign1.Tag;

    /// <summary>The RFC 9942 receipt of entry <paramref name="index"/> over the latest signed checkpoint, or null while none covers it.</summary>
    public byte[]? For(long index)
    {
        var checkpoint = log.Latest;
        if (index < 0 || checkpoint is null || index >= checkpoint.Size) return null;
        return For(index, checkpoint);
    }

    /// <summary>The receipt of entry <paramref name="index"/> over <paramref name="checkpoint"/> (a proof bundle's checkpoint).</summary>
    public byte[] For(long index, SignedCheckpoint checkpoint)
    {
        if (index < 0 || index >= checkpoint.Size) throw new ArgumentOutOfRangeException(nameof(index), $"entry {index} is not in a tree of {checkpoint.Size}");
        var path = InclusionProof.Prove(index, checkpoint.Size, log.Hashes);
        // RFC 9942 §5.2: inclusion-proof = bstr .cbor [tree-size, leaf-index, inclusion-path]. The path of the one
        // entry of a tree of size 1 is empty (RFC 9162 §2.1.3.1), the only proof there is, though the CDDL asks for one hash.
        return Sign(InclusionProofType, Rfc9942.EncodeProof(checkpoint.Size, index, path), checkpoint.Checkpoint.Root, checkpoint.Size);
    }

    /// <summary>
    /// A receipt of consistency (RFC 9942 §5.3) from tree size <paramref name="first"/> to <paramref name="second"/>,
    /// 1 ≤ first &lt; second ≤ the latest checkpoint's size: signed over the root at <paramref name="second"/>, which a
    /// verifier recomputes from the root at <paramref name="first"/> and the path (RFC 9162 §2.1.4.2).
    /// </summary>
    public byte[] Consistency(long first, long second)
    {
        var latest = log.Latest;
        if (first < 1 || second <= first || second > latest.Size)
            throw new ArgumentOutOfRangeException(nameof(second), $"a consistency receipt needs 1 ≤ first < second ≤ {latest.Size}");
        var path = ConsistencyProof.Prove(first, second, log.Hashes);
        // Below the latest checkpoint, the root of an older size of the same signed tree (design invariant 4).
        var root = second == latest.Size ? latest.Checkpoint.Root : StoredHashes.TreeHash(second, log.Hashes);
        return Sign(ConsistencyProofType, Rfc9942.EncodeProof(first, second, path), root, second);
    }

    /// <summary>
    /// The Transparent Statement (RFC 9943 §7): the Signed Statement <paramref name="statement"/> as the log holds it
    /// (a tagged COSE_Sign1 whose unprotected header is empty) with <c>394: [receipt]</c> as its unprotected header
    /// (RFC 9942 §4.3: an array of receipts, each a bstr holding one). The protected header, payload and signature are
    /// copied byte for byte, so the issuer's signature still verifies, and removing 394 gives back the logged bytes.
    /// </summary>
    /// <exception cref="ArgumentException">when <paramref name="statement"/> is not such a COSE_Sign1.</exception>
    public static byte[] TransparentStatement(ReadOnlySpan<byte> statement, ReadOnlySpan<byte> receipt)
    {
        CoseSign1 message;
        try
        {
            message = CoseSign1.Decode(statement);
        }
        catch (CoseFormatException e)
        {
            throw new ArgumentException($"not a COSE_Sign1: {e.Message}", nameof(statement), e);
        }
        if (!message.Unprotected.IsEmpty) throw new ArgumentException("the logged statement's unprotected header must be empty", nameof(statement));
        return Verification.Scitt.TransparentStatement.Build(message, [receipt.ToArray()]);
    }

    /// <summary>The tagged COSE_Sign1 (RFC 9052 §4.2) of a receipt carrying <paramref name="proof"/>, its payload <paramref name="root"/> detached.</summary>
    private byte[] Sign(int proofType, byte[] proof, Hash root, long size)
    {
        var signed = SignedRootOf(size, root);
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: 256 + proof.Length);
        w.WriteTag(CoseSign1Tag);
        w.WriteStartArray(4);
        w.WriteByteString(signed.ProtectedHeader);
        w.WriteStartMap(1);
        w.WriteInt32(Vdp);
        w.WriteStartMap(1);
        w.WriteInt32(proofType);
        w.WriteStartArray(1);
        w.WriteByteString(proof);
        w.WriteEndArray();
        w.WriteEndMap();
        w.WriteEndMap();
        w.WriteNull();
        w.WriteByteString(signed.Signature);
        w.WriteEndArray();
        return w.Encode();
    }

    /// <summary>The shared signature over the root of the tree of <paramref name="size"/>: kept for the latest checkpoint, made afresh for an older tree.</summary>
    private SignedRoot SignedRootOf(long size, Hash root)
    {
        if (Volatile.Read(ref latest) is { } kept && kept.Size == size && kept.Root == root) return kept;
        if (size != log.Latest.Size) return SignRoot(size, root);
        lock (gate)
        {
            // One signature per checkpoint, however many readers ask for its first receipt at once.
            if (latest is { } again && again.Size == size && again.Root == root) return again;
            var signed = SignRoot(size, root);
            Volatile.Write(ref latest, signed);
            return signed;
        }
    }

    private SignedRoot SignRoot(long size, Hash root)
    {
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: 256);
        // The protected header, deterministically encoded (RFC 8949 §4.2.1: keys 1, 4, 15, 395 in that order).
        w.WriteStartMap(4);
        w.WriteInt32(Alg); w.WriteInt64(CoseKey.ES256);
        w.WriteInt32(Kid); w.WriteByteString(key.Kid);
        w.WriteInt32(CwtClaims);
        w.WriteStartMap(2);
        w.WriteInt32(Iss); w.WriteTextString(log.Origin);
        w.WriteInt32(Iat); w.WriteInt64(time.GetUtcNow().ToUnixTimeSeconds());
        w.WriteEndMap();
        w.WriteInt32(Vds); w.WriteInt32(Rfc9162Sha256);
        w.WriteEndMap();
        var protectedHeader = w.Encode();
        return new SignedRoot(size, root, protectedHeader, key.Sign(CoseSign1.SigStructure(protectedHeader, root.Bytes)));
    }
}
