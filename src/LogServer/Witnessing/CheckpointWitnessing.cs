using System.Net;
using System.Text;
using Attest.LogServer.Log;
using Attest.Merkle;

namespace Attest.LogServer.Witnessing;

/// <summary>One witness as <c>/readyz</c> shows it.</summary>
public sealed record WitnessStatus(string Name, string Url, long? KnownSize, long? LastCosignedSize, DateTimeOffset? LastCosignedAt, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>
/// <c>/readyz</c>'s <c>witnessing</c>: <see cref="State"/> is <c>off</c>, <c>ok</c> (the last checkpoint had its quorum),
/// <c>degraded</c> (fail-open: published without it) or <c>holding</c> (hold: <see cref="HeldSize"/> waits for it).
/// </summary>
public sealed record WitnessingStatus(
    bool Enabled, string? Policy, int Quorum, string State, long? LastCheckpointSize, int LastCosignatures, long? HeldSize, string? Warning,
    IReadOnlyList<WitnessStatus> Witnesses);

/// <summary>
/// Sends each new checkpoint to the configured witnesses (c2sp.org/tlog-witness add-checkpoint), all at once, each
/// with its own timeout, and attaches the cosignatures they return (c2sp.org/tlog-cosignature) to the note that is
/// published. Then applies the policy: with fewer than the quorum, publish anyway (fail-open) or hold the checkpoint.
/// </summary>
/// <remarks>
/// The log keeps, per witness, the size it believes the witness has cosigned (0 at start: the spec lets a client that
/// does not know ask from 0). A 409 answer carries the witness's real size; the request is then sent once more from
/// that size, with the proof from it. So a witness that lost its state (size 0) or a log that restarted both recover
/// in one round trip. Calls come from one publisher at a time (the log's publish lock), so the sizes need no lock
/// of their own; the status is read from other threads and is replaced whole.
/// </remarks>
public sealed class CheckpointWitnessing : ICheckpointWitness, IDisposable
{
    private const int MaxAnswerBytes = 16 * 1024;
    private readonly WitnessSetup? setup;
    private readonly ILogger logger;
    private readonly HttpClient http;
    private readonly Tracked[] witnesses;
    private volatile WitnessingStatus status;

    public CheckpointWitnessing(WitnessSetup? setup, ILogger<CheckpointWitnessing> logger)
    {
        this.setup = setup;
        this.logger = logger;
        // Keep-alive connections, as the spec asks of clients; timeouts are per request (below), not per client.
        http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        witnesses = setup is null ? [] : [.. setup.Witnesses.Select(w => new Tracked(w))];
        status = setup is null
            ? new WitnessingStatus(false, null, 0, "off", null, 0, null, null, [])
            : new WitnessingStatus(true, setup.Hold ? "hold" : "fail-open", setup.Quorum, "ok", null, 0, null, null, Each());
    }

    public WitnessingStatus Status() => status;

    public async Task<SignedCheckpoint?> Cosign(SignedCheckpoint signed, IHashReader hashes, CancellationToken token)
    {
        if (setup is null) return signed;
        var lines = await Task.WhenAll(witnesses.Select(w => Ask(w, signed, hashes, token)));
        var got = lines.Where(l => l is not null).ToList();
        var cosigned = new SignedCheckpoint(signed.Checkpoint, signed.Note + string.Concat(got));
        string? warning = null;
        string state = "ok";
        if (got.Count < setup.Quorum)
        {
            var failed = string.Join("; ", witnesses.Where((w, i) => lines[i] is null).Select(w => $"{w.Witness.Name}: {w.LastError}"));
            warning = $"checkpoint {signed.Size} has {got.Count} of the {setup.Quorum} cosignatures required ({failed})";
            state = setup.Hold ? "holding" : "degraded";
            if (setup.Hold) logger.LogWarning("Holding checkpoint {Size} back: {Warning}", signed.Size, warning);
            else logger.LogWarning("Publishing checkpoint {Size} without its witness quorum (fail-open): {Warning}", signed.Size, warning);
        }
        status = new WitnessingStatus(true, setup.Hold ? "hold" : "fail-open", setup.Quorum, state,
            state == "holding" ? status.LastCheckpointSize : signed.Size, state == "holding" ? status.LastCosignatures : got.Count,
            state == "holding" ? signed.Size : null, warning, Each());
        return state == "holding" ? null : cosigned;
    }

    /// <summary>One add-checkpoint exchange (and its one retry after a 409); the witness's verified cosignature line, or null.</summary>
    private async Task<string?> Ask(Tracked w, SignedCheckpoint signed, IHashReader hashes, CancellationToken token)
    {
        long old = w.KnownSize ?? 0;
        for (int attempt = 0; ; attempt++)
        {
            if (old > signed.Size) return w.Fail($"the witness has cosigned size {old}, more than this checkpoint's {signed.Size}");
            // c2sp.org/tlog-witness: the proof is RFC 6962 §2.1.2 PROOF(old, size), empty from 0 or to the same size.
            Hash[] proof = old == 0 || old == signed.Size ? [] : ConsistencyProof.Prove(old, signed.Size, hashes);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(setup!.Timeout);
            try
            {
                using var content = new StringContent(AddCheckpoint.Format(old, proof, signed.Note), new UTF8Encoding(false), "text/plain");
                using var response = await http.PostAsync(w.Witness.AddCheckpointUrl, content, timeout.Token);
                var body = await ReadCapped(response.Content, timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    if (body is null) return w.Fail("answered 200 with a body over 16 KiB");
                    return Verified(w, signed, body) is { } line ? w.Cosigned(signed.Size, line) : w.Fail("answered 200 without a valid cosignature by its key");
                }
                if (response.StatusCode == HttpStatusCode.Conflict && response.Content.Headers.ContentType?.MediaType == AddCheckpoint.SizeContentType
                    && body is not null && AddCheckpoint.TryParseSize(body, out long size))
                {
                    w.KnownSize = size;
                    if (attempt == 0 && size != old)
                    {
                        logger.LogInformation("Witness {Witness} is at size {Size}, not {Old}; sending checkpoint {New} again from there", w.Witness.Name, size, old, signed.Size);
                        old = size;
                        continue;
                    }
                    return w.Fail(size == signed.Size
                        ? $"409: the witness has cosigned size {size} with another root (a split view?)"
                        : $"409: the witness is at size {size}");
                }
                string text = body is null ? "" : Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200))).Trim();
                if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
                    logger.LogError("Witness {Witness} refused the consistency proof from {Old} to {Size}: its view of this log differs", w.Witness.Name, old, signed.Size);
                return w.Fail($"answered {(int)response.StatusCode}: {text}");
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                return w.Fail($"no answer within {setup.Timeout.TotalSeconds:0.###} s");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return w.Fail(e.Message);
            }
        }
    }

    // "The client MUST ignore any cosignatures from unknown keys. To parse the response, the client MAY concatenate it
    // to the checkpoint, and use a note verification function configured with the witness keys it trusts."
    private static string? Verified(Tracked w, SignedCheckpoint signed, byte[] body)
    {
        try
        {
            var opened = Note.Open([.. Encoding.UTF8.GetBytes(signed.Note), .. body], [w.Witness.Verifier]);
            var line = opened.Verified.Single();
            return $"\u2014 {line.Name} {line.Base64}\n";
        }
        catch (NoteException)
        {
            return null;
        }
    }

    private static async Task<byte[]?> ReadCapped(HttpContent content, CancellationToken token)
    {
        if (content.Headers.ContentLength > MaxAnswerBytes) return null;
        await using var stream = await content.ReadAsStreamAsync(token);
        var buffer = new byte[MaxAnswerBytes + 1];
        int n = 0, read;
        while (n < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(n), token)) > 0) n += read;
        return n > MaxAnswerBytes ? null : buffer[..n];
    }

    private WitnessStatus[] Each() => [.. witnesses.Select(w => new WitnessStatus(w.Witness.Name, w.Witness.DisplayUrl, w.KnownSize, w.LastCosignedSize, w.LastCosignedAt, w.LastError, w.LastErrorAt))];

    public void Dispose() => http.Dispose();

    private sealed class Tracked(ConfiguredWitness witness)
    {
        public ConfiguredWitness Witness { get; } = witness;

        public long? KnownSize { get; set; }

        public long? LastCosignedSize { get; private set; }

        public DateTimeOffset? LastCosignedAt { get; private set; }

        public string? LastError { get; private set; }

        public DateTimeOffset? LastErrorAt { get; private set; }

        public string Cosigned(long size, string line)
        {
            KnownSize = LastCosignedSize = size;
            LastCosignedAt = DateTimeOffset.UtcNow;
            LastError = null;
            return line;
        }

        public string? Fail(string error)
        {
            LastError = error;
            LastErrorAt = DateTimeOffset.UtcNow;
            return null;
        }
    }
}
