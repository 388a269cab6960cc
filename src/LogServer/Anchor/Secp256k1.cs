using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;

namespace Attest.LogServer.Anchor;

/// <summary>
/// The secp256k1 curve (SEC 2 v2 §2.4.1), Ethereum's signature curve.
/// </summary>
internal static class Secp256k1
{
    // CustomNamedCurves rather than SecNamedCurves: the same parameters, on BouncyCastle's specialised field
    // arithmetic for this curve, which is several times faster than the generic prime-field code.
    private static readonly X9ECParameters Parameters = CustomNamedCurves.GetByName("secp256k1");

    public static ECDomainParameters Domain { get; } = new(Parameters.Curve, Parameters.G, Parameters.N, Parameters.H);

    public static BigInteger N => Domain.N;

    /// <summary>n/2 rounded down: EIP-2's bound on s.</summary>
    public static BigInteger HalfN { get; } = Parameters.N.ShiftRight(1);
}
