using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>The gRPC endpoint with a certificate configured the ASP.NET way serves TLS and negotiates h2 by ALPN.</summary>
public sealed class GrpcTlsTests
{
    [Fact]
    public async Task a_certificate_on_the_grpc_endpoint_gives_tls_with_alpn_h2()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string dir = ServerProcess.NewDataDir();
        string pfx = Path.Combine(dir, "grpc.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "test"));
        await using var server = await ServerProcess.Start(dir, new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = "https://127.0.0.1:0",
            ["Kestrel__Endpoints__Grpc__Certificate__Path"] = pfx,
            ["Kestrel__Endpoints__Grpc__Certificate__Password"] = "test",
        });
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString();
        handler.SslOptions.ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2];
        using var client = new HttpClient(handler);
        using var call = new HttpRequestMessage(HttpMethod.Post, new Uri(server.GrpcUrl, "/attest.v1.Log/GetCheckpoint"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[5]), // one empty, uncompressed message
        };
        call.Content.Headers.ContentType = new("application/grpc");
        call.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(call);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Contains("test.attest.local/log", Encoding.UTF8.GetString(body));
    }
}
