using System.Net;
using System.Text;
using Attest.Merkle;

namespace Attest.Witness.Tests;

/// <summary>
/// The add-checkpoint rules of c2sp.org/tlog-witness, case by case, against the witness application over real HTTP
/// on loopback. Every refused request is followed by a check that it changed nothing.
/// </summary>
public sealed class AddCheckpointConformanceTests : IAsyncLifetime, IDisposable
{
    private readonly TestLog log = new();
    private readonly string stateDir = Directory.CreateTempSubdirectory("attest-witness-").FullName;
    private WitnessHost witness = null!;

    public async Task InitializeAsync() => witness = await WitnessHost.Start(Config());

    public async Task DisposeAsync() => await witness.DisposeAsync();

    public void Dispose()
    {
        log.Dispose();
        Directory.Delete(stateDir, recursive: true);
    }

    private WitnessConfig Config()
    {
        var (privateKey, _) = CosignatureSigner.Generate("witness.test/w1");
        return new WitnessConfig { PrivateKey = privateKey, StateDir = stateDir, Logs = [new WitnessedLog { Origin = log.Origin, VerifierKey = log.VerifierKey }] };
    }

    private CosignatureVerifier WitnessVerifier()
    {
        Assert.True(CosignatureVerifier.TryParse(witness.VerifierKey, out var v));
        return v!;
    }

    /// <summary>Asserts a 200 whose body is cosignature lines verifying over the checkpoint, and returns their timestamp.</summary>
    private long AssertCosigned(Answer answer, long size)
    {
        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.StartsWith("\u2014 witness.test/w1 ", answer.Body);
        Assert.EndsWith("\n", answer.Body);
        // The spec's client recipe: append the lines to the checkpoint and open it with the witness key.
        var opened = Note.Open(Encoding.UTF8.GetBytes(log.SignedCheckpoint(size) + answer.Body), [WitnessVerifier()]);
        var line = Assert.Single(opened.Verified);
        Assert.True(Cosignature.TryReadTimestamp(line.Base64, out long timestamp));
        return timestamp;
    }

    private static void AssertSizeConflict(Answer answer, long size)
    {
        Assert.True(answer.Status == HttpStatusCode.Conflict, answer.ToString());
        Assert.Equal("text/x.tlog.size", answer.ContentType?.MediaType);
        Assert.Equal($"{size}\n", answer.Body);
    }

    /// <summary>The witness's recorded size, read the way a client learns it: old size 0 and a 409 (or 200 at 0).</summary>
    private async Task AssertRecordedSize(long size) =>
        AssertSizeConflict(await witness.Post(AddCheckpoint.Format(size == 0 ? 1 : 0, [], log.SignedCheckpoint(Math.Max(size, 1)))), size);

    [Fact]
    public async Task a_first_checkpoint_with_old_size_zero_and_no_proof_is_cosigned_with_the_witness_time()
    {
        var answer = await witness.Post(log.Request(0, 7));
        Assert.Equal(witness.Time.Now.ToUnixTimeSeconds(), AssertCosigned(answer, 7));
        await AssertRecordedSize(7);
    }

    [Fact]
    public async Task the_next_checkpoint_with_the_right_consistency_proof_is_cosigned()
    {
        AssertCosigned(await witness.Post(log.Request(0, 7)), 7);
        witness.Time.Now += TimeSpan.FromSeconds(5);
        Assert.Equal(witness.Time.Now.ToUnixTimeSeconds(), AssertCosigned(await witness.Post(log.Request(7, 20)), 20));
        AssertCosigned(await witness.Post(log.Request(20, 32)), 32);
        await AssertRecordedSize(32);
    }

    [Fact]
    public async Task a_checkpoint_of_an_unknown_origin_gets_404()
    {
        using var other = new TestLog("log.test/other");
        var answer = await witness.Post(other.Request(0, 3));
        Assert.True(answer.Status == HttpStatusCode.NotFound, answer.ToString());
        await AssertRecordedSize(0);
    }

    [Fact]
    public async Task a_checkpoint_signed_by_another_key_of_the_same_name_gets_403()
    {
        using var impostor = new TestLog(log.Origin); // same origin and key name, another key (so another key ID)
        var answer = await witness.Post(impostor.Request(0, 3));
        Assert.True(answer.Status == HttpStatusCode.Forbidden, answer.ToString());
        await AssertRecordedSize(0);
    }

    [Fact]
    public async Task a_checkpoint_whose_signature_by_the_log_key_does_not_verify_gets_403()
    {
        var note = log.SignedCheckpoint(3);
        // Flip one bit of the signature (a base64 character well inside the signature bytes).
        int at = note.LastIndexOf(' ') + 30;
        var tampered = note[..at] + (note[at] == 'A' ? 'B' : 'A') + note[(at + 1)..];
        var answer = await witness.Post(AddCheckpoint.Format(0, [], tampered));
        Assert.True(answer.Status == HttpStatusCode.Forbidden, answer.ToString());
        // A changed root under the right signature line is the same case.
        var forged = note.Replace(log.Root(3).ToBase64(), log.Root(4).ToBase64());
        Assert.Equal(HttpStatusCode.Forbidden, (await witness.Post(AddCheckpoint.Format(0, [], forged))).Status);
        await AssertRecordedSize(0);
    }

    [Fact]
    public async Task signatures_by_unknown_keys_beside_the_log_signature_are_ignored()
    {
        using var stranger = new TestLog("someone.else/key");
        var note = log.SignedCheckpoint(3);
        var extra = stranger.SignedCheckpoint(3);
        var withStranger = note + extra[(extra.LastIndexOf("\n\n", StringComparison.Ordinal) + 2)..];
        AssertCosigned(await witness.Post(AddCheckpoint.Format(0, [], withStranger)), 3);
    }

    [Fact]
    public async Task a_wrong_old_size_gets_409_with_the_recorded_size_as_text_x_tlog_size()
    {
        AssertCosigned(await witness.Post(log.Request(0, 10)), 10);
        AssertSizeConflict(await witness.Post(log.Request(5, 20)), 10);
        AssertSizeConflict(await witness.Post(log.Request(0, 20)), 10);
        AssertSizeConflict(await witness.Post(log.Request(12, 20)), 10);
        // The client then retries from the size it was told, as a log does.
        AssertCosigned(await witness.Post(log.Request(10, 20)), 20);
    }

    [Fact]
    public async Task a_consistency_proof_that_does_not_verify_gets_422_and_changes_nothing()
    {
        AssertCosigned(await witness.Post(log.Request(0, 10)), 10);
        var proof = log.Proof(10, 20);
        var flipped = (Hash[])proof.Clone();
        var bytes = flipped[0].ToArray();
        bytes[0] ^= 1;
        flipped[0] = new Hash(bytes);
        foreach (var bad in new[] { flipped, proof[..^1], [.. proof, proof[0]], log.Proof(11, 20), [] })
        {
            var answer = await witness.Post(AddCheckpoint.Format(10, bad, log.SignedCheckpoint(20)));
            Assert.True(answer.Status == HttpStatusCode.UnprocessableEntity, answer.ToString());
        }
        await AssertRecordedSize(10);
    }

    [Fact]
    public async Task a_proof_with_old_size_zero_or_with_an_unchanged_size_must_be_empty()
    {
        var answer = await witness.Post(AddCheckpoint.Format(0, [log.Root(1)], log.SignedCheckpoint(5)));
        Assert.True(answer.Status == HttpStatusCode.UnprocessableEntity, answer.ToString());
        AssertCosigned(await witness.Post(log.Request(0, 5)), 5);
        answer = await witness.Post(AddCheckpoint.Format(5, [log.Root(1)], log.SignedCheckpoint(5)));
        Assert.True(answer.Status == HttpStatusCode.UnprocessableEntity, answer.ToString());
        await AssertRecordedSize(5);
    }

    [Theory]
    [InlineData("")]
    [InlineData("old 0\n")]
    [InlineData("old 0\n\n")]
    [InlineData("old 00\n\n{checkpoint}")]
    [InlineData("old -0\n\n{checkpoint}")]
    [InlineData("old 0\r\n\r\n{checkpoint}")]
    [InlineData("old 0\nnot base64\n\n{checkpoint}")]
    [InlineData("{checkpoint}")]
    [InlineData("old 0\n\nlog.test/witnessed\n5\n")] // a checkpoint without signatures
    [InlineData("old 0\n\n{body}")] // a note whose text is not a checkpoint
    [InlineData("old 0\n\n{checkpoint}trailing garbage")]
    public async Task a_malformed_body_gets_400(string template)
    {
        var checkpoint = log.SignedCheckpoint(5);
        var body = template.Replace("{checkpoint}", checkpoint)
            .Replace("{body}", checkpoint.Replace(log.Root(5).ToBase64() + "\n", "")); // origin and size only (and a broken signature)
        var answer = await witness.Post(body);
        Assert.True(answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden, answer.ToString());
        if (!template.Contains("{body}")) Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        await AssertRecordedSize(0);
    }

    [Fact]
    public async Task a_body_that_is_not_utf8_gets_400()
    {
        var body = Encoding.UTF8.GetBytes(log.Request(0, 5));
        body[^5] = 0xff;
        Assert.Equal(HttpStatusCode.BadRequest, (await witness.Post(body)).Status);
        await AssertRecordedSize(0);
    }

    [Fact]
    public async Task an_old_size_above_the_checkpoint_size_gets_400()
    {
        AssertCosigned(await witness.Post(log.Request(0, 10)), 10);
        var answer = await witness.Post(AddCheckpoint.Format(11, [], log.SignedCheckpoint(10)));
        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        await AssertRecordedSize(10);
    }

    [Fact]
    public async Task a_body_above_the_cap_gets_413()
    {
        var answer = await witness.Post(new byte[witness.Config.MaxBodyBytes + 1]);
        Assert.True(answer.Status == HttpStatusCode.RequestEntityTooLarge, answer.ToString());
    }

    [Fact]
    public async Task the_same_checkpoint_resubmitted_is_cosigned_again_with_a_fresh_time()
    {
        long first = AssertCosigned(await witness.Post(log.Request(0, 10)), 10);
        witness.Time.Now += TimeSpan.FromMinutes(1);
        long second = AssertCosigned(await witness.Post(log.Request(10, 10)), 10);
        Assert.Equal(first + 60, second);
        await AssertRecordedSize(10);
    }

    [Fact]
    public async Task the_recorded_size_with_another_root_gets_409_a_fork()
    {
        AssertCosigned(await witness.Post(log.Request(0, 10)), 10);
        // Same origin, same key (sign the fork's root with the log's key: a log that forked itself).
        var forked = Note.Sign(new Checkpoint(log.Origin, 10, log.Root(9), []).Format(), LogSigner());
        AssertSizeConflict(await witness.Post(AddCheckpoint.Format(10, [], forked)), 10);
        await AssertRecordedSize(10);
        AssertCosigned(await witness.Post(log.Request(10, 12)), 12);
    }

    [Fact]
    public async Task a_rollback_to_a_smaller_checkpoint_is_refused()
    {
        AssertCosigned(await witness.Post(log.Request(0, 20)), 20);
        Assert.Equal(HttpStatusCode.BadRequest, (await witness.Post(AddCheckpoint.Format(20, [], log.SignedCheckpoint(10)))).Status);
        AssertSizeConflict(await witness.Post(log.Request(5, 10)), 20);
        AssertSizeConflict(await witness.Post(log.Request(0, 10)), 20);
        await AssertRecordedSize(20);
    }

    [Fact]
    public async Task the_recorded_checkpoint_survives_a_restart()
    {
        AssertCosigned(await witness.Post(log.Request(0, 15)), 15);
        await witness.Restart();
        await AssertRecordedSize(15);
        AssertSizeConflict(await witness.Post(log.Request(0, 20)), 15);
        AssertCosigned(await witness.Post(log.Request(15, 20)), 20);
        await witness.Restart();
        await AssertRecordedSize(20);
        // The state is the log's signed note, written whole.
        var file = Assert.Single(Directory.GetFiles(stateDir, "*.checkpoint"));
        Assert.Equal(log.SignedCheckpoint(20), File.ReadAllText(file));
        Assert.Empty(Directory.GetFiles(stateDir, "*.tmp"));
    }

    [Fact]
    public async Task concurrent_submissions_from_the_same_old_size_advance_it_exactly_once()
    {
        AssertCosigned(await witness.Post(log.Request(0, 5)), 5);
        for (int round = 0; round < 5; round++)
        {
            // All from size 5 (then from the last winner), to every larger size: one wins, the rest learn its size.
            var (size, _) = await CurrentSize();
            var targets = Enumerable.Range((int)size + 1, 32 - (int)size).ToArray();
            var answers = await Task.WhenAll(targets.Select(to => witness.Post(log.Request(size, to))));
            int winner = Assert.Single(targets.Where((_, i) => answers[i].Status == HttpStatusCode.OK));
            for (int i = 0; i < targets.Length; i++)
                if (targets[i] != winner) AssertSizeConflict(answers[i], winner);
            await AssertRecordedSize(winner);
            if (winner == 32) break;
        }
    }

    [Fact]
    public async Task get_on_add_checkpoint_is_not_allowed()
    {
        using var response = await witness.Client.GetAsync("add-checkpoint");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private async Task<(long Size, Answer Answer)> CurrentSize()
    {
        var answer = await witness.Post(AddCheckpoint.Format(0, [], log.SignedCheckpoint(1)));
        Assert.True(AddCheckpoint.TryParseSize(Encoding.UTF8.GetBytes(answer.Body), out long size), answer.ToString());
        return (size, answer);
    }

    private NoteSigner LogSigner() => log.Signer;
}
