using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Attest.Verification;
using Attest.Verification.Scitt;

namespace Attest.Cli.Scitt;

/// <summary>
/// An issuer-held signing key in a private JWK file: <c>{"kty":"EC","crv":"P-256","x","y","d"}</c> (RFC 7518 §6.2) for
/// ES256 or <c>{"kty":"OKP","crv":"Ed25519","x","d"}</c> (RFC 8037 §2) for EdDSA, with its "kid" and "alg". The file
/// is written once, mode 0600; read back strictly (it is a file like any other, and may have been edited).
/// </summary>
public sealed class IssuerKeyFile : IDisposable
{
    public const int MaxBytes = 4096;
    private readonly ECDsa? ec;
    private readonly Ed25519PrivateKey? ed;

    private IssuerKeyFile(string kid, long alg, ECDsa? ec, Ed25519PrivateKey? ed)
    {
        Kid = kid;
        Alg = alg;
        this.ec = ec;
        this.ed = ed;
    }

    public string Kid { get; }

    /// <summary><see cref="CoseKey.ES256"/> or <see cref="CoseKey.EdDSA"/>.</summary>
    public long Alg { get; }

    public string AlgName => Alg == CoseKey.ES256 ? "ES256" : "EdDSA";

    public static IssuerKeyFile Generate(string alg, string? kid)
    {
        var key = alg switch
        {
            "ES256" => new IssuerKeyFile("", CoseKey.ES256, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
            "EdDSA" => new IssuerKeyFile("", CoseKey.EdDSA, null, Ed25519PrivateKey.Generate()),
            _ => throw new UsageException($"--alg {alg}: ES256 or EdDSA"),
        };
        return kid is null ? key.WithKid(key.Thumbprint()) : key.WithKid(kid);
    }

    private IssuerKeyFile WithKid(string kid) => new(kid, Alg, ec, ed);

    /// <summary>The public JWK (RFC 7517), without kid or alg: the <c>jwk</c> of <c>POST /v1/issuers/{id}/keys</c>.</summary>
    public JsonObject PublicJwk()
    {
        if (ec is not null)
        {
            var p = ec.ExportParameters(false);
            return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(p.Q.X), ["y"] = Base64Url.Encode(p.Q.Y) };
        }
        return new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = Base64Url.Encode(ed!.PublicKey) };
    }

    /// <summary>The body of <c>POST /v1/issuers/{id}/keys</c> registering this key: <c>{"kid","alg","jwk"}</c>.</summary>
    public JsonObject RegistrationBody() => new() { ["kid"] = Kid, ["alg"] = AlgName, ["jwk"] = PublicJwk() };

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256 of the required members in lexicographic order), base64url: the default kid.</summary>
    public string Thumbprint()
    {
        var jwk = PublicJwk();
        string canonical = ec is not null
            ? $$"""{"crv":"P-256","kty":"EC","x":"{{jwk["x"]}}","y":"{{jwk["y"]}}"}"""
            : $$"""{"crv":"Ed25519","kty":"OKP","x":"{{jwk["x"]}}"}""";
        return Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>The public key, to check what this key signed.</summary>
    public CoseKey PublicKey()
    {
        if (ec is null) return CoseKey.Ed25519Key(ed!.PublicKey, Encoding.UTF8.GetBytes(Kid));
        var p = ec.ExportParameters(false);
        return CoseKey.P256(p.Q.X, p.Q.Y, Encoding.UTF8.GetBytes(Kid));
    }

    /// <summary>A COSE signature over <paramref name="toBeSigned"/>: ES256 as r || s (RFC 9053 §2.1), EdDSA per RFC 8032.</summary>
    public byte[] Sign(ReadOnlySpan<byte> toBeSigned) =>
        ec is not null ? ec.SignData(toBeSigned, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation) : ed!.Sign(toBeSigned);

    /// <summary>Writes the private JWK to a new file with mode 0600 (never replacing one).</summary>
    public void Write(string path)
    {
        var jwk = PublicJwk();
        if (ec is not null)
        {
            var p = ec.ExportParameters(true);
            jwk["d"] = Base64Url.Encode(p.D);
            CryptographicOperations.ZeroMemory(p.D);
        }
        else
        {
            Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
            ed!.ExportSeed(seed);
            jwk["d"] = Base64Url.Encode(seed);
            CryptographicOperations.ZeroMemory(seed);
        }
        jwk["kid"] = Kid;
        jwk["alg"] = AlgName;
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.UTF8.GetBytes(jwk.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            throw new UsageException(File.Exists(path) ? $"--out {path} exists; not overwriting a key" : $"cannot write {path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"cannot write {path}: {e.Message}");
        }
    }

    /// <summary>Reads a private JWK file; every problem is a <see cref="UsageException"/> naming the file.</summary>
    public static IssuerKeyFile Read(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UsageException($"--key {path}: no such file");
            if (info.Length > MaxBytes) throw new UsageException($"--key {path} is {info.Length} bytes: a JWK is at most {MaxBytes}");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --key {path}: {e.Message}");
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false });
            var jwk = doc.RootElement;
            if (jwk.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
            string? Member(string name) => jwk.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw new FormatException($"\"{name}\" is not a string") : null;
            byte[] B64(string name) => Member(name) is { } s && Base64Url.TryDecode(s, out var b) ? b : throw new FormatException($"\"{name}\" is missing or not base64url");
            foreach (var p in jwk.EnumerateObject())
                if (p.Name is not ("kty" or "crv" or "x" or "y" or "d" or "kid" or "alg" or "use" or "key_ops")) throw new FormatException($"unknown member \"{p.Name}\"");
            string kid = Member("kid") is { Length: > 0 } k ? k : throw new FormatException("no \"kid\" (give the key's kid in the file, as attest scitt keygen writes it)");
            string? alg = Member("alg");
            IssuerKeyFile key;
            switch (Member("kty"), Member("crv"))
            {
                case ("EC", "P-256") when alg is null or "ES256":
                {
                    byte[] x = B64("x"), y = B64("y"), d = B64("d");
                    if (x.Length != 32 || y.Length != 32 || d.Length != 32) throw new FormatException("a P-256 x, y and d are 32 bytes each");
                    var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y }, D = d });
                    CryptographicOperations.ZeroMemory(d);
                    key = new IssuerKeyFile(kid, CoseKey.ES256, ec, null);
                    break;
                }
                case ("OKP", "Ed25519") when alg is null or "EdDSA":
                {
                    byte[] d = B64("d"), x = B64("x");
                    if (d.Length != Ed25519.SeedSize) throw new FormatException("an Ed25519 d is 32 bytes");
                    var ed = Ed25519PrivateKey.FromSeed(d);
                    CryptographicOperations.ZeroMemory(d);
                    if (!ed.PublicKey.SequenceEqual(x)) throw new FormatException("\"x\" is not the public key of \"d\"");
                    key = new IssuerKeyFile(kid, CoseKey.EdDSA, null, ed);
                    break;
                }
                default:
                    throw new FormatException("only EC P-256 (ES256) and OKP Ed25519 (EdDSA) keys are supported");
            }
            return key;
        }
        catch (Exception e) when (e is JsonException or FormatException or CryptographicException or ArgumentException)
        {
            throw new UsageException($"--key {path} is not a private JWK of an ES256 or EdDSA key: {e.Message}");
        }
    }

    public void Dispose()
    {
        ec?.Dispose();
        ed?.Dispose();
    }
}
