using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Entries;
using Attest.LogServer.Service;
using Attest.Verification;

namespace Attest.LogServer.Scitt;

/// <summary>
/// The public key of an issuer-held key: its algorithm (<see cref="KeyEntry.Es256"/> or <see cref="KeyEntry.EdDsa"/>, the COSE names of
/// RFC 9053 §2.1 and §2.2) and the raw key as the registry holds it (ES256: the 65-byte SEC 1 §2.3.3 uncompressed point
/// <c>0x04 || x || y</c>; EdDSA: the 32-byte RFC 8032 §5.1.5 Ed25519 key).
/// </summary>
public sealed record IssuerPublicKey(string Alg, byte[] Key)
{
    /// <summary>Whether <paramref name="alg"/> is one of an issuer-held key (a server-held key's is "Ed25519").</summary>
    public static bool IsHeld(string alg) => alg is KeyEntry.Es256 or KeyEntry.EdDsa;
}

/// <summary>
/// A public JSON Web Key (RFC 7517) of an issuer-held key, parsed strictly: EC P-256 (RFC 7518 §6.2.1) for ES256 or
/// OKP Ed25519 (RFC 8037 §2) for EdDSA. Refused: any private member (RFC 7518 §6.2.2 <c>d</c>, and the RSA and
/// symmetric ones), members this parser does not know, a curve that is not the algorithm's, coordinates that are not
/// exactly the curve's size in unpadded base64url (RFC 7518 §6.2.1.2), a P-256 point not on the curve (SEC 1
/// §3.2.2.1), and an Ed25519 key of small order (the identity among them: a key any signature could verify under).
/// </summary>
public static class IssuerJwk
{
    private const int CoordinateSize = 32;

    // RFC 7517 §4 and RFC 7518 §6.2.1 / RFC 8037 §2 public members; "ext" and "key_ops" are what WebCrypto's
    // exportKey("jwk") writes (W3C Web Cryptography API §21).
    private static readonly string[] EcMembers = ["kty", "crv", "x", "y", "kid", "alg", "use", "key_ops", "ext"];
    private static readonly string[] OkpMembers = ["kty", "crv", "x", "kid", "alg", "use", "key_ops", "ext"];

    // Private key members: EC and OKP (RFC 7518 §6.2.2.1, RFC 8037 §2), RSA (RFC 7518 §6.3.2), symmetric (§6.4.1).
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "r", "t", "k"];

    /// <summary>The key of <paramref name="jwk"/> for <paramref name="alg"/>, or a 400 <see cref="DomainError"/> naming what is wrong.</summary>
    public static IssuerPublicKey Parse(string alg, JsonElement jwk, string kid)
    {
        if (!IssuerPublicKey.IsHeld(alg)) throw DomainError.Invalid("unsupported_alg", $"\"alg\" of an issuer-held key is \"{KeyEntry.Es256}\" or \"{KeyEntry.EdDsa}\"");
        if (jwk.ValueKind != JsonValueKind.Object) throw Invalid("\"jwk\" must be a JSON object");
        foreach (var member in jwk.EnumerateObject())
            if (Array.IndexOf(PrivateMembers, member.Name) >= 0)
                throw DomainError.Invalid("jwk_private_key", $"the JWK holds the private member \"{member.Name}\": send the public key only; the server never takes an issuer's private key");
        string kty = Text(jwk, "kty") ?? throw Invalid("the JWK has no \"kty\"");
        string crv = Text(jwk, "crv") ?? throw Invalid("the JWK has no \"crv\"");
        bool es256 = alg == KeyEntry.Es256;
        if (es256 && (kty, crv) != ("EC", "P-256") || !es256 && (kty, crv) != ("OKP", "Ed25519"))
            throw DomainError.Invalid("jwk_alg_mismatch", es256 ? "an ES256 key is a JWK with \"kty\": \"EC\" and \"crv\": \"P-256\"" : "an EdDSA key is a JWK with \"kty\": \"OKP\" and \"crv\": \"Ed25519\"");
        var allowed = es256 ? EcMembers : OkpMembers;
        foreach (var member in jwk.EnumerateObject())
            if (Array.IndexOf(allowed, member.Name) < 0) throw Invalid($"the JWK has a member \"{member.Name}\" this server does not take; allowed: {string.Join(", ", allowed)}");
        CheckOptional(jwk, alg, kid);
        var x = Coordinate(jwk, "x");
        if (!es256)
        {
            if (!Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.ValidatePublicKeyFull(x, 0))
                throw DomainError.Invalid("invalid_public_key", "the Ed25519 key is not a point of the prime-order group (RFC 8032 §5.1.3): of small order, such as the identity, or not a point at all");
            return new IssuerPublicKey(alg, x);
        }
        var y = Coordinate(jwk, "y");
        if (!OnP256(x, y)) throw DomainError.Invalid("invalid_public_key", "the point (x, y) is not on the P-256 curve (SEC 1 §3.2.2.1)");
        return new IssuerPublicKey(alg, [0x04, .. x, .. y]);
    }

    /// <summary>The public JWK of a key in the registry: OKP Ed25519 for a server-held key and an EdDSA key, EC P-256 for ES256.</summary>
    public static JsonObject Of(string alg, string publicKey)
    {
        if (alg == KeyEntry.Es256 && Base64Url.Decode(publicKey) is var raw)
            return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(raw.AsSpan(1, CoordinateSize)), ["y"] = Base64Url.Encode(raw.AsSpan(1 + CoordinateSize)) };
        return new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = publicKey };
    }

    /// <summary>
    /// <c>alg</c>, <c>use</c>, <c>key_ops</c>, <c>ext</c> and <c>kid</c> are optional, but when present they must agree
    /// with the request: a key meant for something else is not registered as a statement-signing key.
    /// </summary>
    private static void CheckOptional(JsonElement jwk, string alg, string kid)
    {
        // RFC 9864 §2.2 names the fully specified Ed25519 algorithm "Ed25519"; RFC 8037 §3.1 the polymorphic "EdDSA".
        if (Text(jwk, "alg") is { } a && a != alg && !(alg == KeyEntry.EdDsa && a == "Ed25519"))
            throw DomainError.Invalid("jwk_alg_mismatch", $"the JWK's \"alg\" is \"{a}\", not \"{alg}\"");
        if (Text(jwk, "use") is { } use && use != "sig") throw DomainError.Invalid("jwk_alg_mismatch", "the JWK's \"use\" is not \"sig\" (RFC 7517 §4.2)");
        if (jwk.TryGetProperty("key_ops", out var ops))
        {
            if (ops.ValueKind != JsonValueKind.Array) throw Invalid("the JWK's \"key_ops\" must be an array (RFC 7517 §4.3)");
            foreach (var op in ops.EnumerateArray())
                if (op.ValueKind != JsonValueKind.String || !op.ValueEquals("verify")) throw DomainError.Invalid("jwk_alg_mismatch", "a public signing key's \"key_ops\" is [\"verify\"] (RFC 7517 §4.3)");
        }
        if (jwk.TryGetProperty("ext", out var ext) && ext.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Invalid("the JWK's \"ext\" must be a boolean");
        if (Text(jwk, "kid") is { } k && k != kid) throw Invalid($"the JWK's \"kid\" is \"{k}\", not the key's kid \"{kid}\"");
    }

    private static string? Text(JsonElement jwk, string name)
    {
        if (!jwk.TryGetProperty(name, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Invalid($"the JWK's \"{name}\" must be a string");
    }

    /// <summary>A coordinate: exactly 32 bytes in unpadded, canonical base64url (RFC 7518 §2 Base64urlUInt, §6.2.1.2; RFC 8037 §2).</summary>
    private static byte[] Coordinate(JsonElement jwk, string name)
    {
        string text = Text(jwk, name) ?? throw Invalid($"the JWK has no \"{name}\"");
        if (!Base64Url.TryDecode(text, out var bytes) || bytes.Length != CoordinateSize)
            throw Invalid($"the JWK's \"{name}\" must be {CoordinateSize} bytes in base64url without padding ({(CoordinateSize * 8 + 5) / 6} characters)");
        return bytes;
    }

    private static DomainError Invalid(string message) => DomainError.Invalid("invalid_jwk", message);

    // P-256 (SEC 2 §2.4.2, FIPS 186-5 §3.2.1.3): y^2 = x^3 - 3x + b over GF(p).
    private static readonly BigInteger P = Parse("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    private static readonly BigInteger B = Parse("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");

    private static BigInteger Parse(string hex) => new(Convert.FromHexString(hex), isUnsigned: true, isBigEndian: true);

    /// <summary>
    /// SEC 1 §3.2.2.1 steps 2 and 3: both coordinates are field elements (below p) and the point satisfies the curve
    /// equation. The point at infinity has no affine coordinates, so it cannot be sent; P-256's cofactor is 1, so
    /// every point on the curve is in the group (step 4).
    /// </summary>
    internal static bool OnP256(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        var bx = new BigInteger(x, isUnsigned: true, isBigEndian: true);
        var by = new BigInteger(y, isUnsigned: true, isBigEndian: true);
        if (bx >= P || by >= P) return false;
        var rhs = (BigInteger.ModPow(bx, 3, P) - 3 * bx + B) % P;
        if (rhs.Sign < 0) rhs += P;
        return BigInteger.ModPow(by, 2, P) == rhs;
    }
}
