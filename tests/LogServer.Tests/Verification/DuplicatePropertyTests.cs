using System.Net;
using System.Text;
using System.Text.Json;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// A bundle with a property twice in one object means one thing to a parser that keeps the first and another to one
/// that keeps the last (JSON.parse): every verifier refuses it as malformed rather than pick one.
/// </summary>
public sealed class DuplicatePropertyTests : IAsyncLifetime
{
    private ServerProcess server = null!;
    private string dir = null!;
    private string bundle = null!;

    public async Task InitializeAsync()
    {
        server = await ServerProcess.Start();
        dir = Directory.CreateTempSubdirectory("attest-duplicate-").FullName;
        string good = await File.ReadAllTextAsync(Path.Combine(BundleVectors.CommittedDir, "good.json"));
        // The signed payload's schema, twice: "forged" first, the signed value last, where JSON.parse looks.
        const string schema = "\"schema\": \"degree\"";
        Assert.Contains(schema, good);
        bundle = Path.Combine(dir, "twice.json");
        await File.WriteAllTextAsync(bundle, good.Replace(schema, "\"sch\\u0065ma\": \"forged\", " + schema, StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(server.DataDir, recursive: true);
        Directory.Delete(dir, recursive: true);
    }

    private static string LogKey => File.ReadAllText(Path.Combine(BundleVectors.CommittedDir, BundleVectors.LogKeyFile)).Trim();

    [Fact]
    public async Task attest_verify_refuses_a_bundle_with_a_property_twice_with_exit_code_2()
    {
        var r = await ExternalTools.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "attest.dll"), "verify", bundle, "--log-key", LogKey], dir, TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("Duplicate property 'schema'", r.Stderr);
    }

    [Fact]
    public async Task the_independent_verifier_refuses_a_bundle_with_a_property_twice_with_exit_code_2()
    {
        var r = await IndependentVerifier.RunFile(bundle, "--log-key", LogKey);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("\"schema\" twice", r.Stdout + r.Stderr);
    }

    [Fact]
    public async Task the_web_page_refuses_a_bundle_with_a_property_twice()
    {
        string trust = Path.Combine(dir, "log.vkey");
        await File.WriteAllTextAsync(trust, LogKey);
        var seen = await VerificationPage.RunPage(server, "verify-bundle", bundle, "--trust", trust);
        var result = seen.GetProperty("result");
        Assert.Equal(JsonValueKind.Null, result.GetProperty("verdict").ValueKind);
        var message = result.GetProperty("message");
        Assert.Equal("error", message.GetProperty("kind").GetString());
        Assert.Contains("the property \"schema\" occurs twice", message.GetProperty("text").GetString());
    }

    [Fact]
    public async Task the_servers_verify_refuses_a_bundle_with_a_property_twice()
    {
        string body = "{\"bundle\": " + await File.ReadAllTextAsync(bundle) + "}";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync("v1/verify", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
