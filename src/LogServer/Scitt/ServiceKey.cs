using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Storage;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Scitt;

/// <summary>
/// The transparency service's receipt key: ECDSA P-256, signing ES256 receipts (RFC 9942) only. It is not the log's
/// Ed25519 checkpoint key: a receipt verifier needs a COSE key of an algorithm COSE libraries carry, and a leak of one
/// key forges neither the other's checkpoints nor its receipts. Configured as a PKCS#8 PEM file
/// (<c>Attest:Log:ReceiptKeyFile</c>), else <c>scitt-key.pem</c> in the data dir, generated at first start (mode 0600).
/// </summary>
public sealed class ServiceKey : IDisposable
{
    private readonly ECDsa key;

    private ServiceKey(ECDsa key)
    {
        this.key = key;
        Public = key.ExportParameters(includePrivateParameters: false);
        Kid = CoseKey.Thumbprint(Public);
        KidText = System.Buffers.Text.Base64Url.EncodeToString(Kid);
        var w = new CborWriter(CborConformanceMode.Ctap2Canonical);
        CoseKey.WriteP256(w, Public, Kid);
        CoseKeyBytes = w.Encode();
        w.Reset();
        // RFC 9052 §7: a COSE_KeySet is an array of COSE_Key.
        w.WriteStartArray(1);
        w.WriteEncodedValue(CoseKeyBytes);
        w.WriteEndArray();
        KeySetBytes = w.Encode();
    }

    /// <summary>The RFC 9679 COSE Key Thumbprint of the public key (32 bytes): the <c>kid</c> of every receipt.</summary>
    public byte[] Kid { get; }

    /// <summary><see cref="Kid"/> in base64url without padding: how SCRAPI names it in <c>/.well-known/scitt-keys/{kid}</c>.</summary>
    public string KidText { get; }

    public ECParameters Public { get; }

    /// <summary>The public key as a COSE_Key (RFC 9052 §7).</summary>
    public byte[] CoseKeyBytes { get; }

    /// <summary>The COSE Key Set of every key receipts are signed with (one: this one).</summary>
    public byte[] KeySetBytes { get; }

    /// <summary>An ES256 signature (RFC 9053 §2.1): SHA-256, then r || s, 32 bytes each.</summary>
    public byte[] Sign(ReadOnlySpan<byte> toBeSigned) => key.SignData(toBeSigned, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => key.Dispose();

    /// <summary>A key of a PKCS#8 PEM text (<c>-----BEGIN PRIVATE KEY-----</c>, or SEC1's <c>EC PRIVATE KEY</c>) on P-256.</summary>
    /// <exception cref="InvalidOperationException">when it is not a P-256 private key.</exception>
    public static ServiceKey FromPem(string pem, string what)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var p = key.ExportParameters(includePrivateParameters: false);
            if (p.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new InvalidOperationException($"{what} is not a P-256 key (ES256 receipts need one)");
            return new ServiceKey(key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidOperationException($"{what} is not a PEM private key (PKCS#8 \"PRIVATE KEY\" or \"EC PRIVATE KEY\"): {e.Message}");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The configured key file, else <c>scitt-key.pem</c> in the data dir, generated on first start and kept (written
    /// durably, owner-only): receipts already handed out stay verifiable across restarts.
    /// </summary>
    public static ServiceKey Load(AttestOptions options, ILogger logger)
    {
        if (options.Log.ReceiptKeyFile is { Length: > 0 } configured)
        {
            if (!File.Exists(configured)) throw new InvalidOperationException($"Attest:Log:ReceiptKeyFile names {configured}, which does not exist");
            return FromPem(File.ReadAllText(configured), $"Attest:Log:ReceiptKeyFile ({configured})");
        }
        string path = Path.Combine(options.DataDir, "scitt-key.pem");
        if (File.Exists(path)) return FromPem(File.ReadAllText(path), path);
        using (var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            DurableFile.Write(path, Encoding.ASCII.GetBytes(fresh.ExportPkcs8PrivateKeyPem() + "\n"));
        var key = FromPem(File.ReadAllText(path), path);
        logger.LogInformation("Generated a new receipt key in {Path}; kid {Kid}", path, key.KidText);
        return key;
    }
}
