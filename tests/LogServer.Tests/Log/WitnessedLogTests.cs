using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.LogServer.Tests.Log;

/// <summary>
/// The real server process with witnesses (the Attest.Witness application, in this test process, on loopback ports):
/// checkpoints cosigned at /checkpoint and in proofs, k of n with a witness down, fail-open against hold, a witness
/// that lost its state (the 409 path), and the cosignatures checked by an independent implementation
/// (tests/interop/witness/cosignatures.mjs: Node.js with @noble/ed25519; fails, never skips, without node or npm).
/// </summary>
public sealed class WitnessedLogTests : IAsyncLifetime
{
    private const string Origin = "test.attest.local/log";
    private readonly List<LoopbackWitness> witnesses = [];
    private readonly string logPrivateKey;
    private readonly string logVerifierKey;
    private ServerProcess? server;

    public WitnessedLogTests() => (logPrivateKey, logVerifierKey) = NoteSigner.Generate(Origin);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            Directory.Delete(server.DataDir, recursive: true);
        }
        foreach (var w in witnesses) await w.DisposeAsync();
    }

    private async Task<LoopbackWitness> Witness(string name, bool start = true)
    {
        var w = new LoopbackWitness(name, Origin, logVerifierKey);
        witnesses.Add(w);
        if (start) await w.Start();
        return w;
    }

    private async Task<ServerProcess> StartServer(int? quorum, string mode = "FailOpen", params LoopbackWitness[] ws)
    {
        var settings = new Dictionary<string, string>
        {
            ["Attest__Log__PrivateKey"] = logPrivateKey,
            ["Attest__WitnessPolicy__Mode"] = mode,
            ["Attest__WitnessPolicy__Timeout"] = "00:00:10",
        };
        if (quorum is { } k) settings["Attest__WitnessPolicy__Quorum"] = k.ToString();
        for (int i = 0; i < ws.Length; i++)
        {
            settings[$"Attest__Witnesses__{i}__Url"] = ws[i].Url;
            settings[$"Attest__Witnesses__{i}__VerifierKey"] = ws[i].VerifierKey;
        }
        server = await ServerProcess.Start(settings: settings);
        return server;
    }

    private static async Task<long> StampIndex(HttpClient client, string content) => (await client.Stamp(content)).GetProperty("log_index").GetInt64();

    /// <summary>Opens /checkpoint's note with the log key and every witness key given; returns the checkpoint and the witnesses that cosigned.</summary>
    private async Task<(Checkpoint Checkpoint, string Note, string[] Cosigners)> Cosigned(long covering, params LoopbackWitness[] ws)
    {
        var (_, note) = await server!.Client.CheckpointCovering(covering);
        Assert.True(NoteVerifier.TryParse(logVerifierKey, out var logKey));
        var opened = Note.Open(Encoding.UTF8.GetBytes(note), [logKey!, .. ws.Select(w => w.Verifier)]);
        Assert.Contains(opened.Verified, s => s.Name == Origin);
        Assert.Empty(opened.Unknown);
        Assert.True(Checkpoint.TryParse(opened.Text, out var cp));
        return (cp!, note, [.. opened.Verified.Where(s => s.Name != Origin).Select(s => s.Name)]);
    }

    private async Task<JsonElement> Witnessing() => (await server!.Client.Get("readyz", key: null)).Body.GetProperty("witnessing");

    /// <summary>Polls /readyz until <paramref name="done"/> holds for its witnessing status (checkpoints are tried every second).</summary>
    private async Task<JsonElement> WaitWitnessing(Func<JsonElement, bool> done, string what)
    {
        for (int i = 0; i < 600; i++)
        {
            var w = await Witnessing();
            if (done(w)) return w;
            await Task.Delay(50);
        }
        throw new TimeoutException($"/readyz never showed {what}: {await Witnessing()}\n{server!.Output}");
    }

    [Fact]
    public async Task every_witness_cosigns_the_published_checkpoint_and_an_independent_verifier_agrees()
    {
        var w1 = await Witness("witness.test/one");
        var w2 = await Witness("witness.test/two");
        var w3 = await Witness("witness.test/three");
        await StartServer(quorum: 2, "FailOpen", w1, w2, w3);
        long index = await StampIndex(server!.Client, "cosigned by three");
        var (cp, note, cosigners) = await Cosigned(index + 1, w1, w2, w3);
        Assert.Equal(["witness.test/one", "witness.test/two", "witness.test/three"], cosigners);

        // The same note rides in proofs: the tlog-proof of the entry carries the cosigned checkpoint.
        var proof = await server.Client.GetStringAsync($"v1/log/proofs/inclusion?index={index}");
        Assert.True(TlogProof.TryParse(proof, out var tlog));
        Assert.Equal(3, Note.Open(Encoding.UTF8.GetBytes(tlog!.SignedCheckpoint), [w1.Verifier, w2.Verifier, w3.Verifier]).Verified.Count);

        var result = await IndependentCheck(note, w1, w2, w3);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("log").GetBoolean());
        Assert.Equal(cp.Size, json.RootElement.GetProperty("size").GetInt64());
        foreach (var w in new[] { w1, w2, w3 }) Assert.True(json.RootElement.GetProperty("witnesses").GetProperty(w.Name).GetProperty("ok").GetBoolean(), result.Stdout);

        var status = await Witnessing();
        Assert.Equal("ok", status.GetProperty("state").GetString());
        Assert.Equal(2, status.GetProperty("quorum").GetInt32());
        Assert.Equal("fail-open", status.GetProperty("policy").GetString());
    }

    [Fact]
    public async Task the_independent_verifier_catches_a_changed_cosignature_and_reproduces_the_known_answer_vectors()
    {
        var w1 = await Witness("witness.test/one");
        await StartServer(quorum: 1, "FailOpen", w1);
        long index = await StampIndex(server!.Client, "tamper with me");
        var (_, note, _) = await Cosigned(index + 1, w1);
        // One bit of the witness's signature (inside the base64 of the last line).
        int at = note.LastIndexOf(' ') + 40;
        var tampered = note[..at] + (note[at] == 'A' ? 'B' : 'A') + note[(at + 1)..];
        var result = await IndependentCheck(tampered, w1);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("\"ok\":false", result.Stdout);

        // tests/testdata/cosignature/vectors.json, which tests/Merkle.Tests checks the C# signer against, comes out of
        // the independent implementation byte for byte.
        using var vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(ExternalTools.RepoRoot, "tests", "testdata", "cosignature", "vectors.json")));
        foreach (var v in vectors.RootElement.GetProperty("cosignatures").EnumerateArray())
        {
            string textFile = Path.GetTempFileName();
            File.WriteAllText(textFile, v.GetProperty("text").GetString());
            var sign = await Node("sign", vectors.RootElement.GetProperty("seed_hex").GetString()!, "witness.example/w1", v.GetProperty("timestamp").GetInt64().ToString(), textFile);
            File.Delete(textFile);
            Assert.True(sign.ExitCode == 0, sign.ToString());
            using var line = JsonDocument.Parse(sign.Stdout);
            Assert.Equal(v.GetProperty("line").GetString(), line.RootElement.GetProperty("line").GetString());
            Assert.Equal(vectors.RootElement.GetProperty("verifier_key").GetString(), line.RootElement.GetProperty("vkey").GetString());
        }
    }

    [Fact]
    public async Task with_one_of_three_witnesses_down_two_of_three_still_cosign_every_checkpoint()
    {
        var w1 = await Witness("witness.test/one");
        var w2 = await Witness("witness.test/two");
        var down = await Witness("witness.test/down", start: false); // nothing listens on its port
        await StartServer(quorum: 2, "Hold", w1, down, w2);
        long index = await StampIndex(server!.Client, "two of three");
        var (_, _, cosigners) = await Cosigned(index + 1, w1, w2, down);
        Assert.Equal(["witness.test/one", "witness.test/two"], cosigners);
        var status = await Witnessing();
        Assert.Equal("ok", status.GetProperty("state").GetString());
        var downStatus = status.GetProperty("witnesses").EnumerateArray().Single(w => w.GetProperty("name").GetString() == "witness.test/down");
        Assert.False(string.IsNullOrEmpty(downStatus.GetProperty("last_error").GetString()));
        Assert.Equal(JsonValueKind.Null, downStatus.GetProperty("last_cosigned_size").ValueKind);
    }

    [Fact]
    public async Task fail_open_publishes_short_of_the_quorum_and_reports_it_in_readyz()
    {
        var w1 = await Witness("witness.test/one");
        var down = await Witness("witness.test/down", start: false);
        await StartServer(quorum: 2, "FailOpen", w1, down);
        long index = await StampIndex(server!.Client, "fail open");
        var (cp, _, cosigners) = await Cosigned(index + 1, w1, down);
        Assert.Equal(["witness.test/one"], cosigners);
        var status = await WaitWitnessing(w => w.GetProperty("last_checkpoint_size").ValueKind == JsonValueKind.Number && w.GetProperty("last_checkpoint_size").GetInt64() >= cp.Size, "the checkpoint");
        Assert.Equal("degraded", status.GetProperty("state").GetString());
        Assert.Equal(1, status.GetProperty("last_cosignatures").GetInt32());
        Assert.Contains("witness.test/down", status.GetProperty("warning").GetString());
        Assert.Contains("Publishing checkpoint", server!.Output);
    }

    [Fact]
    public async Task hold_keeps_a_checkpoint_unpublished_until_the_quorum_cosigns_it()
    {
        var w1 = await Witness("witness.test/one");
        var late = await Witness("witness.test/late", start: false);
        await StartServer(quorum: 2, "Hold", w1, late);
        long index = await StampIndex(server!.Client, "held back");

        // The entry is durable and counted, but its checkpoint waits for the second cosignature.
        var status = await WaitWitnessing(w => w.GetProperty("held_size").ValueKind == JsonValueKind.Number && w.GetProperty("held_size").GetInt64() > index, "a held checkpoint");
        Assert.Equal("holding", status.GetProperty("state").GetString());
        var (held, _) = await server!.Client.Checkpoint();
        Assert.True(held.Size <= index, $"checkpoint {held.Size} covers the held entry {index}");
        var ready = (await server.Client.Get("readyz", key: null)).Body;
        Assert.True(ready.GetProperty("tree_size").GetInt64() > index);
        // No proof is served against the unpublished size.
        Http.AssertError(await server.Client.Get($"v1/log/proofs/inclusion?index={index}", key: null), HttpStatusCode.BadRequest, "index_out_of_range");

        await late.Start();
        var (cp, _, cosigners) = await Cosigned(index + 1, w1, late);
        Assert.Equal(["witness.test/one", "witness.test/late"], cosigners);
        Assert.True(cp.Size > index);
        await WaitWitnessing(w => w.GetProperty("state").GetString() == "ok", "the quorum back");
    }

    [Fact]
    public async Task a_witness_that_lost_its_state_answers_409_and_is_sent_the_checkpoint_again_from_size_zero()
    {
        var w1 = await Witness("witness.test/reset");
        await StartServer(quorum: 1, "Hold", w1);
        long first = await StampIndex(server!.Client, "before the reset");
        var (before, _, _) = await Cosigned(first + 1, w1);

        await w1.Reset(); // stopped, state directory wiped, started again on the same port: it knows size 0
        long second = await StampIndex(server.Client, "after the reset");
        var (after, _, cosigners) = await Cosigned(second + 1, w1);
        Assert.Equal(["witness.test/reset"], cosigners);
        Assert.True(after.Size > before.Size);
        Assert.Contains($"Witness witness.test/reset is at size 0, not {before.Size}", server.Output);
        var status = (await Witnessing()).GetProperty("witnesses")[0];
        Assert.Equal(after.Size, status.GetProperty("known_size").GetInt64());
    }

    [Theory]
    [InlineData("Attest__Witnesses__0__Url", "ftp://witness.test", "Attest:Witnesses:0:Url")]
    [InlineData("Attest__Witnesses__0__VerifierKey", "not-a-key", "Attest:Witnesses:0:VerifierKey")]
    [InlineData("Attest__WitnessPolicy__Quorum", "2", "Attest:WitnessPolicy:Quorum")]
    [InlineData("Attest__WitnessPolicy__Mode", "sometimes", "Attest:WitnessPolicy:Mode")]
    [InlineData("Attest__WitnessPolicy__Timeout", "00:00:00", "Attest:WitnessPolicy:Timeout")]
    public async Task a_bad_witness_setting_stops_the_server_at_start_naming_it(string key, string value, string named)
    {
        var w = new LoopbackWitness("witness.test/config", Origin, logVerifierKey);
        witnesses.Add(w);
        var settings = new Dictionary<string, string>
        {
            ["Attest__Witnesses__0__Url"] = w.Url,
            ["Attest__Witnesses__0__VerifierKey"] = w.VerifierKey,
            [key] = value,
        };
        string dataDir = ServerProcess.NewDataDir();
        try
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(dataDir, settings));
            Assert.Contains("exited with 2", e.Message);
            Assert.Contains(named, e.Message);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<ProcessResult> IndependentCheck(string note, params LoopbackWitness[] ws)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, note);
            return await Node(["verify", file, ws[0].LogVerifierKey, .. ws.Select(w => w.VerifierKey)]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<ProcessResult> Node(params string[] args)
    {
        string dir = ExternalTools.Interop("witness");
        await ExternalTools.NpmCi(dir, "@noble/ed25519", "@noble/hashes");
        return await ExternalTools.Run("node", ["cosignatures.mjs", .. args], dir, TimeSpan.FromMinutes(1));
    }
}
