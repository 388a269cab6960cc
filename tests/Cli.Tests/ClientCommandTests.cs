using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Cli.Tests;

/// <summary><c>attest keys generate</c>, and mint, stamp, bundle and check end to end against a real server.</summary>
public sealed class ClientCommandTests(IssuerFixture fixture) : IClassFixture<IssuerFixture>
{
    [Fact]
    public async Task a_generated_key_round_trips_and_a_server_signs_its_checkpoints_with_it()
    {
        string dir = Directory.CreateTempSubdirectory("attest-keys-").FullName;
        try
        {
            var r = await AttestCli.Run(["keys", "generate", "--name", "keys.example/log", "--out-dir", dir], directory: dir);
            AttestCli.AssertExit(0, r);
            string keyFile = Path.Combine(dir, "keys.example_log.key"), vkeyFile = Path.Combine(dir, "keys.example_log.vkey");
            string privateKey = File.ReadAllText(keyFile).Trim(), verifierKey = File.ReadAllText(vkeyFile).Trim();
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.DoesNotContain(privateKey, r.Stdout); // the private key went to its file only
            Assert.Contains(verifierKey, r.Stdout);

            // The two halves belong together: what the private key signs, the verifier key opens.
            Assert.StartsWith("PRIVATE+KEY+keys.example/log+", privateKey);
            Assert.True(NoteSigner.TryParse(privateKey, out var signer));
            using (signer)
            {
                Assert.Equal(verifierKey, signer!.VerifierKey);
                Assert.True(NoteVerifier.TryParse(verifierKey, out var verifier));
                Note.Open(Encoding.UTF8.GetBytes(Note.Sign("keys.example/log\n0\n" + Rfc6962.EmptyRoot.ToBase64() + "\n", signer)), [verifier!]);
            }

            // Never overwrites a key.
            var again = await AttestCli.Run(["keys", "generate", "--name", "keys.example/log", "--out-dir", dir], directory: dir);
            AttestCli.AssertExit(2, again);
            Assert.Contains("not overwriting", again.Stderr);
            Assert.Equal(privateKey, File.ReadAllText(keyFile).Trim());

            // The server takes the generated key (Attest:Log:PrivateKey) and publishes the generated verifier key.
            await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
            {
                ["Attest__Log__Origin"] = "keys.example/log", ["Attest__Log__PrivateKey"] = privateKey,
            });
            var (status, key) = await server.Client.Get("v1/log/key", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(verifierKey, key.GetProperty("verifier_key").GetString());
            await server.Client.Stamp("signed with a generated key");
            var monitor = await AttestCli.Run(["monitor", "--url", server.BaseAddress.ToString(), "--log-key", vkeyFile, "--once"], directory: dir);
            AttestCli.AssertExit(0, monitor);
            Directory.Delete(server.DataDir, recursive: true);

            // Without --out-dir both keys go to stdout, private first.
            var printed = await AttestCli.Run(["keys", "generate", "--name", "printed.example/log"], directory: dir);
            AttestCli.AssertExit(0, printed);
            var lines = printed.Stdout.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.True(NoteSigner.TryParse(lines[0], out var printedSigner));
            using (printedSigner) Assert.Equal(lines[1], printedSigner!.VerifierKey);

            var badName = await AttestCli.Run(["keys", "generate", "--name", "has space"], directory: dir);
            AttestCli.AssertExit(2, badName);
            Assert.Contains("is not a key name", badName.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task mint_bundle_and_check_work_end_to_end_and_the_bundle_verifies_offline()
    {
        string document = fixture.WriteFile($"transcript-{Guid.NewGuid():N}.txt", "Transcript " + Guid.NewGuid());
        var minted = await fixture.Mint("End To End", document);
        string id = minted.GetProperty("id").GetString()!;
        Assert.Equal("VALID", minted.GetProperty("status").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(document))), minted.GetProperty("payload").GetProperty("document_hash").GetString());

        var check = await AttestCli.Run(["check", "--url", fixture.Url, "--attestation", id], directory: fixture.Dir);
        AttestCli.AssertExit(0, check);
        Assert.Equal("VALID", JsonDocument.Parse(check.Stdout).RootElement.GetProperty("verdict").GetString());

        var byDocument = await AttestCli.Run(["check", "--url", fixture.Url, "--document", document], directory: fixture.Dir);
        AttestCli.AssertExit(0, byDocument);
        Assert.Equal(id, JsonDocument.Parse(byDocument.Stdout).RootElement.GetProperty("attestation_id").GetString());

        string bundle = await fixture.Bundle(id);
        var byBundle = await AttestCli.Run(["check", "--url", fixture.Url, "--bundle", bundle], directory: fixture.Dir);
        AttestCli.AssertExit(0, byBundle);
        Assert.Contains("bundle_proof_ok", byBundle.Stdout);
        var offline = await AttestCli.Run(["verify", bundle, "--log-key", fixture.VerifierKey, "--document", document], directory: fixture.Dir);
        AttestCli.AssertExit(0, offline);

        // The server's refusals come back as exit 1 with its error code; a server that is not there as exit 3.
        var unknown = await AttestCli.Run(["check", "--url", fixture.Url, "--attestation", Guid.NewGuid().ToString()], directory: fixture.Dir);
        AttestCli.AssertExit(1, unknown);
        Assert.Contains("UNKNOWN", unknown.Stdout);
        var withoutKey = await AttestCli.Run(["bundle", id, "--url", fixture.Url], directory: fixture.Dir);
        AttestCli.AssertExit(2, withoutKey);
        Assert.Contains("ATTEST_HOLDER_TOKEN", withoutKey.Stderr);
        var missing = await AttestCli.Run(["bundle", Guid.NewGuid().ToString(), "--url", fixture.Url], directory: fixture.Dir);
        AttestCli.AssertExit(1, missing);
        Assert.Contains("not_found", missing.Stderr);
        using var closed = new ReservedPort();
        var nobody = await AttestCli.Run(["bundle", id, "--url", closed.Url], directory: fixture.Dir);
        AttestCli.AssertExit(3, nobody);
        Assert.Contains("cannot reach", nobody.Stderr);
    }

    [Fact]
    public async Task mint_and_stamp_take_the_api_key_from_the_environment_only()
    {
        string file = fixture.WriteFile($"stamped-{Guid.NewGuid():N}.txt", "keep this private " + Guid.NewGuid());
        var noKey = await AttestCli.Run(["stamp", "--url", fixture.Url, "--file", file], apiKey: null, directory: fixture.Dir);
        AttestCli.AssertExit(2, noKey);
        Assert.Contains("ATTEST_API_KEY", noKey.Stderr);
        var flag = await AttestCli.Run(["stamp", "--url", fixture.Url, "--file", file, "--api-key", ServerProcess.AdminKey], apiKey: null, directory: fixture.Dir);
        AttestCli.AssertExit(2, flag); // there is no such flag
        var wrongKey = await AttestCli.Run(["stamp", "--url", fixture.Url, "--file", file], apiKey: "not-the-key", directory: fixture.Dir);
        AttestCli.AssertExit(1, wrongKey);
        Assert.Contains("401", wrongKey.Stderr);
    }

    [Fact]
    public async Task stamp_sends_only_the_files_hash_unless_asked_to_make_it_public()
    {
        string content = "the lab notebook, page 12: " + Guid.NewGuid();
        string file = fixture.WriteFile($"notebook-{Guid.NewGuid():N}.txt", content);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

        var r = await AttestCli.Run(["stamp", "--url", fixture.Url, "--file", file], ServerProcess.AdminKey, fixture.Dir);
        AttestCli.AssertExit(0, r);
        var stamp = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(hash, stamp.GetProperty("content_hash").GetString());
        Assert.Equal("hash_only", stamp.GetProperty("visibility").GetString());
        // The server never saw the content: its record of the stamp holds none.
        var (_, stored) = await fixture.Server.Client.Get($"v1/stamps/{stamp.GetProperty("id").GetString()}");
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("content").ValueKind);

        var check = await AttestCli.Run(["check", "--url", fixture.Url, "--stamp-file", file], directory: fixture.Dir);
        AttestCli.AssertExit(0, check);
        Assert.Equal(stamp.GetProperty("log_index").GetInt64(), JsonDocument.Parse(check.Stdout).RootElement.GetProperty("log_index").GetInt64());
        var never = await AttestCli.Run(["check", "--url", fixture.Url, "--stamp-hash", new string('0', 64)], directory: fixture.Dir);
        AttestCli.AssertExit(1, never);

        var pub = await AttestCli.Run(["stamp", "--url", fixture.Url, "--file", file, "--public", "--title", "Notebook", "--tag", "lab"], ServerProcess.AdminKey, fixture.Dir);
        AttestCli.AssertExit(0, pub);
        var publicStamp = JsonDocument.Parse(pub.Stdout).RootElement;
        Assert.Equal(content, publicStamp.GetProperty("content").GetString());
        Assert.Equal(hash, publicStamp.GetProperty("content_hash").GetString());

        var both = await AttestCli.Run(["stamp", "--url", fixture.Url, "--file", file, "--hash", hash], ServerProcess.AdminKey, fixture.Dir);
        AttestCli.AssertExit(2, both);
    }
}
