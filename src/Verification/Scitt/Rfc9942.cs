using System.Formats.Cbor;
using Attest.Merkle;

namespace Attest.Verification.Scitt;

/// <summary>
/// What RFC 9942 defines for the RFC9162_SHA256 verifiable data structure, in one place for the server's receipt
/// writer and this library's receipt reader. The header labels (394 receipts, 395 verifiable data structure, 396
/// verifiable data proofs, RFC 9942 §2) are <see cref="CoseHeader"/>'s.
/// </summary>
public static class Rfc9942
{
    /// <summary>RFC 9942 §5.1: the registered value of RFC9162_SHA256 in the verifiable data structure header (395).</summary>
    public const long Rfc9162Sha256 = 1;

    /// <summary>RFC 9942 §5.2 and §5.3: the keys of inclusion and consistency proofs in the verifiable data proofs map (396).</summary>
    public const long InclusionProof = -1, ConsistencyProof = -2;

    /// <summary>CWT claim keys a receipt's protected header carries (RFC 8392 §3.1.1 iss, §3.1.6 iat; RFC 9597 §2).</summary>
    public const long IssClaim = 1, IatClaim = 6;

    /// <summary>
    /// The proof of both RFC9162_SHA256 proof types, before its bstr wrapping: <c>[tree_size, leaf_index,
    /// inclusion_path]</c> (RFC 9942 §5.2) or <c>[tree_size_1, tree_size_2, consistency_path]</c> (RFC 9942 §5.3),
    /// deterministically encoded. The path of the one entry of a tree of size 1 is empty (RFC 9162 §2.1.3.1), the
    /// only proof there is, though the CDDL asks for one hash.
    /// </summary>
    public static byte[] EncodeProof(long a, long b, IReadOnlyList<Hash> path)
    {
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: 16 + path.Count * 34);
        w.WriteStartArray(3);
        w.WriteInt64(a);
        w.WriteInt64(b);
        w.WriteStartArray(path.Count);
        foreach (var h in path) w.WriteByteString(h.Bytes);
        w.WriteEndArray();
        w.WriteEndArray();
        return w.Encode();
    }
}
