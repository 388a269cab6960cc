using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Secrets and files at rest: who can read the data directory, where the key-encryption key and the generated admin
/// key live, and that the durable-file helper lets two writers of one blob both succeed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AtRestTests
{
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static List<string> LoosePermissions(string root)
    {
        var loose = new List<string>();
        if (File.GetUnixFileMode(root) != DirMode) loose.Add($"{root} is {File.GetUnixFileMode(root)}");
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            bool dir = Directory.Exists(path);
            var mode = File.GetUnixFileMode(path);
            if (mode != (dir ? DirMode : FileMode600)) loose.Add($"{path} is {mode}");
        }
        return loose;
    }

    private static async Task WaitForOutput(ServerProcess server, string text)
    {
        for (int i = 0; i < 600 && !server.Output.Contains(text); i++) await Task.Delay(50);
        Assert.True(server.Output.Contains(text), $"the server never logged \"{text}\":\n{server.Output}");
    }

    [Fact]
    public async Task every_directory_of_the_data_dir_is_0700_and_every_file_0600_after_mints_blobs_and_an_index_checkpoint()
    {
        string dir = ServerProcess.NewDataDir();
        var settings = new Dictionary<string, string> { ["Attest__Log__IndexCheckpointInterval"] = "00:00:01" };
        await using (var server = await ServerProcess.Start(dir, settings, withAdminKey: false))
        {
            var c = server.Client;
            c.DefaultRequestHeaders.Authorization = null;
            string admin = File.Exists(Path.Combine(dir, "admin-key")) ? File.ReadAllText(Path.Combine(dir, "admin-key")).Trim() : "";
            var (issuerStatus, issuer) = await c.Post("v1/issuers", new { name = "Files University" }, key: admin);
            Assert.True(issuerStatus == HttpStatusCode.Created, $"admin key from {dir}/admin-key refused: {issuer.GetRawText()}");
            string kid = (await c.CreateKey(issuer.Str("id"), key: admin)).Str("kid");
            var body = AttestApi.MintBody(issuer.Str("id"), kid);
            body["payload"] = AttestApi.B64Url(RandomNumberGenerator.GetBytes(4096));
            await c.Mint(body, key: admin);
            var (stampStatus, _) = await c.Post("v1/stamps", new { content = "files at rest", visibility = "public", display_title = "private title" }, key: admin);
            Assert.Equal(HttpStatusCode.Created, stampStatus);
            await WaitForOutput(server, "Index checkpoint at size");
            await server.Stop();
        }
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir, "blobs")).Any(), "the payload was kept as a blob");
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir, "index"), "*", SearchOption.AllDirectories).Any(), "the index wrote its files");
        var loose = LoosePermissions(dir);
        Assert.True(loose.Count == 0, string.Join("\n", loose));
    }

    [Fact]
    public async Task a_data_dir_left_0755_with_0644_files_is_tightened_and_rid_of_crashed_temporary_files_at_start()
    {
        string dir = ServerProcess.NewDataDir();
        Directory.CreateDirectory(Path.Combine(dir, "old"));
        string leftover = Path.Combine(dir, "old", ".checkpoint.json.0011223344556677.tmp");
        File.WriteAllText(leftover, "half a checkpoint a crash left behind");
        File.WriteAllText(Path.Combine(dir, "old", "notes.txt"), "left by an earlier version");
        File.WriteAllText(Path.Combine(dir, "stray"), "x");
        File.SetUnixFileMode(Path.Combine(dir, "old", "notes.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(Path.Combine(dir, "stray"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var open = DirMode | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Path.Combine(dir, "old"), open);
        File.SetUnixFileMode(dir, open);

        await using (var server = await ServerProcess.Start(dir))
        {
            await server.Client.Stamp("tightened");
            await server.Stop();
        }
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(Path.Combine(dir, "old", "notes.txt")));
        var loose = LoosePermissions(dir);
        Assert.True(loose.Count == 0, string.Join("\n", loose));
    }

    [Fact]
    public async Task a_key_encryption_key_generated_in_the_data_dir_is_warned_about_at_every_start_and_not_when_configured()
    {
        string dir = ServerProcess.NewDataDir();
        for (int start = 0; start < 2; start++)
        {
            await using var server = await ServerProcess.Start(dir);
            await server.Client.CreateKey(await server.Client.CreateIssuer());
            await server.Stop();
            string output = server.Output;
            Assert.True(output.Contains("warn:") && output.Contains(Path.Combine(dir, "kek")) && output.Contains("Attest:KeyEncryptionKeyFile")
                && output.Contains("Attest:KeyEncryptionKey") && output.Contains("backup"), $"start {start + 1} gave no warning about the key in the data dir:\n{output}");
        }

        string configured = ServerProcess.NewDataDir();
        string kek = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using (var server = await ServerProcess.Start(configured, new Dictionary<string, string> { ["Attest__KeyEncryptionKey"] = kek }))
        {
            await server.Client.CreateKey(await server.Client.CreateIssuer());
            await server.Stop();
            Assert.DoesNotContain("Attest:KeyEncryptionKeyFile", server.Output);
            Assert.DoesNotContain(kek, server.Output);
        }
        Assert.False(File.Exists(Path.Combine(configured, "kek")));
    }

    [Fact]
    public async Task a_key_encryption_key_file_outside_the_data_dir_seals_issuer_keys_across_restarts()
    {
        string dir = ServerProcess.NewDataDir();
        string secrets = Directory.CreateTempSubdirectory("attest-secrets-").FullName;
        string kekFile = Path.Combine(secrets, "kek");
        string kek = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(kekFile, kek + "\n");
        var settings = new Dictionary<string, string> { ["Attest__KeyEncryptionKeyFile"] = kekFile };
        string issuerId, kid;
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            issuerId = await server.Client.CreateIssuer();
            kid = (await server.Client.CreateKey(issuerId)).Str("kid");
            await server.Client.Mint(AttestApi.MintBody(issuerId, kid));
            await server.Stop();
            Assert.DoesNotContain(kek, server.Output);
            Assert.DoesNotContain("Attest:KeyEncryptionKeyFile", server.Output); // no warning
        }
        Assert.False(File.Exists(Path.Combine(dir, "kek")), "no key was generated in the data dir");
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            await server.Client.Mint(AttestApi.MintBody(issuerId, kid)); // the sealed seed opens with the same key
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("not base64")]
    [InlineData("16 bytes")]
    [InlineData("empty")]
    public async Task a_missing_or_malformed_key_encryption_key_file_stops_the_start_naming_the_setting(string problem)
    {
        string secrets = Directory.CreateTempSubdirectory("attest-secrets-").FullName;
        string kekFile = Path.Combine(secrets, "kek");
        string content = problem switch
        {
            "not base64" => "SECRET-not-base64-value!",
            "16 bytes" => Convert.ToBase64String(Encoding.ASCII.GetBytes("SECRETsixteen-by")),
            "empty" => "",
            _ => "",
        };
        if (problem != "missing") File.WriteAllText(kekFile, content);
        string dir = ServerProcess.NewDataDir();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ServerProcess.Start(dir, new Dictionary<string, string> { ["Attest__KeyEncryptionKeyFile"] = kekFile }));
        Assert.Contains("Attest:KeyEncryptionKeyFile", e.Message);
        Assert.Contains(kekFile, e.Message);
        if (content.Length > 0) Assert.DoesNotContain(content, e.Message);
        Assert.DoesNotContain("   at ", e.Message); // a message, not a stack trace
        Assert.False(File.Exists(Path.Combine(dir, "kek")));
    }

    [Fact]
    public async Task the_generated_admin_key_is_written_to_a_0600_file_and_never_printed()
    {
        string dir = ServerProcess.NewDataDir();
        string path = Path.Combine(dir, "admin-key");
        await using (var server = await ServerProcess.Start(dir, withAdminKey: false))
        {
            Assert.True(File.Exists(path), $"no {path}; the server printed:\n{server.Output}");
            string key = File.ReadAllText(path).Trim();
            Assert.StartsWith("attest_admin_", key);
            Assert.Equal(FileMode600, File.GetUnixFileMode(path));
            Assert.DoesNotContain(key, server.Output);
            Assert.DoesNotContain(key["attest_admin_".Length..], server.Output);
            Assert.Contains(path, server.Output);
            var (status, _) = await server.Client.Post("v1/issuers", new { name = "Admin By File" }, key: key);
            Assert.Equal(HttpStatusCode.Created, status);
            await server.Stop();
        }
        // The operator moved the key to a secret store and deleted the file: the kept hash still admits it.
        string moved = File.ReadAllText(path).Trim();
        File.Delete(path);
        await using (var server = await ServerProcess.Start(dir, withAdminKey: false))
        {
            Assert.False(File.Exists(path), "a deleted admin-key file is not written again");
            Assert.DoesNotContain(moved, server.Output);
            var (status, _) = await server.Client.Post("v1/issuers", new { name = "Admin From Store" }, key: moved);
            Assert.Equal(HttpStatusCode.Created, status);
        }
    }

    [Fact]
    public async Task many_parallel_writers_of_the_same_blob_all_succeed_and_the_blob_is_whole()
    {
        string dir = ServerProcess.NewDataDir();
        var store = new BlobStore(new AttestOptions { DataDir = dir });
        for (int round = 0; round < 20; round++)
        {
            var bytes = RandomNumberGenerator.GetBytes(256 * 1024);
            using var gate = new Barrier(16);
            var writers = Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() =>
            {
                gate.SignalAndWait();
                return store.Put(bytes);
            }, TaskCreationOptions.LongRunning)).ToArray();
            var hashes = await Task.WhenAll(writers);
            string expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
            Assert.All(hashes, h => Assert.Equal(expected, h));
            Assert.Equal(bytes, store.Get(expected));
        }
        Assert.Equal(20, Directory.EnumerateFiles(Path.Combine(dir, "blobs")).Count()); // no temporary file left behind
    }

    [Fact]
    public async Task concurrent_mints_carrying_the_same_payload_all_succeed_and_keep_one_whole_blob()
    {
        string dir = ServerProcess.NewDataDir();
        await using var server = await ServerProcess.Start(dir);
        var c = server.Client;
        string issuerId = await c.CreateIssuer();
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var payload = RandomNumberGenerator.GetBytes(512 * 1024);
        var mints = Enumerable.Range(0, 16).Select(i =>
        {
            var body = AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims($"Same Payload {i}"));
            body["payload"] = AttestApi.B64Url(payload);
            return c.Post("v1/attestations/mint", body, idempotencyKey: Guid.NewGuid().ToString());
        }).ToArray();
        foreach (var (status, body) in await Task.WhenAll(mints))
            Assert.True(status == HttpStatusCode.Created, $"{status}: {body.GetRawText()}");
        string blob = Path.Combine(dir, "blobs", Convert.ToHexStringLower(SHA256.HashData(payload)));
        Assert.Equal(payload, File.ReadAllBytes(blob));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(dir, "blobs")));
    }
}
