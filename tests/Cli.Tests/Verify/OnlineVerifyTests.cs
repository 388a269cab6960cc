using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.Cli.Tests.Verify;

/// <summary>
/// <c>attest verify --online</c> (docs/VERIFYING.md "Freshness") against a real server: an old bundle is VALID as of
/// its checkpoint offline, and what the log logged since (revocation, supersession, compromise) sets the verdict
/// online; a log whose answers do not hold together is ALTERED or, when it cannot be read, exit 2, never VALID.
/// </summary>
public sealed class OnlineVerifyTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    [Fact]
    public async Task an_old_bundle_of_an_attestation_revoked_since_is_valid_offline_as_of_its_checkpoint_and_revoked_online()
    {
        var a = await fixture.Mint("Revoked Later");
        string id = a.GetProperty("id").GetString()!;
        string old = await fixture.Bundle(id);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.Client.Post($"v1/attestations/{id}/revoke", new { reason = "degree rescinded" })).Status);
        await Published();

        long size = await AssertValidOffline(old);
        var online = await VerifyReport.Run(fixture.Dir, old, "--log-key", fixture.VerifierKey, "--online", "--url", fixture.Url);
        AttestCli.AssertExit(1, online.Result);
        Assert.Equal("REVOKED", online.Verdict);
        Assert.Equal(["revocation"], online.Failed);
        AssertFresh(online, size);
        Assert.Contains("the latest the log served", online.Sentence);
    }

    [Fact]
    public async Task an_old_bundle_of_an_attestation_superseded_since_is_superseded_online()
    {
        var a = await fixture.Mint("First Edition");
        string id = a.GetProperty("id").GetString()!;
        string old = await fixture.Bundle(id);
        var replacement = new JsonObject
        {
            ["issuer_id"] = fixture.IssuerId, ["kid"] = fixture.Kid, ["alg"] = "Ed25519", ["schema"] = "degree",
            ["claims"] = JsonNode.Parse(IssuerFixture.DegreeClaims("Second Edition")),
        };
        var (status, next) = await fixture.Server.Client.Post($"v1/attestations/{id}/supersede", replacement, idempotencyKey: Guid.NewGuid().ToString());
        Assert.True(status == HttpStatusCode.Created, next.ToString());
        await Published();

        long size = await AssertValidOffline(old);
        var online = await VerifyReport.Run(fixture.Dir, old, "--log-key", fixture.VerifierKey, "--online", "--url", fixture.Url);
        AttestCli.AssertExit(1, online.Result);
        Assert.Equal("SUPERSEDED", online.Verdict);
        Assert.Equal(["superseded"], online.Failed);
        Assert.Contains(next.GetProperty("id").GetString()!, online.Detail("superseded"));
        AssertFresh(online, size);

        // The server may come from ATTEST_URL instead of --url.
        var text = await AttestCli.Run(["verify", old, "--log-key", fixture.VerifierKey, "--online"], directory: fixture.Dir, url: fixture.Url);
        AttestCli.AssertExit(1, text);
        Assert.Matches(@"(?m)^verdict: SUPERSEDED as of checkpoint \d+ \(status signed by the log at [^)]+\), the latest the log served$", text.Stdout);
    }

    [Fact]
    public async Task an_old_bundle_whose_key_was_marked_compromised_since_from_before_the_signing_is_key_compromised_online()
    {
        // A key of its own: the fixture's key stays usable for the other tests.
        string kid = "doomed-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await fixture.Server.Client.Post($"v1/issuers/{fixture.IssuerId}/keys", new { kid })).Status);
        var a = await fixture.Mint("Signed With A Leaked Key", kid: kid);
        string id = a.GetProperty("id").GetString()!;
        string old = await fixture.Bundle(id);
        var signedAt = DateTimeOffset.Parse(a.GetProperty("payload").GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var (status, body) = await fixture.Server.Client.Post($"v1/issuers/keys/{kid}/compromise", new { compromised_at = signedAt.AddSeconds(-1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'") });
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        await Published();

        long size = await AssertValidOffline(old);
        var online = await VerifyReport.Run(fixture.Dir, old, "--log-key", fixture.VerifierKey, "--online", "--url", fixture.Url);
        AttestCli.AssertExit(1, online.Result);
        Assert.Equal("KEY_COMPROMISED", online.Verdict);
        Assert.Equal(["key_status"], online.Failed);
        Assert.Contains("compromised", online.Detail("key_status"));
        AssertFresh(online, size);
    }

    [Fact]
    public async Task a_log_that_answers_with_a_consistency_proof_that_does_not_hold_is_altered()
    {
        var a = await fixture.Mint("Forked Log");
        string old = await fixture.Bundle(a.GetProperty("id").GetString()!);
        await fixture.Mint("Grows The Log"); // so the log's latest checkpoint is larger than the bundle's
        await Published();

        // A log that says it holds the same tree, but whose proof does not lead from the bundle's root to its latest.
        await using var mirror = await LyingMirror.Start(fixture.Server.BaseAddress, (path, body) =>
        {
            if (path != "/v1/log/proofs/consistency") return body;
            var json = JsonNode.Parse(body)!;
            var proof = json["proof"]!.AsArray();
            Assert.NotEmpty(proof);
            var first = Convert.FromBase64String(proof[0]!.GetValue<string>());
            first[0] ^= 0x01;
            proof[0] = Convert.ToBase64String(first);
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });
        var r = await VerifyReport.Run(fixture.Dir, old, "--log-key", fixture.VerifierKey, "--online", "--url", mirror.Url);
        AttestCli.AssertExit(1, r.Result);
        Assert.True(mirror.Tampered > 0, "the mirror never served a consistency proof");
        Assert.Equal("ALTERED", r.Verdict);
        Assert.Equal(["consistency"], r.Failed);
        Assert.Contains("does not verify", r.Detail("consistency"));

        // The honest log, for contrast: the same bundle is VALID and proven consistent.
        var honest = await VerifyReport.Run(fixture.Dir, old, "--log-key", fixture.VerifierKey, "--online", "--url", fixture.Url);
        AttestCli.AssertExit(0, honest.Result);
        Assert.Equal("pass", honest.Checks["consistency"]);
    }

    [Fact]
    public async Task a_mirror_that_replays_the_logs_answer_from_before_the_revocation_does_not_make_a_revoked_bundle_valid()
    {
        var a = await fixture.Mint("Revoked, Then Replayed");
        string id = a.GetProperty("id").GetString()!;
        await Published();
        // What anyone could have recorded from the log before the revocation: the public bundle, signed VALID.
        byte[] before = await fixture.Server.Client.GetByteArrayAsync($"v1/attestations/{id}/proof-bundle");
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.Client.Post($"v1/attestations/{id}/revoke", new { reason = "degree rescinded" })).Status);
        await Published();
        string held = await fixture.Bundle(id);
        var offline = await VerifyReport.Run(fixture.Dir, held, "--log-key", fixture.VerifierKey);
        Assert.Equal("REVOKED", offline.Verdict);

        // The replayed checkpoint is genuine and consistent with the bundle's, only older: a log's latest never is.
        await using var mirror = await LyingMirror.Start(fixture.Server.BaseAddress, (path, body) => path.EndsWith("/proof-bundle", StringComparison.Ordinal) ? before : body);
        var r = await VerifyReport.Run(fixture.Dir, held, "--log-key", fixture.VerifierKey, "--online", "--url", mirror.Url);
        Assert.True(mirror.Tampered > 0, "the mirror never served the proof bundle");
        AttestCli.AssertExit(1, r.Result);
        Assert.Equal("ALTERED", r.Verdict);
        Assert.Equal(["consistency"], r.Failed);
        Assert.Contains("older than the bundle's", r.Detail("consistency"));
    }

    [Fact]
    public async Task a_log_whose_latest_evidence_leaves_out_a_revocation_the_held_bundle_proves_is_altered_online()
    {
        // The log's own key signs the lie: a fresh status note saying VALID, the revocation entry left out.
        var (privateKey, verifierKey) = NoteSigner.Generate("test.attest.local/log");
        Assert.True(NoteSigner.TryParse(privateKey, out var logKey));
        string data = ServerProcess.NewDataDir();
        try
        {
            await using var log = await ServerProcess.Start(data, new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey });
            var (status, issuer) = await log.Client.Post("v1/issuers", new { name = "Forgetful University" });
            Assert.Equal(HttpStatusCode.Created, status);
            string issuerId = issuer.GetProperty("id").GetString()!;
            Assert.Equal(HttpStatusCode.Created, (await log.Client.Post($"v1/issuers/{issuerId}/keys", new { kid = "forgetful" })).Status);
            var mint = await AttestCli.Run(["mint", "--url", log.BaseAddress.ToString(), "--issuer", issuerId, "--kid", "forgetful", "--schema", "degree",
                "--claims", IssuerFixture.DegreeClaims("Revoked Graduate")], ServerProcess.AdminKey, fixture.Dir);
            AttestCli.AssertExit(0, mint);
            string id = JsonDocument.Parse(mint.Stdout).RootElement.GetProperty("id").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await log.Client.Post($"v1/attestations/{id}/revoke", new { reason = "degree rescinded" })).Status);
            await log.Client.CheckpointCovering(await log.Client.TreeSize());
            string held = Path.Combine(fixture.Dir, $"revoked-{Guid.NewGuid():N}.json");
            AttestCli.AssertExit(0, await AttestCli.Run(["bundle", id, "--url", log.BaseAddress.ToString(), "--out", held], ServerProcess.AdminKey, fixture.Dir));
            await log.Client.Stamp("the log grows past the bundle");
            await log.Client.CheckpointCovering(await log.Client.TreeSize());

            await using var mirror = await LyingMirror.Start(log.BaseAddress, (path, body) =>
            {
                if (!path.EndsWith("/proof-bundle", StringComparison.Ordinal)) return body;
                var json = JsonNode.Parse(body)!;
                string note = json["status_note"]!.GetValue<string>();
                string text = note[..(note.LastIndexOf("\n\n", StringComparison.Ordinal) + 1)];
                json["status_note"] = Note.Sign(text.Replace("\nREVOKED\n", "\nVALID\n", StringComparison.Ordinal), logKey!);
                json["status"] = "VALID";
                json["revocation"] = null;
                return Encoding.UTF8.GetBytes(json.ToJsonString());
            });
            var r = await VerifyReport.Run(fixture.Dir, held, "--log-key", verifierKey, "--online", "--url", mirror.Url);
            Assert.True(mirror.Tampered > 0, "the mirror never served the proof bundle");
            AttestCli.AssertExit(1, r.Result);
            Assert.Equal("ALTERED", r.Verdict);
            Assert.Equal(["consistency"], r.Failed);
            Assert.Contains("the attestation's revocation", r.Detail("consistency"));
            Assert.Contains("the log contradicts what it signed", r.Detail("consistency"));

            // The honest log, for contrast: REVOKED, proven consistent.
            var honest = await VerifyReport.Run(fixture.Dir, held, "--log-key", verifierKey, "--online", "--url", log.BaseAddress.ToString());
            Assert.Equal("REVOKED", honest.Verdict);
            Assert.Equal("pass", honest.Checks["consistency"]);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task a_log_that_forked_after_the_bundle_under_the_same_key_is_altered_online_at_the_same_size_and_beyond()
    {
        // A real fork: two servers with one log key and one history, which then go their own ways.
        var (privateKey, verifierKey) = NoteSigner.Generate("test.attest.local/log");
        var settings = new Dictionary<string, string> { ["Attest__Log__PrivateKey"] = privateKey };
        string dataA = ServerProcess.NewDataDir(), dataB = ServerProcess.NewDataDir();
        try
        {
            string id;
            await using (var original = await ServerProcess.Start(dataA, settings))
            {
                var (status, issuer) = await original.Client.Post("v1/issuers", new { name = "Forked University" });
                Assert.Equal(HttpStatusCode.Created, status);
                string issuerId = issuer.GetProperty("id").GetString()!;
                Assert.Equal(HttpStatusCode.Created, (await original.Client.Post($"v1/issuers/{issuerId}/keys", new { kid = "fork" })).Status);
                var mint = await AttestCli.Run(["mint", "--url", original.BaseAddress.ToString(), "--issuer", issuerId, "--kid", "fork", "--schema", "degree",
                    "--claims", IssuerFixture.DegreeClaims("Forked Graduate")], ServerProcess.AdminKey, fixture.Dir);
                AttestCli.AssertExit(0, mint);
                id = JsonDocument.Parse(mint.Stdout).RootElement.GetProperty("id").GetString()!;
                await original.Stop();
            }
            foreach (var dir in Directory.GetDirectories(dataA, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(dataA, dataB));
            foreach (var file in Directory.GetFiles(dataA, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(dataA, dataB), overwrite: true);

            await using var a = await ServerProcess.Start(dataA, settings);
            await using var b = await ServerProcess.Start(dataB, settings);
            await a.Client.Stamp("only in A");
            await b.Client.Stamp("only in B");
            var (cpA, _) = await a.Client.CheckpointCovering(4);
            var (cpB, _) = await b.Client.CheckpointCovering(4);
            Assert.Equal(cpA.Size, cpB.Size);
            Assert.NotEqual(cpA.Root, cpB.Root);
            string held = Path.Combine(fixture.Dir, $"fork-{Guid.NewGuid():N}.json");
            AttestCli.AssertExit(0, await AttestCli.Run(["bundle", id, "--url", a.BaseAddress.ToString(), "--out", held], ServerProcess.AdminKey, fixture.Dir));

            var honest = await VerifyReport.Run(fixture.Dir, held, "--log-key", verifierKey, "--online", "--url", a.BaseAddress.ToString());
            AttestCli.AssertExit(0, honest.Result);

            // B signs another root for the bundle's very size.
            var sameSize = await VerifyReport.Run(fixture.Dir, held, "--log-key", verifierKey, "--online", "--url", b.BaseAddress.ToString());
            AttestCli.AssertExit(1, sameSize.Result);
            Assert.Equal("ALTERED", sameSize.Verdict);
            Assert.Equal(["consistency"], sameSize.Failed);
            Assert.Contains("a fork", sameSize.Detail("consistency"));

            // And B grown past it: no consistency proof it can give leads from the bundle's root to its own.
            await b.Client.Stamp("more in B");
            await b.Client.CheckpointCovering(cpB.Size + 1);
            var beyond = await VerifyReport.Run(fixture.Dir, held, "--log-key", verifierKey, "--online", "--url", b.BaseAddress.ToString());
            AttestCli.AssertExit(1, beyond.Result);
            Assert.Equal("ALTERED", beyond.Verdict);
            Assert.Equal(["consistency"], beyond.Failed);
            Assert.Contains("does not verify", beyond.Detail("consistency"));
        }
        finally
        {
            Directory.Delete(dataA, recursive: true);
            Directory.Delete(dataB, recursive: true);
        }
    }

    [Fact]
    public async Task a_log_that_cannot_be_reached_or_read_stops_the_verifier_with_exit_code_2()
    {
        var a = await fixture.Mint("Offline Server");
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);

        using var closed = new ReservedPort();
        var unreachable = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey, "--online", "--url", closed.Url], directory: fixture.Dir);
        AttestCli.AssertExit(2, unreachable);
        Assert.Contains("cannot reach the log", unreachable.Stderr);
        Assert.Equal("", unreachable.Stdout);

        var noUrl = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey, "--online"], directory: fixture.Dir);
        AttestCli.AssertExit(2, noUrl);
        Assert.Contains("--url", noUrl.Stderr);

        var urlAlone = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey, "--url", fixture.Url], directory: fixture.Dir);
        AttestCli.AssertExit(2, urlAlone);
        Assert.Contains("--online", urlAlone.Stderr);

        var answers = new (string Path, Func<byte[], byte[]> Lie, string Message)[]
        {
            ("/proof-bundle", _ => "{\"format\": \"attest-proof-bundle/v1\"}"u8.ToArray(), "is not the public part of a proof bundle"),
            ("/proof-bundle", _ => "not json"u8.ToArray(), "is not the public part of a proof bundle"),
            ("/proof-bundle", b => b[..(b.Length / 2)], "is not the public part of a proof bundle"),
            ("/v1/log/proofs/consistency", _ => "{\"first\": 1, \"second\": 2, \"proof\": []}"u8.ToArray(), "is not {\"first\""),
            ("/v1/log/proofs/consistency", b => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(b).Replace("\"proof\": [", "\"proof\": [\"AAAA\", ")), "not the base64 of a 32-byte hash"),
        };
        await fixture.Mint("Grows The Log Again");
        await Published();
        foreach (var (path, lie, message) in answers)
        {
            await using var mirror = await LyingMirror.Start(fixture.Server.BaseAddress, (p, body) => p.EndsWith(path, StringComparison.Ordinal) ? lie(body) : body);
            var r = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey, "--online", "--url", mirror.Url], directory: fixture.Dir);
            AttestCli.AssertExit(2, r);
            Assert.True(mirror.Tampered > 0, $"{path}: never served");
            Assert.Contains(message, r.Stderr);
            Assert.Equal("", r.Stdout);
        }
    }

    [Fact]
    public async Task a_log_that_trickles_its_answer_stops_the_verifier_with_exit_code_2()
    {
        var a = await fixture.Mint("Slow Server");
        string bundle = await fixture.Bundle(a.GetProperty("id").GetString()!);

        // Headers at once, then a byte of a megabyte body now and then: each read succeeds, the answer never ends.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            var stream = client.GetStream();
            // The request's bytes are not read to their end: the answer does not depend on them.
            _ = await stream.ReadAtLeastAsync(new byte[64 << 10], 1, throwOnEndOfStream: false, stop.Token);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"u8.ToArray(), stop.Token);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
                await stream.WriteAsync(" "u8.ToArray(), stop.Token);
            }
        });
        string url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";
        var r = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey, "--online", "--url", url], directory: fixture.Dir, timeout: TimeSpan.FromMinutes(5));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => trickle);
        AttestCli.AssertExit(2, r);
        Assert.Contains("no answer within 30 seconds", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    /// <summary>Waits for a checkpoint covering every entry logged so far (checkpoints are published apart from the commit).</summary>
    private async Task Published() => await fixture.Server.Client.CheckpointCovering(await fixture.Server.Client.TreeSize());

    /// <summary>The bundle is VALID offline, as of its own checkpoint; returns that checkpoint's size.</summary>
    private async Task<long> AssertValidOffline(string bundle)
    {
        var offline = await VerifyReport.Run(fixture.Dir, bundle, "--log-key", fixture.VerifierKey);
        AttestCli.AssertExit(0, offline.Result);
        Assert.Equal("VALID", offline.Verdict);
        long size = offline.Json.GetProperty("as_of").GetProperty("tree_size").GetInt64();
        Assert.StartsWith($"VALID as of checkpoint {size} (status signed by the log at ", offline.Sentence);
        Assert.Contains("not known offline", offline.Sentence);
        Assert.Equal("skip", offline.Checks["consistency"]);
        Assert.Equal("skip", offline.Checks["freshness"]);
        Assert.False(offline.Json.GetProperty("as_of").GetProperty("online").GetBoolean());
        return size;
    }

    /// <summary>The verdict is the log's latest, proven consistent with the bundle's older checkpoint.</summary>
    private static void AssertFresh(VerifyReport online, long heldSize)
    {
        Assert.Equal("pass", online.Checks["consistency"]);
        Assert.Equal("pass", online.Checks["freshness"]);
        Assert.Equal("pass", online.Checks["checkpoint_signature"]);
        Assert.Equal("pass", online.Checks["status_note"]);
        var asOf = online.Json.GetProperty("as_of");
        Assert.True(asOf.GetProperty("online").GetBoolean());
        Assert.True(asOf.GetProperty("tree_size").GetInt64() > heldSize, $"the log's latest checkpoint is not newer than the bundle's {heldSize}");
        Assert.Contains($"(size {heldSize}) is consistent with the log's latest", online.Detail("consistency"));
    }
}
