using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Attest.Cli.Tests.Scitt;

/// <summary>
/// <c>attest scitt keys</c> and <c>attest scitt verify --receipt</c> against a real server: a stamp's COSE receipt
/// (<c>GET /v1/log/entries/{index}/receipt</c>) verifies against the served key set, over the signed checkpoint's root.
/// </summary>
public sealed class ScittReceiptServerTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    private string PathOf(string name) => System.IO.Path.Combine(fixture.Dir, name);

    [Fact]
    public async Task a_stamps_receipt_verifies_with_the_cli_against_the_served_key_set_over_the_checkpoints_root()
    {
        var (status, stamp) = await fixture.Server.Client.Post("v1/stamps", new { content_hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) });
        Assert.Equal(HttpStatusCode.Created, status);
        long index = stamp.GetProperty("log_index").GetInt64();
        string entry = PathOf($"stamp-{index}.json"), receipt = PathOf($"receipt-{index}.cose"), keys = PathOf("keys.cbor");
        File.WriteAllBytes(entry, Encoding.UTF8.GetBytes(stamp.GetProperty("entry").GetString()!));

        // 503 checkpoint_pending until a signed checkpoint covers the stamp (about a second).
        HttpResponseMessage response;
        for (int attempt = 0; (response = await fixture.Server.Client.GetAsync($"v1/log/entries/{index}/receipt")).StatusCode != HttpStatusCode.OK; attempt++)
        {
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 100, $"receipt: {(int)response.StatusCode}");
            await Task.Delay(200);
        }
        Assert.Equal("application/cose", response.Content.Headers.ContentType?.MediaType);
        File.WriteAllBytes(receipt, await response.Content.ReadAsByteArrayAsync());

        var fetched = await AttestCli.Run(["scitt", "keys", "--server", fixture.Url, "--out", keys], directory: fixture.Dir);
        AttestCli.AssertExit(0, fetched);
        Assert.Matches("^kid [A-Za-z0-9_-]{43}  ES256  04[0-9a-f]{128}", fetched.Stdout);

        var verify = await AttestCli.Run(["scitt", "verify", "--service-key", keys, "--receipt", receipt, entry, "--json"], directory: fixture.Dir);
        AttestCli.AssertExit(0, verify);
        var found = JsonDocument.Parse(verify.Stdout).RootElement.GetProperty("receipts")[0];
        Assert.Equal(index, found.GetProperty("leaf_index").GetInt64());

        // The receipt's root is the root of the signed checkpoint of its size (nothing was logged after the stamp).
        string[] checkpoint = (await fixture.Server.Client.GetStringAsync("checkpoint")).Split('\n');
        Assert.Equal(checkpoint[1], found.GetProperty("tree_size").GetInt64().ToString());
        Assert.Equal(Convert.ToHexStringLower(Convert.FromBase64String(checkpoint[2])), found.GetProperty("root_hash").GetString());

        // Another entry's bytes with this receipt: INVALID.
        File.WriteAllText(PathOf("other.json"), """{"type":"stamp/v1"}""");
        var other = await AttestCli.Run(["scitt", "verify", "--service-key", keys, "--receipt", receipt, PathOf("other.json")], directory: fixture.Dir);
        AttestCli.AssertExit(1, other);
    }
}
