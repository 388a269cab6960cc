using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Cli.Tests.Verify;

/// <summary>
/// <c>attest verify</c> on the bundle of an anchored attestation: a real EVM node (anvil, tests/interop/evm) that the
/// server anchors to, and that <c>--rpc-url</c> asks for the transaction. Fails, never skips, when anvil is missing.
/// </summary>
public sealed class AnchoredVerifyTests
{
    [Fact]
    public async Task an_anchored_bundle_passes_the_anchor_checks_offline_and_on_the_chain_and_a_changed_calldata_fails_both()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await AnchoringServer.Start(anvil);
        string dir = Directory.CreateTempSubdirectory("attest-anchored-").FullName;
        try
        {
            var (status, issuer) = await server.Client.Post("v1/issuers", new { name = "Anchored University" });
            Assert.Equal(HttpStatusCode.Created, status);
            string issuerId = issuer.GetProperty("id").GetString()!;
            Assert.Equal(HttpStatusCode.Created, (await server.Client.Post($"v1/issuers/{issuerId}/keys", new { kid = "anchored" })).Status);
            var mint = await AttestCli.Run(["mint", "--url", server.BaseAddress.ToString(), "--issuer", issuerId, "--kid", "anchored", "--schema", "degree",
                "--claims", IssuerFixture.DegreeClaims("Anchored Graduate")], ServerProcess.AdminKey, dir);
            AttestCli.AssertExit(0, mint);
            var attestation = JsonDocument.Parse(mint.Stdout).RootElement;
            long index = attestation.GetProperty("log_index").GetInt64();
            await AnchoringServer.WaitForAnchored(server, index);

            string bundle = Path.Combine(dir, "bundle.json");
            // As the holder would: with the holder token the mint returned (the payload comes only with it or the issuer's key).
            AttestCli.AssertExit(0, await AttestCli.Run(["bundle", attestation.GetProperty("id").GetString()!, "--url", server.BaseAddress.ToString(), "--out", bundle],
                directory: dir, holderToken: attestation.GetProperty("holder_token").GetString()));
            string logKey = (await server.Client.Get("v1/log/key", key: null)).Body.GetProperty("verifier_key").GetString()!;

            var offline = Checks(await AttestCli.Run(["verify", bundle, "--log-key", logKey, "--json"], directory: dir));
            Assert.Equal("pass", offline["anchor"]);
            Assert.Equal("skip", offline["anchor_chain"]);

            var online = await AttestCli.Run(["verify", bundle, "--log-key", logKey, "--rpc-url", anvil.RpcUrl], directory: dir);
            AttestCli.AssertExit(0, online);
            Assert.Matches(@"(?m)^  pass  anchor_chain +chain 31337 holds transaction 0x[0-9a-f]{64} ", online.Stdout);

            // Calldata naming another root: the log side and the chain side both refuse it.
            var tampered = JsonNode.Parse(File.ReadAllText(bundle))!;
            string calldata = tampered["anchor"]!["calldata"]!.GetValue<string>();
            tampered["anchor"]!["calldata"] = calldata[..40] + (calldata[40] == '0' ? '1' : '0') + calldata[41..];
            string tamperedPath = Path.Combine(dir, "tampered.json");
            File.WriteAllText(tamperedPath, tampered.ToJsonString());
            var bad = await AttestCli.Run(["verify", tamperedPath, "--log-key", logKey, "--rpc-url", anvil.RpcUrl, "--json"], directory: dir);
            AttestCli.AssertExit(1, bad);
            var badChecks = Checks(bad);
            Assert.Equal(["anchor", "anchor_chain"], badChecks.Where(c => c.Value == "fail").Select(c => c.Key).Order());

            // A node that is not there: the chain side fails, saying it could not confirm.
            using var closed = new ReservedPort();
            var noNode = Checks(await AttestCli.Run(["verify", bundle, "--rpc-url", closed.Url, "--json"], directory: dir));
            Assert.Equal("fail", noNode["anchor_chain"]);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, string> Checks(ProcessResult r) =>
        JsonDocument.Parse(r.Stdout).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("result").GetString()!);
}
