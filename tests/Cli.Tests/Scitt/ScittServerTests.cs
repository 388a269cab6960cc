using System.Net;
using System.Text;
using System.Text.Json;

namespace Attest.Cli.Tests.Scitt;

/// <summary>
/// An outside issuer against a real server, through the CLI only: its own ES256 key (attest scitt keygen) registered
/// as a JWK, a statement signed and registered (attest scitt register, SCRAPI's 303 and 302), the service's keys
/// fetched (attest scitt keys), and the Transparent Statement verified offline (attest scitt verify) and by
/// @transmute/cose; the receipt's root is the signed checkpoint's root; refused statements append nothing.
/// </summary>
public sealed class ScittServerTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    private string PathOf(string name) => System.IO.Path.Combine(fixture.Dir, name);

    private async Task<string> IssuerApiKey()
    {
        var (status, key) = await fixture.Server.Client.Post("v1/api-keys", new { issuer_id = fixture.IssuerId, name = "scitt cli" });
        Assert.True(status == HttpStatusCode.Created, key.GetRawText());
        return key.GetProperty("key").GetString()!;
    }

    private async Task<(string KeyFile, string PublicFile)> RegisteredKey(string apiKey, string kid)
    {
        string keyFile = PathOf(kid + ".jwk"), publicFile = PathOf(kid + ".pub.json");
        var keygen = await AttestCli.Run(["scitt", "keygen", "--alg", "ES256", "--kid", kid, "--out", keyFile], directory: fixture.Dir);
        AttestCli.AssertExit(0, keygen);
        File.WriteAllText(publicFile, keygen.Stdout);
        var (status, body) = await fixture.Server.Client.Post($"v1/issuers/{fixture.IssuerId}/keys", JsonDocument.Parse(keygen.Stdout).RootElement, key: apiKey);
        Assert.True(status == HttpStatusCode.Created, body.GetRawText());
        return (keyFile, publicFile);
    }

    private async Task<string> Sign(string keyFile, string payload, string name)
    {
        string payloadFile = PathOf(name + ".txt"), output = PathOf(name + ".cose");
        File.WriteAllText(payloadFile, payload);
        var sign = await AttestCli.Run(["scitt", "sign", "--key", keyFile, "--iss", fixture.IssuerId, "--sub", "pkg:npm/left-pad@1.3.0",
            "--content-type", "text/plain", "--payload", payloadFile, "--out", output], directory: fixture.Dir);
        AttestCli.AssertExit(0, sign);
        return output;
    }

    [Fact]
    public async Task an_outside_issuer_registers_with_the_cli_and_verifies_the_receipt_offline_against_the_served_key_set()
    {
        string apiKey = await IssuerApiKey();
        var (keyFile, publicFile) = await RegisteredKey(apiKey, "supplier-" + Guid.NewGuid().ToString("N")[..8]);
        string statement = await Sign(keyFile, "build 1 passed", "statement");
        string transparent = PathOf("transparent.cose"), receipt = PathOf("receipt.cose");

        var register = await AttestCli.Run(["scitt", "register", "--server", fixture.Url, statement, "--out", transparent, "--receipt-out", receipt],
            apiKey: apiKey, directory: fixture.Dir);
        AttestCli.AssertExit(0, register);
        Assert.Matches("POST /entries: (303 See Other -> /entries/[0-9a-f]{64}|201 Created)", register.Stderr);
        string entryId = register.Stdout.Trim();
        Assert.Equal(Convert.ToHexStringLower(TestReceipts.Leaf(File.ReadAllBytes(statement)).Bytes), entryId);

        string keys = PathOf("scitt-keys.cbor");
        var fetched = await AttestCli.Run(["scitt", "keys", "--server", fixture.Url, "--out", keys], directory: fixture.Dir);
        AttestCli.AssertExit(0, fetched);
        Assert.Contains("ES256", fetched.Stdout);

        var verify = await AttestCli.Run(["scitt", "verify", "--service-key", keys, "--issuer-key", publicFile, transparent, "--json"], directory: fixture.Dir);
        AttestCli.AssertExit(0, verify);
        var report = JsonDocument.Parse(verify.Stdout).RootElement;
        Assert.Equal("VALID", report.GetProperty("verdict").GetString());
        Assert.True(report.GetProperty("issuer_checked").GetBoolean());
        Assert.Equal(entryId, report.GetProperty("leaf_hash").GetString());

        // The receipt's root is the root of the log's signed checkpoint of that size (nothing was logged since).
        var r = report.GetProperty("receipts")[0];
        string[] checkpoint = (await fixture.Server.Client.GetStringAsync("checkpoint")).Split('\n');
        Assert.Equal(r.GetProperty("tree_size").GetInt64().ToString(), checkpoint[1]);
        Assert.Equal(r.GetProperty("root_hash").GetString(), Convert.ToHexStringLower(Convert.FromBase64String(checkpoint[2])));

        // @transmute/cose, a COSE library nobody here wrote, verifies the same receipt over the statement as the leaf.
        string scitt = ExternalTools.Interop("scitt");
        await ExternalTools.NpmCi(scitt, "@transmute/cose");
        var node = await ExternalTools.Run("node", [System.IO.Path.Combine(scitt, "verify-receipt.mjs"), "--keys", keys, "--receipt", receipt, "--entry", statement],
            scitt, TimeSpan.FromMinutes(1));
        Assert.True(node.ExitCode == 0, node.ToString());
        var independent = JsonDocument.Parse(node.Stdout).RootElement;
        Assert.True(independent.GetProperty("verified").GetBoolean());
        Assert.Equal(r.GetProperty("root_hash").GetString(), independent.GetProperty("root").GetString());

        // The same statement again logs nothing and gets the first entry back.
        long size = await fixture.Server.Client.TreeSize();
        var again = await AttestCli.Run(["scitt", "register", "--server", fixture.Url, statement, "--out", PathOf("again.cose")], apiKey: apiKey, directory: fixture.Dir);
        AttestCli.AssertExit(0, again);
        Assert.Equal(entryId, again.Stdout.Trim());
        Assert.Equal(size, await fixture.Server.Client.TreeSize());
    }

    [Fact]
    public async Task a_statement_signed_by_another_key_under_a_registered_kid_is_refused_with_problem_details_and_appends_nothing()
    {
        string apiKey = await IssuerApiKey();
        string kid = "victim-" + Guid.NewGuid().ToString("N")[..8];
        await RegisteredKey(apiKey, kid);
        // The attacker's own key, claiming the registered kid.
        string forged = PathOf("attacker.jwk");
        AttestCli.AssertExit(0, await AttestCli.Run(["scitt", "keygen", "--alg", "ES256", "--kid", kid, "--out", forged], directory: fixture.Dir));
        string statement = await Sign(forged, "a forged release", "forged");

        long size = await fixture.Server.Client.TreeSize();
        var register = await AttestCli.Run(["scitt", "register", "--server", fixture.Url, statement, "--out", PathOf("forged-transparent.cose")],
            apiKey: apiKey, directory: fixture.Dir);
        AttestCli.AssertExit(1, register);
        Assert.Matches("error: the service answered 4[0-9][0-9]: ", register.Stderr);
        Assert.False(File.Exists(PathOf("forged-transparent.cose")));
        Assert.Equal(size, await fixture.Server.Client.TreeSize());
    }
}
