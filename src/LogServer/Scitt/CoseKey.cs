using System.Formats.Cbor;
using System.Security.Cryptography;

namespace Attest.LogServer.Scitt;

/// <summary>
/// A P-256 public key as a COSE_Key (RFC 9052 §7, EC2 parameters of RFC 9053 §7.1.1) and its COSE Key Thumbprint
/// (RFC 9679), which is the key's <c>kid</c>. The thumbprint is what SCRAPI (draft-ietf-scitt-scrapi-10, "Individual
/// Transparency Service Key") recommends for a Transparency Service key: anyone holding the key recomputes its kid.
/// </summary>
public static class CoseKey
{
    // RFC 9052 §7.1 common parameters; RFC 9053 §7.1.1 EC2 parameters; the IANA COSE registries' values.
    private const int Kty = 1, Kid = 2, Alg = 3, Crv = -1, X = -2, Y = -3;
    private const int KtyEc2 = 2, CrvP256 = 1;

    /// <summary>ES256, ECDSA with SHA-256 (RFC 9053 §2.1).</summary>
    public const int Es256 = -7;

    /// <summary>
    /// The RFC 9679 §3 thumbprint of a P-256 key: SHA-256 of the deterministic encoding (RFC 8949 §4.2.1) of the map
    /// of its required parameters only, {1: 2, -1: 1, -2: x, -3: y} (RFC 9679 §4: kty, crv, x, y for EC2), keys in
    /// bytewise lexicographic order of their encodings: 0x01, 0x20, 0x21, 0x22.
    /// </summary>
    public static byte[] Thumbprint(ECParameters key)
    {
        var w = new CborWriter(CborConformanceMode.Ctap2Canonical);
        w.WriteStartMap(4);
        w.WriteInt32(Kty); w.WriteInt32(KtyEc2);
        w.WriteInt32(Crv); w.WriteInt32(CrvP256);
        w.WriteInt32(X); w.WriteByteString(key.Q.X!);
        w.WriteInt32(Y); w.WriteByteString(key.Q.Y!);
        w.WriteEndMap();
        return SHA256.HashData(w.Encode());
    }

    /// <summary>
    /// The public COSE_Key {1: 2 (EC2), 2: kid, 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, deterministically encoded.
    /// <c>alg</c> is given so that verifiers which insist on fully specified keys (a receipt's key signs ES256 only) take it.
    /// </summary>
    public static void WritePublic(CborWriter w, ECParameters key, byte[] kid)
    {
        w.WriteStartMap(6);
        w.WriteInt32(Kty); w.WriteInt32(KtyEc2);
        w.WriteInt32(Kid); w.WriteByteString(kid);
        w.WriteInt32(Alg); w.WriteInt32(Es256);
        w.WriteInt32(Crv); w.WriteInt32(CrvP256);
        w.WriteInt32(X); w.WriteByteString(key.Q.X!);
        w.WriteInt32(Y); w.WriteByteString(key.Q.Y!);
        w.WriteEndMap();
    }
}
