using System.Text;
using Attest.Merkle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Attest.Witness;

/// <summary>A C2SP tlog-witness (c2sp.org/tlog-witness) as an ASP.NET Core application serving <c>POST /add-checkpoint</c>.</summary>
public static class WitnessApp
{
    /// <summary>
    /// Checks <paramref name="config"/>, loads the witness state and maps <c>POST /add-checkpoint</c>, listening on
    /// <paramref name="urls"/> (e.g. <c>http://127.0.0.1:7380</c>; port 0 picks a free one). Run it with
    /// <c>RunAsync</c>, or <c>StartAsync</c> and read the bound addresses from <c>Urls</c>.
    /// </summary>
    /// <exception cref="WitnessConfigException">when a setting is wrong; the message names it.</exception>
    /// <exception cref="InvalidDataException">when a state file is damaged.</exception>
    public static WebApplication Build(WitnessConfig config, string[] urls, TimeProvider? time = null)
    {
        var setup = WitnessSetup.Create(config);
        WitnessState state;
        try
        {
            state = WitnessState.Open(setup.StateDir, setup.Logs.Keys);
        }
        catch
        {
            setup.Signer.Dispose();
            throw;
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        // The addresses given here win over Kestrel:Endpoints in an appsettings.json of the working directory (such as
        // the log server's, beside it in a build output), which Kestrel would otherwise bind instead.
        builder.WebHost.PreferHostingUrls(true);
        // The body is read by the handler with its own cap (413); Kestrel's limit only has to be above it.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = setup.MaxBodyBytes + 1);
        builder.Services.AddSingleton(setup.Signer); // disposed (key zeroed) with the application
        builder.Services.AddSingleton(sp => new WitnessService(setup, state, time ?? TimeProvider.System, sp.GetRequiredService<ILogger<WitnessService>>()));
        var app = builder.Build();
        var witness = app.Services.GetRequiredService<WitnessService>();
        app.Logger.LogInformation("Witness {Name} ({VerifierKey}) witnessing {Logs}", setup.Signer.Name, setup.Signer.VerifierKey, string.Join(", ", setup.Logs.Keys));
        app.MapPost("/add-checkpoint", (HttpContext context) => witness.AddCheckpoint(context));
        return app;
    }
}

/// <summary>The add-checkpoint checks, in the order c2sp.org/tlog-witness lists them.</summary>
internal sealed class WitnessService(WitnessSetup setup, WitnessState state, TimeProvider time, ILogger<WitnessService> logger)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public async Task AddCheckpoint(HttpContext context)
    {
        var response = context.Response;
        var body = await ReadBody(context.Request, context.RequestAborted);
        if (body is null)
        {
            await Text(response, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {setup.MaxBodyBytes} bytes\n");
            return;
        }
        if (!Merkle.AddCheckpoint.TryParse(body, out var request))
        {
            await Text(response, StatusCodes.Status400BadRequest, "the body is not \"old <size>\", up to 63 base64 proof lines, an empty line and a checkpoint\n");
            return;
        }

        // The origin is the note's first line; it picks the keys the note must be signed with.
        var note = request!.SignedCheckpoint;
        int newline = note.AsSpan().IndexOf((byte)'\n');
        string origin;
        try
        {
            origin = newline > 0 ? StrictUtf8.GetString(note, 0, newline) : "";
        }
        catch (DecoderFallbackException)
        {
            origin = "";
        }
        if (origin.Length == 0)
        {
            await Text(response, StatusCodes.Status400BadRequest, "the checkpoint has no origin line\n");
            return;
        }
        if (!setup.Logs.TryGetValue(origin, out var verifiers))
        {
            await Text(response, StatusCodes.Status404NotFound, "unknown log origin\n");
            return;
        }

        // "The witness MUST verify the checkpoint signature against the public key(s) it trusts for the checkpoint
        // origin, and it MUST ignore signatures from unknown keys": Note.Open does both.
        OpenedNote opened;
        try
        {
            opened = Note.Open(note, verifiers);
        }
        catch (NoteException e)
        {
            bool malformed = e.Failure == NoteFailure.Malformed;
            await Text(response, malformed ? StatusCodes.Status400BadRequest : StatusCodes.Status403Forbidden, e.Message + "\n");
            return;
        }
        if (!Checkpoint.TryParse(opened.Text, out var checkpoint) || checkpoint!.Origin != origin)
        {
            await Text(response, StatusCodes.Status400BadRequest, "the note is not a checkpoint\n");
            return;
        }
        if (request.OldSize > checkpoint.Size)
        {
            await Text(response, StatusCodes.Status400BadRequest, "the old size is larger than the checkpoint size\n");
            return;
        }

        var originLock = state.Lock(origin);
        await originLock.WaitAsync(context.RequestAborted);
        string cosignature;
        try
        {
            var (size, root) = state.Latest(origin);
            if (request.OldSize != size)
            {
                await SizeConflict(response, size);
                return;
            }
            // Same size as the recorded checkpoint: the roots must be identical, else it is a fork ("409 Conflict").
            if (checkpoint.Size == size && root is { } recorded && recorded != checkpoint.Root)
            {
                logger.LogWarning("Log {Origin} submitted a checkpoint of size {Size} with another root than the one cosigned; possible split view:\n{Request}",
                    origin, size, Encoding.UTF8.GetString(body));
                await SizeConflict(response, size);
                return;
            }
            // From size 0 (nothing to be consistent with) or to the same size, the proof is empty; RFC 6962 §2.1.2
            // (verified per RFC 9162 §2.1.4.2) otherwise.
            bool consistent = request.OldSize == 0 || request.OldSize == checkpoint.Size
                ? request.Proof.Length == 0
                : ConsistencyProof.Verify(request.OldSize, checkpoint.Size, request.Proof, root!.Value, checkpoint.Root);
            if (!consistent)
            {
                // Kept in the log: a log-signed checkpoint without a valid proof may be evidence of misbehaviour.
                logger.LogWarning("Log {Origin} submitted checkpoint {Size} with a consistency proof from {Old} that does not verify:\n{Request}",
                    origin, checkpoint.Size, request.OldSize, Encoding.UTF8.GetString(body));
                await Text(response, StatusCodes.Status422UnprocessableEntity, "the consistency proof does not verify\n");
                return;
            }
            if (checkpoint.Size != size || root is null) state.Save(origin, checkpoint, note);
            cosignature = setup.Signer.Cosign(Encoding.UTF8.GetBytes(opened.Text), time.GetUtcNow().ToUnixTimeSeconds());
        }
        finally
        {
            originLock.Release();
        }
        logger.LogInformation("Cosigned {Origin} at size {Size}", origin, checkpoint.Size);
        await Text(response, StatusCodes.Status200OK, cosignature);
    }

    /// <summary>The body, or null when it is larger than the cap.</summary>
    private async Task<byte[]?> ReadBody(HttpRequest request, CancellationToken token)
    {
        if (request.ContentLength > setup.MaxBodyBytes) return null;
        var buffer = new byte[setup.MaxBodyBytes + 1];
        int n = 0;
        try
        {
            while (n < buffer.Length)
            {
                int read = await request.Body.ReadAsync(buffer.AsMemory(n), token);
                if (read == 0) break;
                n += read;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return n > setup.MaxBodyBytes ? null : buffer[..n];
    }

    // "The response body MUST consist of the tree size of the latest cosigned checkpoint in decimal, followed by a
    // newline (U+000A). The response MUST have a Content-Type of text/x.tlog.size."
    private static Task SizeConflict(HttpResponse response, long size) =>
        Text(response, StatusCodes.Status409Conflict, Merkle.AddCheckpoint.FormatSize(size), Merkle.AddCheckpoint.SizeContentType);

    private static Task Text(HttpResponse response, int status, string body, string contentType = "text/plain; charset=utf-8")
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        return response.WriteAsync(body);
    }
}
