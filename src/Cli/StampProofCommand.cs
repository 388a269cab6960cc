using System.CommandLine;
using System.Net;
using System.Text;
using Attest.Verification;

namespace Attest.Cli;

/// <summary>
/// <c>attest stamp-proof</c>: a stamp's public proof (GET /v1/stamps/{id}/proof, or a saved file) verified here under
/// the pinned log key (<see cref="StampProofVerifier"/>); a revealed sealed stamp's content is shown only once its
/// SHA-256, computed here, is the hash logged when it was sealed.
/// </summary>
public static class StampProofCommand
{
    /// <summary>A stamp proof carries at most two entries of 64 KiB, their proofs and an anchor.</summary>
    private const int MaxProofBytes = 1 << 20;

    public static Command Create()
    {
        var stamp = new Argument<string>("stamp") { Description = "the stamp's id (UUID), fetched from --url, or a file holding its proof" };
        var logKey = new Option<string>("--log-key") { Description = "the trust root: the log's verifier key (name+hex8+base64), or a file holding it", Required = true };
        var url = Common.UrlOption();
        var command = new Command("stamp-proof",
            "Verify a stamp's proof (GET /v1/stamps/{id}/proof): its stamp/v1 entry, inclusion in a checkpoint signed by --log-key and, for a " +
            "revealed sealed stamp, its stamp-reveal/v1 entry, whose content must hash (SHA-256, here) to the hash logged when it was sealed; " +
            "then prints that content. Exit 0 when every check passes, 1 when one fails.")
        {
            stamp, logKey, url,
        };
        command.SetAction((parse, token) => Common.Run(async () =>
        {
            var key = Common.LogKey(parse.GetValue(logKey)!);
            string target = parse.GetValue(stamp)!;
            byte[] proof = Guid.TryParseExact(target, "D", out var id)
                ? await Fetch(Common.BaseUrl(parse.GetValue(url)), id, token)
                : ReadFile(target);
            var report = StampProofVerifier.Verify(proof, key);
            Print(report);
            return report.Stamped ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static void Print(StampProofReport r)
    {
        if (r.StampId is not null) VerifyCommand.Line($"stamp {r.StampId}, content SHA-256 {r.ContentHash}, stamped at {r.CreatedAt}");
        int width = r.Checks.Max(c => c.Name.Length);
        foreach (var c in r.Checks) VerifyCommand.Line($"  {c.Outcome.ToString().ToLowerInvariant(),-4}  {c.Name.PadRight(width)}  {c.Detail}");
        if (r.RevealedContent is { } content)
        {
            VerifyCommand.Line($"revealed at {r.RevealedAt}; content (its SHA-256 is the sealed hash):");
            foreach (string line in content.Split('\n')) VerifyCommand.Line("  | " + line);
        }
        VerifyCommand.Line($"verdict: {(r.Stamped ? "STAMPED" : "NOT VERIFIED")}");
    }

    private static async Task<byte[]> Fetch(Uri server, Guid id, CancellationToken token)
    {
        using var http = Common.Http(TimeSpan.FromMinutes(1));
        http.MaxResponseContentBufferSize = MaxProofBytes;
        try
        {
            using var response = await http.GetAsync(new Uri(server, $"v1/stamps/{id}/proof"), token);
            byte[] body = await response.Content.ReadAsByteArrayAsync(token);
            if (response.StatusCode == HttpStatusCode.NotFound) throw new UsageException($"the server has no stamp {id}");
            if (response.StatusCode != HttpStatusCode.OK) throw new UnavailableException($"the server answered {(int)response.StatusCode} for the stamp's proof");
            return body;
        }
        catch (HttpRequestException e)
        {
            throw new UnavailableException($"cannot reach {server}: {e.Message}");
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            throw new UnavailableException($"{server} did not answer within {http.Timeout.TotalSeconds:0} s");
        }
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UsageException($"{path}: no such file, nor a stamp id (UUID)");
            if (info.Length > MaxProofBytes) throw new UsageException($"{path} is larger than a stamp proof can be ({MaxProofBytes} bytes)");
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
    }
}
