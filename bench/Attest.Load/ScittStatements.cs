using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Attest.Verification;
using Attest.Verification.Scitt;

namespace Attest.Load;

/// <summary>
/// The SCITT registration scenario's issuer: an issuer with its own P-256 key, registered as an issuer-held key
/// (<c>POST /v1/issuers/{id}/keys</c> with a JWK), and a pool of distinct Signed Statements it signed before the run.
/// </summary>
public static class ScittStatements
{
    public static readonly MediaTypeHeaderValue Cose = new("application/cose");

    public static async Task<byte[][]> Prepare(RestChannel rest, int count)
    {
        string issuer = (await rest.Json(HttpMethod.Post, "v1/issuers", new { name = "Load Test Supplier" })).GetProperty("id").GetString()!;
        string kid = "load-es256-" + Guid.NewGuid().ToString("N")[..12];
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        await rest.Json(HttpMethod.Post, $"v1/issuers/{issuer}/keys",
            new { kid, alg = "ES256", jwk = new { kty = "EC", crv = "P-256", x = Base64Url.Encode(q.X), y = Base64Url.Encode(q.Y) } });

        var watch = Stopwatch.StartNew();
        byte[] protectedHeader = SignedStatement.ProtectedHeader(CoseKey.ES256, kid, issuer, "pkg:generic/load-test@1.0");
        var pool = new byte[count][];
        var parameters = key.ExportParameters(true);
        Parallel.For(0, Environment.ProcessorCount, part =>
        {
            using var signer = ECDsa.Create(parameters);
            Span<byte> payload = stackalloc byte[64];
            for (int i = part; i < count; i += Environment.ProcessorCount)
            {
                // A distinct payload per statement: registering the same bytes twice logs nothing the second time.
                RandomNumberGenerator.Fill(payload);
                byte[] signature = signer.SignData(CoseSign1.SigStructure(protectedHeader, payload), HashAlgorithmName.SHA256);
                pool[i] = CoseSign1.Encode(protectedHeader, [0xA0], payload, detached: false, signature);
            }
        });
        Console.Error.WriteLine($"signed {count:N0} ES256 statements in {watch.Elapsed.TotalSeconds:0.0} s");
        return pool;
    }
}
