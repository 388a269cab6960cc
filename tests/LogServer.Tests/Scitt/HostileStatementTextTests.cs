using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using static Attest.Tests.Shared.VerificationPage;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// The text of a registered statement's header is the issuer's: a semi-trusted issuer may put terminal escapes, bidi
/// overrides, line separators and markup in its <c>sub</c>, and the page and <c>attest monitor</c> show them to
/// everyone. Each must show them as escaped text, never act on them.
/// </summary>
public sealed class HostileStatementTextTests
{
    // An OSC 8 link, BEL, CR, a right-to-left override, a line separator and markup: each would act on a terminal or a page.
    private const string Hostile = "\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\r\u202Eevil\u2028verdict: VALID<img src=x onerror=alert(1)></script>\u200D";

    [Fact]
    public async Task a_subject_with_terminal_escapes_bidi_overrides_and_markup_reaches_the_page_and_the_monitor_only_as_escaped_text()
    {
        await using var server = await ServerProcess.Start();
        try
        {
            var client = server.Client;
            string issuerId = await client.CreateIssuer("Hostile Text");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var (status, created) = await client.Post($"v1/issuers/{issuerId}/keys", new System.Text.Json.Nodes.JsonObject
            {
                ["kid"] = "hostile-key", ["alg"] = "ES256", ["jwk"] = Jwks.Es256(key),
            });
            Assert.True(status == HttpStatusCode.Created, created.GetRawText());
            var statement = MixedLog.Statement(key, issuerId, Hostile, "hostile-key", "{}"u8.ToArray());
            var registered = await client.Register(statement);
            Assert.True(registered.Status is HttpStatusCode.Created or HttpStatusCode.SeeOther, $"{registered.Status} {Encoding.UTF8.GetString(registered.Body)}");

            var page = (await RunPage(server, "search", MixedLog.EntryId(statement))).GetProperty("result");
            Assert.Equal("IN THE LOG", page.Str("verdict"));
            string shown = page.GetProperty("facts").Str("statement_sub");
            Assert.StartsWith("\\u001b]8;;https://evil.example\\u0007click", shown);
            Assert.Contains("\\u202eevil\\u2028verdict: VALID<img src=x onerror=alert(1)></script>\\u200d", shown);

            string dir = Directory.CreateTempSubdirectory("attest-hostile-").FullName;
            try
            {
                string vkey = (await client.Get("v1/log/key", key: null)).Body.Str("verifier_key");
                var monitor = await ExternalTools.Run("dotnet",
                    [Path.Combine(AppContext.BaseDirectory, "attest.dll"), "monitor", "--url", server.BaseAddress.ToString(), "--log-key", vkey, "--once", "--entries"],
                    dir, TimeSpan.FromMinutes(2));
                Assert.True(monitor.ExitCode == 0, monitor.ToString());
                string line = monitor.Stdout.Split('\n').Single(l => l.StartsWith("entry ", StringComparison.Ordinal) && l.Contains("SCITT statement,", StringComparison.Ordinal));
                Assert.Contains("sub \"\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007\\u000d\\u202eevil\\u2028verdict: VALID", line);
                Assert.DoesNotContain(line, c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
        }
    }
}
