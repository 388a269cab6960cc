using System.Net;
using System.Text.Json;

namespace Attest.Cli.Tests;

/// <summary>Runs the built <c>attest</c> (attest.dll beside this test assembly) as a real process.</summary>
public static class AttestCli
{
    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "attest.dll");

    /// <summary>
    /// Runs <c>dotnet attest.dll args…</c> in <paramref name="directory"/> (default: a temp dir) with ATTEST_API_KEY and
    /// ATTEST_HOLDER_TOKEN (and ATTEST_URL) unset unless given.
    /// </summary>
    public static Task<ProcessResult> Run(string[] args, string? apiKey = null, string? directory = null, TimeSpan? timeout = null, string? holderToken = null, string? url = null)
    {
        if (!File.Exists(Dll)) throw new FileNotFoundException("the CLI build output is missing", Dll);
        var env = new Dictionary<string, string?> { ["ATTEST_API_KEY"] = apiKey, ["ATTEST_URL"] = url, ["ATTEST_HOLDER_TOKEN"] = holderToken };
        return ExternalTools.Run("dotnet", [Dll, .. args], directory ?? Path.GetTempPath(), timeout ?? TimeSpan.FromMinutes(2), env);
    }

    public static Task<ProcessResult> Run(params string[] args) => Run(args, null);

    public static void AssertExit(int expected, ProcessResult result) =>
        Assert.True(result.ExitCode == expected, $"expected exit {expected}: {result}");
}

/// <summary>A server with one issuer and one key, for minting through the CLI; and a scratch directory.</summary>
public sealed class IssuerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public string IssuerId { get; private set; } = "";

    public string Kid { get; private set; } = "";

    public string VerifierKey { get; private set; } = "";

    public string Dir { get; } = Directory.CreateTempSubdirectory("attest-cli-test-").FullName;

    public string Url => Server.BaseAddress.ToString();

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.Start();
        var (status, issuer) = await Server.Client.Post("v1/issuers", new { name = "Universität Ærøskøbing" });
        Assert.Equal(HttpStatusCode.Created, status);
        IssuerId = issuer.GetProperty("id").GetString()!;
        Kid = "cli-" + Guid.NewGuid().ToString("N")[..8];
        (status, _) = await Server.Client.Post($"v1/issuers/{IssuerId}/keys", new { kid = Kid });
        Assert.Equal(HttpStatusCode.Created, status);
        VerifierKey = (await Server.Client.Get("v1/log/key", key: null)).Body.GetProperty("verifier_key").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
        Directory.Delete(Dir, recursive: true);
    }

    public static string DegreeClaims(string name) => JsonSerializer.Serialize(new
    {
        student_name = name, institution = "東京大学", degree_type = "Master of Science", field_of_study = "Kryptographie ✨",
        graduation_date = "2026-06-30", honors = "summa cum laude",
    });

    /// <summary>Mints with <c>attest mint</c> (optionally attesting a document file, or with another key) and returns the attestation JSON.</summary>
    public async Task<JsonElement> Mint(string name, string? documentPath = null, string? kid = null)
    {
        string[] args = ["mint", "--url", Url, "--issuer", IssuerId, "--kid", kid ?? Kid, "--schema", "degree", "--claims", DegreeClaims(name)];
        if (documentPath is not null) args = [.. args, "--document", documentPath];
        var result = await AttestCli.Run(args, ServerProcess.AdminKey, Dir);
        AttestCli.AssertExit(0, result);
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    /// <summary>Fetches the attestation's bundle with <c>attest bundle --out</c>; returns the file's path.</summary>
    public async Task<string> Bundle(string attestationId)
    {
        string path = Path.Combine(Dir, $"bundle-{Guid.NewGuid():N}.json");
        // The payload needs the issuer's key (or the holder token): without either the server gives only the public part.
        var result = await AttestCli.Run(["bundle", attestationId, "--url", Url, "--out", path], ServerProcess.AdminKey, Dir);
        AttestCli.AssertExit(0, result);
        return path;
    }

    public string WriteFile(string name, string text)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
