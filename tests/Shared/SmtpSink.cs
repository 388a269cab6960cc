using System.Diagnostics;
using MimeKit;

namespace Attest.Tests.Shared;

/// <summary>
/// A real SMTP server on loopback (Debian's python3-aiosmtpd, tests/interop/smtp/sink.py) that keeps every message it
/// accepts, for the mail delivery tests.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process process;

    private SmtpSink(Process process, string folder, int port) => (this.process, Folder, Port) = (process, folder, port);

    public string Folder { get; }

    public int Port { get; }

    /// <summary>Starts on <paramref name="port"/> (a <see cref="ReservedPort"/> let go just before), or a port of its own.</summary>
    public static async Task<SmtpSink> Start(ReservedPort? port = null, bool rejectRecipients = false)
    {
        if (!File.Exists("/usr/bin/python3") || !File.Exists("/usr/lib/python3/dist-packages/aiosmtpd/__init__.py"))
            throw new Xunit.Sdk.XunitException("the mail tests need Debian's python3-aiosmtpd (apt-get install python3-aiosmtpd; scripts/test installs it)");
        int p;
        using (var reserved = port ?? new ReservedPort()) p = reserved.Port;
        string folder = Directory.CreateTempSubdirectory("attest-smtp-").FullName;
        var psi = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(ExternalTools.Interop("smtp"), "sink.py"), p.ToString(), folder, .. rejectRecipients ? ["--reject-rcpt"] : Array.Empty<string>()])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi)!;
        var line = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(line, Task.Delay(TimeSpan.FromSeconds(30))) != line || await line != "listening")
        {
            if (!process.HasExited) process.Kill();
            throw new InvalidOperationException($"the SMTP sink did not start: {await process.StandardError.ReadToEndAsync()}");
        }
        return new SmtpSink(process, folder, p);
    }

    /// <summary>The settings that make a server mail through this sink.</summary>
    public static Dictionary<string, string> Settings(int port) => new()
    {
        ["Attest__Mail__Host"] = "127.0.0.1",
        ["Attest__Mail__Port"] = port.ToString(),
        ["Attest__Mail__Tls"] = "none",
        ["Attest__Mail__From"] = "Attest <attest@example.org>",
        ["Attest__Mail__FirstRetryDelay"] = "00:00:00.200",
        ["Attest__Mail__MaxRetryDelay"] = "00:00:01",
        ["Attest__PublicUrl"] = "http://attest.example",
    };

    public IReadOnlyList<MimeMessage> Messages() =>
        [.. Directory.GetFiles(Folder, "*.eml").Order(StringComparer.Ordinal).Select(f => MimeMessage.Load(f))];

    /// <summary>Waits for at least <paramref name="count"/> messages (a minute at most) and returns all there are.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitFor(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (Directory.GetFiles(Folder, "*.eml").Length < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Directory.GetFiles(Folder, "*.eml").Length} of {count} messages arrived");
            await Task.Delay(50);
        }
        return Messages();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10))) process.Kill();
        }
        await process.WaitForExitAsync();
        process.Dispose();
        Directory.Delete(Folder, true);
    }
}
