using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Anchoring;

/// <summary>
/// Anchoring against a real EVM node (anvil), read back by ethers: the happy path, and the faults the design names
/// (node down, server killed mid-anchor, dropped and replaced transactions, a reorg, a chain without base fee).
/// After every scenario the chain and the log must agree: each logged anchor is one mined transaction from the
/// anchoring account, sizes strictly grow, and the account sent nothing else (so no size was anchored twice).
/// </summary>
public sealed class AnchorTests
{
    private const string Origin = "test.attest.local/log";

    private static Task<ServerProcess> StartServer(AnvilProcess anvil, string? dataDir = null, params (string Key, string Value)[] settings) =>
        AnchoringServer.Start(anvil, dataDir, settings);

    [Fact]
    public async Task checkpoints_are_anchored_on_chain_and_each_transaction_decodes_to_a_signed_checkpoint()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await StartServer(anvil);
        for (int round = 0; round < 3; round++)
        {
            long last = 0;
            for (int i = 0; i < 5; i++) last = LogIndex(await server.Client.Stamp($"anchored {round} {i}"));
            await AnchoredUpTo(server, last);
        }
        var anchors = await AssertChainAndLogAgree(anvil, server);
        Assert.True(anchors.Count >= 3, $"three rounds of stamps gave {anchors.Count} anchors");

        // Idle: an anchor entry grows the tree, but is not itself a reason to anchor again.
        await Task.Delay(1500);
        Assert.Equal(anchors.Count, (await AllAnchors(server)).Count);
        var status = (await server.Client.Get("v1/anchors/status", key: null)).Body;
        Assert.Equal(0, status.GetProperty("lag_entries").GetInt64());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("pending").ValueKind);

        var latest = (await server.Client.Get("v1/anchors/latest", key: null)).Body;
        Assert.Equal(anchors[^1].Str("tx_hash"), latest.Str("tx_hash"));
        Assert.Equal(anchors.Count - 1, latest.GetProperty("sequence").GetInt64());
        var page = (await server.Client.Get("v1/anchors?start=1&limit=1", key: null)).Body;
        Assert.Equal(anchors[1].Str("tx_hash"), page.GetProperty("anchors")[0].Str("tx_hash"));
        Assert.Equal(2, page.GetProperty("next_start").GetInt64());
        Http.AssertError(await server.Client.Get("v1/anchors?limit=0", key: null), HttpStatusCode.BadRequest, "parameter_out_of_range");
        Http.AssertError(await server.Client.Get("v1/anchors?start=x", key: null), HttpStatusCode.BadRequest, "invalid_parameter");

        // The gRPC log service serves the same anchors, and streams them.
        var (grpcStatus, _, reply) = await RawGrpc.CallAs(server, null, "/attest.v1.Log/ListAnchors", new Attest.V1.ListAnchorsRequest());
        Assert.Equal(0, grpcStatus);
        var list = Attest.V1.ListAnchorsResponse.Parser.ParseFrom(reply);
        Assert.Equal(anchors.Count, list.Anchors.Count);
        Assert.Equal(anchors[^1].Str("tx_hash"), list.Anchors[^1].TxHash);
        Assert.Equal(anchors[^1].GetProperty("tree_size").GetInt64(), list.Anchors[^1].TreeSize);
        var streamed = await GrpcStream(server, "/attest.v1.Log/StreamAnchors", new Attest.V1.StreamAnchorsRequest { Start = 1 }, anchors.Count - 1);
        Assert.Equal(anchors.Skip(1).Select(a => a.Str("tx_hash")), streamed.Select(b => Attest.V1.Anchor.Parser.ParseFrom(b).TxHash));
    }

    [Fact]
    public async Task a_proof_bundle_carries_the_earliest_anchor_covering_the_entry_with_its_inclusion_at_the_anchored_size()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await StartServer(anvil);
        var client = server.Client;
        var (_, issuer) = await client.Post("v1/issuers", new { name = "Anchored University" });
        string issuerId = issuer.Str("id"), kid = "anc-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await client.Post($"v1/issuers/{issuerId}/keys", new { kid })).Status);
        var attestation = await client.Mint(AttestApi.MintBody(issuerId, kid));
        long index = attestation.GetProperty("log_index").GetInt64();
        await AnchoredUpTo(server, index);
        long last = 0;
        for (int i = 0; i < 3; i++) last = LogIndex(await client.Stamp("later " + i)); // later anchors must not replace the earliest one
        await AnchoredUpTo(server, last);

        var anchors = await AssertChainAndLogAgree(anvil, server);
        var earliest = anchors.First(a => a.GetProperty("tree_size").GetInt64() > index);
        var (_, bundle) = await client.Get($"v1/attestations/{attestation.Str("id")}/proof-bundle", key: ServerProcess.AdminKey);
        var anchor = bundle.GetProperty("anchor");
        Assert.Equal(earliest.Str("tx_hash"), anchor.Str("tx_hash"));
        Assert.Equal(earliest.GetProperty("tree_size").GetInt64(), anchor.GetProperty("tree_size").GetInt64());

        // Offline: the entry is in the anchored checkpoint (signed by the log), and that checkpoint is what the chain holds.
        var verifier = await client.LogVerifier();
        Assert.True(TlogProof.TryParse(anchor.Str("tlog_proof"), out var proof));
        var cp = OpenCheckpoint(proof!.SignedCheckpoint, verifier);
        Assert.Equal(earliest.GetProperty("tree_size").GetInt64(), cp.Size);
        Assert.Equal(index, proof.Index);
        var entry = Encoding.UTF8.GetBytes(bundle.GetProperty("log_entry").Str("entry"));
        Assert.True(InclusionProof.Verify(index, cp.Size, Rfc6962.HashLeaf(entry), [.. proof.Proof], cp.Root));
        var onChain = await anvil.ReadWithEthers(anchor.Str("tx_hash"));
        Assert.Equal(anchor.Str("calldata"), onChain.Str("data"));
        Assert.Equal(cp.Root.ToBase64(), onChain.GetProperty("calldata").Str("root_hash"));

        // The anchor record is itself a logged entry, proven in the bundle's checkpoint.
        var logged = anchor.GetProperty("log_entry");
        Assert.True(TlogProof.TryParse(logged.Str("tlog_proof"), out var anchorProof));
        var bundleCp = OpenCheckpoint(anchorProof!.SignedCheckpoint, verifier);
        Assert.True(InclusionProof.Verify(logged.GetProperty("index").GetInt64(), bundleCp.Size,
            Rfc6962.HashLeaf(Encoding.UTF8.GetBytes(logged.Str("entry"))), [.. anchorProof.Proof], bundleCp.Root));
        Assert.Equal(anchor.Str("tx_hash"), JsonDocument.Parse(logged.Str("entry")).RootElement.Str("tx_hash"));

        var verdict = await client.Verify(new { bundle });
        Assert.Equal("VALID", verdict.Str("verdict"));
        Assert.Contains("anchor_proof_ok", verdict.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));

        // The independent verifier (npm packages, no code of ours) accepts the anchor evidence under the log's published key.
        var (_, keys) = await client.Get(".well-known/attest-keys.json", key: null);
        string logKey = keys.GetProperty("log").Str("verifier_key");
        var independent = await IndependentVerifier.Run(bundle.GetRawText(), logKey);
        Assert.True(independent.ExitCode == 0, independent.ToString());
        Assert.Equal("pass", JsonDocument.Parse(independent.Stdout).RootElement.GetProperty("checks").Str("anchor"));

        // An anchor claiming another root is caught, by the server and by the independent verifier.
        var tampered = JsonNode.Parse(bundle.GetRawText())!;
        tampered["anchor"]!["root_hash"] = Convert.ToBase64String(new byte[32]);
        var bad = await client.Verify(new { bundle = tampered });
        Assert.Equal("ALTERED", bad.Str("verdict"));
        Assert.Contains("anchor_proof_invalid", bad.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        var rejected = await IndependentVerifier.Run(tampered.ToJsonString(), logKey);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Equal("ALTERED", JsonDocument.Parse(rejected.Stdout).RootElement.Str("verdict"));
        Assert.Equal("fail", JsonDocument.Parse(rejected.Stdout).RootElement.GetProperty("checks").Str("anchor"));
        Assert.Contains("root", rejected.Stderr);
    }

    [Fact]
    public async Task minting_goes_on_while_the_node_is_down_and_anchoring_catches_up_when_it_returns()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await StartServer(anvil);
        await server.Client.Stamp("before the outage");
        await AnchoredUpTo(server, 0);

        await anvil.Stop();
        long last = 0;
        for (int i = 0; i < 10; i++) last = LogIndex(await server.Client.Stamp("during the outage " + i)); // Stamp asserts 201
        var status = await WaitFor(server, s => s.GetProperty("consecutive_failures").GetInt32() >= 2 && s.GetProperty("lag_entries").GetInt64() >= 10,
            "the status to show the node's failures and the lag");
        Assert.False(string.IsNullOrEmpty(status.Str("last_error")));
        Assert.DoesNotContain(AnvilProcess.DevKey[2..], server.Output, StringComparison.OrdinalIgnoreCase);

        await anvil.Restart();
        await AnchoredUpTo(server, last);
        await AssertChainAndLogAgree(anvil, server);
    }

    [Fact]
    public async Task a_server_killed_with_a_transaction_in_flight_sends_that_same_transaction_after_restart_and_anchors_the_size_once()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        string dataDir = ServerProcess.NewDataDir();
        string txHash;
        long size;
        await using (var server = await StartServer(anvil, dataDir))
        {
            await server.Client.Stamp("in flight");
            var pending = await Pending(server, "a pending anchor");
            txHash = pending.Str("tx_hash");
            size = pending.GetProperty("tree_size").GetInt64();
            server.Kill();
        }
        // The node forgets it too, so only the server's saved state can bring it back.
        await anvil.Rpc("anvil_dropAllTransactions");

        await using (var server = await StartServer(anvil, dataDir))
        {
            long after = LogIndex(await server.Client.Stamp("after the restart"));
            var again = await Pending(server, "the pending anchor after restart");
            Assert.Equal(txHash, again.Str("tx_hash"));
            await WaitForNode(anvil, txHash);
            await anvil.Mine();
            var anchors = await WaitForAnchors(server, 1);
            Assert.Equal(txHash, anchors[0].Str("tx_hash"));
            Assert.Equal(size, anchors[0].GetProperty("tree_size").GetInt64());
            await MineUntilAnchored(anvil, server, after);
            await AssertChainAndLogAgree(anvil, server);
        }
    }

    [Fact]
    public async Task a_transaction_the_node_dropped_is_sent_again()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        await using var server = await StartServer(anvil);
        await server.Client.Stamp("to be dropped");
        var pending = await Pending(server, "a pending anchor");
        string txHash = pending.Str("tx_hash");
        await WaitForNode(anvil, txHash);
        await anvil.Rpc("anvil_dropTransaction", txHash);
        await WaitForNode(anvil, txHash); // sent again by the server
        await anvil.Mine();
        var anchors = await WaitForAnchors(server, 1);
        Assert.Equal(txHash, anchors[0].Str("tx_hash"));
        await AssertChainAndLogAgree(anvil, server);
    }

    [Fact]
    public async Task a_transaction_not_mined_in_time_is_replaced_at_higher_fees_and_only_one_is_mined()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        await using var server = await StartServer(anvil, null, ("Attest__Anchor__ReplaceAfter", "00:00:01"));
        await server.Client.Stamp("slow to mine");
        var first = await Pending(server, "a pending anchor");
        var replaced = await Pending(server, "a replacement transaction", p => p.GetProperty("transactions").GetInt32() >= 2);
        string replacement = replaced.Str("tx_hash");
        Assert.NotEqual(first.Str("tx_hash"), replacement);
        // Both as signed and saved by the server before sending (anchor-state.json): the replacement pays at least 1/8 more.
        var sent = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "anchor-state.json"))).RootElement
            .GetProperty("Pending").GetProperty("Sent");
        var firstFee = System.Numerics.BigInteger.Parse(sent[0].GetProperty("Fee").GetString()!);
        Assert.Equal(first.GetProperty("nonce").GetInt64(), replaced.GetProperty("nonce").GetInt64());
        await WaitForNode(anvil, replacement);
        await anvil.Mine();
        var anchors = await WaitForAnchors(server, 1);
        var mined = await anvil.ReadWithEthers(anchors[0].Str("tx_hash"));
        Assert.NotEqual(first.Str("tx_hash"), mined.Str("hash"));
        Assert.Equal(2, mined.GetProperty("type").GetInt32());
        Assert.Equal(replacement, mined.Str("hash"));
        Assert.True(System.Numerics.BigInteger.Parse(mined.Str("max_fee_per_gas")) >= firstFee + firstFee / 8,
            $"the mined replacement pays {mined.Str("max_fee_per_gas")} per gas, the first paid {firstFee}");
        await AssertChainAndLogAgree(anvil, server);
    }

    [Fact]
    public async Task a_reorg_below_the_confirmation_depth_is_waited_out_and_the_final_block_is_recorded()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        await using var server = await StartServer(anvil, null, ("Attest__Anchor__Confirmations", "3"));
        await server.Client.Stamp("reorged");
        string txHash = (await Pending(server, "a pending anchor")).Str("tx_hash");
        await WaitForNode(anvil, txHash);
        await anvil.Mine(2);
        string orphaned = (await anvil.Rpc("eth_getTransactionReceipt", txHash)).Str("blockHash");
        await Pending(server, "the server to see 2 of 3 confirmations", p => p.GetProperty("confirmations").GetInt64() == 2);
        await anvil.Rpc("anvil_rollback", 2); // both blocks go, and the transaction with them

        await WaitForNode(anvil, txHash); // sent again
        await anvil.Mine(3);
        var anchors = await WaitForAnchors(server, 1);
        Assert.Equal(txHash, anchors[0].Str("tx_hash"));
        Assert.NotEqual(orphaned, anchors[0].Str("block_hash"));
        await AssertChainAndLogAgree(anvil, server);
    }

    [Fact]
    public async Task a_transaction_replaced_by_another_of_the_account_is_noticed_and_the_checkpoint_anchored_with_the_next_nonce()
    {
        await using var anvil = await AnvilProcess.Start("--no-mining");
        await using var server = await StartServer(anvil);
        await server.Client.Stamp("outbid");
        var pending = await Pending(server, "a pending anchor");
        string ours = pending.Str("tx_hash");
        await WaitForNode(anvil, ours);
        // Someone else holding the key spends the same nonce at a higher price (anvil signs for its dev accounts).
        var theirs = (await anvil.Rpc("eth_sendTransaction", new Dictionary<string, string>
        {
            ["from"] = AnvilProcess.DevAddress, ["to"] = "0x000000000000000000000000000000000000dead", ["value"] = "0x1",
            ["nonce"] = "0x" + pending.GetProperty("nonce").GetInt64().ToString("x"), ["maxFeePerGas"] = "0xe8d4a51000", ["maxPriorityFeePerGas"] = "0x3b9aca00",
        })).GetString()!;
        await anvil.Mine();
        Assert.Equal(JsonValueKind.Null, (await anvil.Rpc("eth_getTransactionReceipt", ours)).ValueKind);

        var next = await Pending(server, "the anchor begun again", p => p.Str("tx_hash") != ours);
        Assert.Equal(pending.GetProperty("nonce").GetInt64() + 1, next.GetProperty("nonce").GetInt64());
        await WaitForNode(anvil, next.Str("tx_hash"));
        await anvil.Mine();
        var anchors = await WaitForAnchors(server, 1);
        Assert.Equal(next.Str("tx_hash"), anchors[0].Str("tx_hash"));
        Assert.Equal(pending.GetProperty("tree_size").GetInt64(), anchors[0].GetProperty("tree_size").GetInt64());
        var theirReceipt = await anvil.Rpc("eth_getTransactionReceipt", theirs);
        Assert.True(theirReceipt.ValueKind == JsonValueKind.Object && theirReceipt.Str("status") == "0x1", theirReceipt.ToString());
        // The account's nonce now counts their transaction too; every logged anchor is still on chain as read by ethers.
        Assert.Equal(2, await anvil.Quantity("eth_getTransactionCount", AnvilProcess.DevAddress, "latest"));
        var tx = await anvil.ReadWithEthers(anchors[0].Str("tx_hash"));
        Assert.Equal(anchors[0].Str("block_hash"), tx.Str("block_hash"));
    }

    [Fact]
    public async Task a_node_that_never_answers_times_out_and_minting_goes_on()
    {
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (the kernel does) and never answers
        var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Attest__Anchor__RpcUrl"] = url, ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey,
            ["Attest__Anchor__Interval"] = "00:00:00.2", ["Attest__Anchor__RpcTimeout"] = "00:00:00.5",
        });
        for (int i = 0; i < 5; i++) await server.Client.Stamp("while the node hangs " + i);
        // The lag counts checkpointed entries, and a checkpoint may follow the stamps by up to a second: wait for both.
        var status = await WaitFor(server, s => s.GetProperty("consecutive_failures").GetInt32() >= 2 && s.GetProperty("lag_entries").GetInt64() >= 5,
            "timeouts and the lag to show");
        Assert.Contains("did not answer", status.Str("last_error"));
        Assert.Equal("ready", (await server.Client.Get("readyz", key: null)).Body.Str("status"));
    }

    [Fact]
    public async Task a_chain_without_a_base_fee_gets_eip155_legacy_transactions()
    {
        await using var anvil = await AnvilProcess.Start("--hardfork", "berlin");
        await using var server = await StartServer(anvil);
        await server.Client.Stamp("legacy");
        var anchors = await WaitForAnchors(server, 1);
        var tx = await anvil.ReadWithEthers(anchors[0].Str("tx_hash"));
        Assert.Equal(0, tx.GetProperty("type").GetInt32());
        Assert.Equal("31337", tx.Str("chain_id")); // EIP-155: the chain id is in v, so ethers recovers it
        await AssertChainAndLogAgree(anvil, server);
    }

    [Fact]
    public async Task a_node_on_another_chain_gets_nothing_and_the_status_says_why()
    {
        await using var anvil = await AnvilProcess.Start();
        await using var server = await StartServer(anvil, null, ("Attest__Anchor__ChainId", "1"));
        await server.Client.Stamp("wrong chain");
        var status = await WaitFor(server, s => s.GetProperty("consecutive_failures").GetInt32() >= 2, "the chain mismatch to show");
        Assert.Contains("chain 31337", status.Str("last_error"));
        Assert.Equal(0, await anvil.Quantity("eth_getTransactionCount", AnvilProcess.DevAddress, "pending"));
        Assert.Empty(await AllAnchors(server));
    }

    [Theory]
    [InlineData("Attest__Anchor__PrivateKey", "0x1234", "PrivateKey is not a secp256k1 private key")]
    [InlineData("Attest__Anchor__RpcUrl", "ftp://example", "RpcUrl must be an absolute http or https URL")]
    [InlineData("Attest__Anchor__To", "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "To is not a 0x address")]
    [InlineData("Attest__Anchor__Confirmations", "0", "Confirmations must be at least 1")]
    public async Task bad_anchor_settings_stop_the_server_at_start_with_a_message_that_does_not_echo_secrets(string key, string value, string message)
    {
        var settings = new Dictionary<string, string>
        {
            ["Attest__Anchor__RpcUrl"] = "http://127.0.0.1:9/secret-path-token",
            ["Attest__Anchor__PrivateKey"] = AnvilProcess.DevKey,
            [key] = value,
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(settings: settings));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("secret-path-token", e.Message);
        Assert.DoesNotContain(AnvilProcess.DevKey[2..], e.Message);
    }

    // ---- the agreement check ----

    /// <summary>
    /// Every logged anchor is a mined, successful transaction from the anchoring account, read back by ethers, whose
    /// calldata names the anchor's signed checkpoint; sizes strictly grow; and the account's nonce equals the number
    /// of anchors, so no other transaction (a second anchor of some size) was ever mined.
    /// </summary>
    private static async Task<List<JsonElement>> AssertChainAndLogAgree(AnvilProcess anvil, ServerProcess server)
    {
        var verifier = await server.Client.LogVerifier();
        var anchors = await AllAnchors(server);
        long previousSize = 0;
        string originSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Origin)));
        foreach (var a in anchors)
        {
            long size = a.GetProperty("tree_size").GetInt64();
            Assert.True(size > previousSize, $"anchored sizes must strictly grow: {size} after {previousSize}");
            previousSize = size;
            var cp = OpenCheckpoint(a.Str("checkpoint"), verifier);
            Assert.Equal(size, cp.Size);
            Assert.Equal(cp.Root.ToBase64(), a.Str("root_hash"));

            var tx = await anvil.ReadWithEthers(a.Str("tx_hash"));
            Assert.Equal(AnvilProcess.DevAddress, tx.Str("from"));
            Assert.Equal(a.Str("from"), tx.Str("from"));
            Assert.Equal(a.Str("to"), tx.Str("to"));
            Assert.Equal(1, tx.GetProperty("status").GetInt32());
            Assert.Equal("31337", tx.Str("chain_id"));
            Assert.Equal(31337, a.GetProperty("chain_id").GetInt64());
            Assert.Equal(a.GetProperty("block_number").GetInt64(), tx.GetProperty("block_number").GetInt64());
            Assert.Equal(a.Str("block_hash"), tx.Str("block_hash"));
            Assert.Equal(a.GetProperty("block_timestamp").GetInt64(), tx.GetProperty("block_timestamp").GetInt64());
            var calldata = tx.GetProperty("calldata");
            Assert.Equal(1, calldata.GetProperty("version").GetInt32());
            Assert.Equal(size.ToString(), calldata.Str("tree_size"));
            Assert.Equal(a.Str("root_hash"), calldata.Str("root_hash"));
            Assert.Equal(originSha256, calldata.Str("origin_sha256"));
            // The block is still the chain's block at that height.
            var block = await anvil.Rpc("eth_getBlockByNumber", "0x" + a.GetProperty("block_number").GetInt64().ToString("x"), false);
            Assert.Equal(a.Str("block_hash"), block.Str("hash"));
        }
        Assert.Equal(anchors.Count, await anvil.Quantity("eth_getTransactionCount", AnvilProcess.DevAddress, "latest"));
        return anchors;
    }

    private static async Task<List<JsonElement>> AllAnchors(ServerProcess server)
    {
        var all = new List<JsonElement>();
        for (long? start = 0; start is { } s;)
        {
            var (status, page) = await server.Client.Get($"v1/anchors?start={s}&limit=2", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            all.AddRange(page.GetProperty("anchors").EnumerateArray());
            start = page.GetProperty("next_start").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_start").GetInt64();
        }
        return all;
    }

    private static Checkpoint OpenCheckpoint(string note, NoteVerifier verifier)
    {
        var opened = Note.Open(Encoding.UTF8.GetBytes(note), [verifier]);
        Assert.True(Checkpoint.TryParse(opened.Text, out var cp));
        return cp!;
    }

    // ---- waiting on real processes (no timing assertions: each wait only bounds a hang) ----

    /// <summary>
    /// The log index of a stamp. Tests wait for anchors to cover this, not the tree size: the last entry may be an
    /// anchor entry, which no anchor ever covers (anchor entries do not call for anchoring).
    /// </summary>
    private static long LogIndex(JsonElement stamp) => stamp.GetProperty("log_index").GetInt64();

    private static Task AnchoredUpTo(ServerProcess server, long index) => AnchoringServer.WaitForAnchored(server, index);

    /// <summary>The anchor in flight, once there is one that satisfies <paramref name="condition"/>.</summary>
    private static async Task<JsonElement> Pending(ServerProcess server, string what, Func<JsonElement, bool>? condition = null) =>
        (await WaitFor(server, s => s.GetProperty("pending") is { ValueKind: JsonValueKind.Object } p && (condition?.Invoke(p) ?? true), what))
            .GetProperty("pending");

    private static Task MineUntilAnchored(AnvilProcess anvil, ServerProcess server, long index) =>
        Poll(async () =>
        {
            if ((await server.Client.Get("v1/anchors/status", key: null)).Body.GetProperty("anchored_size").GetInt64() > index) return true;
            await anvil.Mine();
            return false;
        }, ok => ok, $"entry {index} to be anchored", server);

    private static Task<List<JsonElement>> WaitForAnchors(ServerProcess server, int count) =>
        Poll(() => AllAnchors(server), anchors => anchors.Count >= count, $"{count} anchors", server);

    private static Task<JsonElement> WaitFor(ServerProcess server, Func<JsonElement, bool> condition, string what) =>
        AnchoringServer.WaitForStatus(server, condition, what);

    private static Task WaitForNode(AnvilProcess anvil, string txHash) =>
        Poll(() => anvil.Rpc("eth_getTransactionByHash", txHash), tx => tx.ValueKind == JsonValueKind.Object, $"the node to hold transaction {txHash}");

    /// <summary>Reads every 100 ms until <paramref name="done"/>; 60 s only bound a hang.</summary>
    private static async Task<T> Poll<T>(Func<Task<T>> read, Func<T, bool> done, string what, ServerProcess? server = null)
    {
        T last = default!;
        for (int i = 0; i < 600; i++)
        {
            last = await read();
            if (done(last)) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"waited 60 s for {what}; last read {last}\n{server?.Output}");
    }

    /// <summary>Reads <paramref name="count"/> messages of a server stream, anonymously, then cancels it.</summary>
    private static async Task<List<byte[]>> GrpcStream(ServerProcess server, string path, IMessage message, int count)
    {
        var (client, response, stream) = await RawGrpc.Open(server, path, message, key: null);
        using (client)
        using (response)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var messages = new List<byte[]>();
            while (messages.Count < count) messages.Add(await RawGrpc.ReadMessage(stream, cts.Token));
            return messages;
        }
    }
}
