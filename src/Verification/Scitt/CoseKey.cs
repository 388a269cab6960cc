using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Verification.Scitt;

/// <summary>
/// A public key that checks COSE signatures: ES256 (ECDSA P-256 with SHA-256, RFC 9053 §2.1) or EdDSA with Ed25519
/// (RFC 9053 §2.2). Read from a COSE_Key (RFC 9052 §7, RFC 9053 §7) or a JWK (RFC 7518 §6.2, RFC 8037 §2); each
/// refuses what it does not fully understand.
/// </summary>
public sealed class CoseKey
{
    public const long ES256 = -7, EdDSA = -8; // RFC 9053 Table 1 and Table 2

    // RFC 9052 §7.1 common parameters (kty, kid, alg), RFC 9053 §7.1 EC2 and §7.2 OKP parameters (crv, x, y, d).
    private const long KtyLabel = 1, KidLabel = 2, AlgLabel = 3, CrvLabel = -1, XLabel = -2, YLabel = -3, DLabel = -4;

    private const long KtyOkp = 1, KtyEc2 = 2, CrvP256 = 1, CrvEd25519 = 6; // RFC 9053 Tables 17, 18
    private readonly ECDsa? ec;
    private readonly Ed25519PublicKey? ed;

    private CoseKey(long alg, byte[]? kid, ECDsa? ec, Ed25519PublicKey? ed, byte[] raw)
    {
        Alg = alg;
        Kid = kid;
        this.ec = ec;
        this.ed = ed;
        Raw = raw;
    }

    /// <summary><see cref="ES256"/> or <see cref="EdDSA"/>.</summary>
    public long Alg { get; }

    public string AlgName => Alg == ES256 ? "ES256" : "EdDSA";

    /// <summary>The key id, when the key carries one.</summary>
    public byte[]? Kid { get; }

    /// <summary>ES256: the 65-byte uncompressed point 0x04 || x || y; EdDSA: the 32-byte Ed25519 key.</summary>
    public byte[] Raw { get; }

    /// <summary>
    /// Checks a COSE signature over <paramref name="toBeSigned"/>: for ES256 the 64-byte r || s of RFC 9053 §2.1 (not
    /// DER), for EdDSA the 64-byte RFC 8032 signature. Any other length is simply invalid.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> toBeSigned, ReadOnlySpan<byte> signature) => Alg == ES256
        ? signature.Length == 64 && ec!.VerifyData(toBeSigned, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
        : ed!.Verify(toBeSigned, signature);

    /// <summary>An ES256 key from its P-256 coordinates; throws <see cref="CoseFormatException"/> for a point not on the curve.</summary>
    public static CoseKey P256(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, byte[]? kid)
    {
        if (x.Length != 32 || y.Length != 32) throw new CoseFormatException("a P-256 coordinate is 32 bytes");
        ECDsa key;
        try
        {
            key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x.ToArray(), Y = y.ToArray() } });
        }
        catch (CryptographicException)
        {
            throw new CoseFormatException("the point is not on the P-256 curve");
        }
        return new CoseKey(ES256, kid, key, null, [0x04, .. x, .. y]);
    }

    /// <summary>An EdDSA key from its 32 bytes.</summary>
    public static CoseKey Ed25519Key(ReadOnlySpan<byte> x, byte[]? kid) =>
        Ed25519PublicKey.TryImport(x, out var key) ? new CoseKey(EdDSA, kid, null, key, x.ToArray()) : throw new CoseFormatException("an Ed25519 public key is 32 bytes");

    /// <summary>
    /// A COSE_Key map (RFC 9052 §7): kty 2 (EC2) with crv 1 (P-256), x and y as byte strings, or kty 1 (OKP) with crv 6
    /// (Ed25519) and x; an optional kid (2) and alg (3) that must agree with the key type. A private key (d, -4) is refused.
    /// </summary>
    public static CoseKey FromCoseKey(CoseHeader map)
    {
        long kty = map.Int(KtyLabel, "kty") ?? throw new CoseFormatException("a COSE_Key without kty (1)");
        byte[]? kid = map.Bytes(KidLabel, "kid");
        long? alg = map.Int(AlgLabel, "alg");
        long crv = map.Int(CrvLabel, "crv") ?? throw new CoseFormatException("a COSE_Key without crv (-1)");
        if (map.Has(DLabel)) throw new CoseFormatException("the COSE_Key holds a private key (d, -4): give the public key");
        byte[] x = map.Bytes(XLabel, "x") ?? throw new CoseFormatException("a COSE_Key without x (-2)");
        switch (kty)
        {
            case KtyEc2 when crv == CrvP256 && (alg ?? ES256) == ES256:
                // A compressed point (y as a boolean) is refused by Bytes: only the uncompressed form is read.
                byte[] y = map.Bytes(YLabel, "y") ?? throw new CoseFormatException("an EC2 COSE_Key without y (-3)");
                return P256(x, y, kid);
            case KtyOkp when crv == CrvEd25519 && (alg ?? EdDSA) == EdDSA && !map.Has(YLabel):
                return Ed25519Key(x, kid);
            default:
                throw new CoseFormatException($"a COSE_Key of kty {kty}, crv {crv}, alg {alg?.ToString() ?? "none"}: only EC2 P-256 (ES256) and OKP Ed25519 (EdDSA) are supported");
        }
    }

    /// <summary>
    /// The RFC 9679 §3 thumbprint of a P-256 key: SHA-256 of the deterministic encoding (RFC 8949 §4.2.1) of the map
    /// of its required parameters only, {1: 2, -1: 1, -2: x, -3: y} (RFC 9679 §4: kty, crv, x, y for EC2), keys in
    /// bytewise lexicographic order of their encodings: 0x01, 0x20, 0x21, 0x22. SCRAPI (draft-ietf-scitt-scrapi-10,
    /// "Individual Transparency Service Key") recommends it as a transparency service key's kid: anyone holding the
    /// key recomputes it.
    /// </summary>
    public static byte[] Thumbprint(ECParameters key)
    {
        var w = new CborWriter(CborConformanceMode.Ctap2Canonical);
        w.WriteStartMap(4);
        w.WriteInt64(KtyLabel); w.WriteInt64(KtyEc2);
        w.WriteInt64(CrvLabel); w.WriteInt64(CrvP256);
        w.WriteInt64(XLabel); w.WriteByteString(key.Q.X!);
        w.WriteInt64(YLabel); w.WriteByteString(key.Q.Y!);
        w.WriteEndMap();
        return SHA256.HashData(w.Encode());
    }

    /// <summary>
    /// Writes the public COSE_Key {1: 2 (EC2), 2: kid, 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} of a P-256 key,
    /// deterministically encoded. <c>alg</c> is given so that verifiers which insist on fully specified keys (a
    /// receipt's key signs ES256 only) take it; <see cref="FromCoseKey"/> reads it back.
    /// </summary>
    public static void WriteP256(CborWriter w, ECParameters key, byte[] kid)
    {
        w.WriteStartMap(6);
        w.WriteInt64(KtyLabel); w.WriteInt64(KtyEc2);
        w.WriteInt64(KidLabel); w.WriteByteString(kid);
        w.WriteInt64(AlgLabel); w.WriteInt64(ES256);
        w.WriteInt64(CrvLabel); w.WriteInt64(CrvP256);
        w.WriteInt64(XLabel); w.WriteByteString(key.Q.X!);
        w.WriteInt64(YLabel); w.WriteByteString(key.Q.Y!);
        w.WriteEndMap();
    }

    /// <summary>
    /// A COSE_KeySet (RFC 9052 §7: an array of COSE_Key) or a single COSE_Key, as <c>/.well-known/scitt-keys</c> and
    /// <c>/.well-known/scitt-keys/{kid}</c> serve them. At most 64 keys; nothing may follow.
    /// </summary>
    public static IReadOnlyList<CoseKey> ReadKeySet(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 64 * 1024) throw new CoseFormatException("a key set here is at most 64 KiB");
        try
        {
            var r = new CborReader(bytes.ToArray(), CborConformanceMode.Strict);
            var keys = new List<CoseKey>();
            if (r.PeekState() == CborReaderState.StartArray)
            {
                int count = r.ReadStartArray() ?? throw new CoseFormatException("the key set is an indefinite-length array");
                if (count is 0 or > 64) throw new CoseFormatException($"the key set has {count} keys: 1 to 64");
                for (int i = 0; i < count; i++) keys.Add(FromCoseKey(CoseHeader.Read(r, $"key {i}", 32)));
                r.ReadEndArray();
            }
            else
            {
                keys.Add(FromCoseKey(CoseHeader.Read(r, "the key", 32)));
            }
            if (r.BytesRemaining != 0) throw new CoseFormatException("bytes follow the key set");
            return keys;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or FormatException)
        {
            throw new CoseFormatException("not a COSE_Key or COSE_KeySet: " + e.Message);
        }
    }

    /// <summary>
    /// A public JWK: <c>{"kty":"EC","crv":"P-256","x","y"}</c> (RFC 7518 §6.2.1) or <c>{"kty":"OKP","crv":"Ed25519","x"}</c>
    /// (RFC 8037 §2), coordinates in strict base64url; "kid", "alg" (ES256 / EdDSA), "use" and "key_ops" are allowed,
    /// any other member or a private "d" is refused. The kid (the JWK's, else <paramref name="kid"/>) is taken as UTF-8
    /// bytes, as a statement's kid header carries it.
    /// </summary>
    public static CoseKey FromJwk(JsonElement jwk, string? kid = null)
    {
        if (jwk.ValueKind != JsonValueKind.Object) throw new CoseFormatException("a JWK is a JSON object");
        string? Member(string name)
        {
            if (!jwk.TryGetProperty(name, out var v)) return null;
            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new CoseFormatException($"the JWK's \"{name}\" is not a string");
        }
        foreach (var p in jwk.EnumerateObject())
        {
            if (p.Name == "d") throw new CoseFormatException("the JWK holds a private key (\"d\"): give the public key");
            if (p.Name is not ("kty" or "crv" or "x" or "y" or "kid" or "alg" or "use" or "key_ops")) throw new CoseFormatException($"the JWK has an unknown member \"{p.Name}\"");
        }
        byte[]? kidBytes = (Member("kid") ?? kid) is { } k ? System.Text.Encoding.UTF8.GetBytes(k) : null;
        string? alg = Member("alg");
        byte[] Coordinate(string name) => Member(name) is { } s && Base64Url.TryDecode(s, out var b) ? b : throw new CoseFormatException($"the JWK's \"{name}\" is missing or not base64url");
        return (Member("kty"), Member("crv")) switch
        {
            ("EC", "P-256") when alg is null or "ES256" => P256(Coordinate("x"), Coordinate("y"), kidBytes),
            ("OKP", "Ed25519") when alg is null or "EdDSA" && !jwk.TryGetProperty("y", out _) => Ed25519Key(Coordinate("x"), kidBytes),
            var (kty, crv) => throw new CoseFormatException($"a JWK of kty {kty ?? "none"}, crv {crv ?? "none"}, alg {alg ?? "none"}: only EC P-256 (ES256) and OKP Ed25519 (EdDSA) are supported"),
        };
    }
}
