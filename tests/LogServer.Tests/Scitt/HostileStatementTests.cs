using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using static Attest.Tests.Shared.VerificationPage;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// A registered statement is the issuer's bytes, shown to everyone by the page and <c>attest monitor</c>: a
/// semi-trusted issuer may put terminal escapes, bidi overrides, line separators and markup in its <c>sub</c>, and
/// make it as large as an entry holds. Readers show such text escaped, never act on it, and read the largest whole.
/// </summary>
public sealed class HostileStatementTests
{
    // A byte order mark (which a lenient UTF-8 decoder drops), an OSC 8 link, BEL, CR, a right-to-left override, a line
    // separator and markup: each would act on a terminal or a page, or make two readers show two different subjects.
    private const string Hostile = "\uFEFF\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\r\u202Eevil\u2028verdict: VALID<img src=x onerror=alert(1)></script>\u200D";

    [Fact]
    public async Task a_subject_with_terminal_escapes_bidi_overrides_and_markup_reaches_the_page_and_the_monitor_only_as_escaped_text()
    {
        await using var server = await ServerProcess.Start();
        try
        {
            var client = server.Client;
            string issuerId = await client.CreateIssuer("Hostile Text");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await client.AddEs256Key(issuerId, "hostile-key", key);
            var statement = MixedLog.Statement(key, issuerId, Hostile, "hostile-key", "{}"u8.ToArray());
            var registered = await client.Register(statement);
            Assert.True(registered.Status is HttpStatusCode.Created or HttpStatusCode.SeeOther, $"{registered.Status} {Encoding.UTF8.GetString(registered.Body)}");

            var page = (await RunPage(server, "search", MixedLog.EntryId(statement))).GetProperty("result");
            Assert.Equal("IN THE LOG", page.Str("verdict"));
            string shown = page.GetProperty("facts").Str("statement_sub");
            Assert.StartsWith("\\ufeff\\u001b]8;;https://evil.example\\u0007click", shown);
            Assert.Contains("\\u202eevil\\u2028verdict: VALID<img src=x onerror=alert(1)></script>\\u200d", shown);

            string monitor = await ScittClient.MonitorEntries(server);
            string line = monitor.Split('\n').Single(l => l.StartsWith("entry ", StringComparison.Ordinal) && l.Contains("SCITT statement,", StringComparison.Ordinal));
            Assert.Contains("sub \"\\ufeff\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007\\u000d\\u202eevil\\u2028verdict: VALID", line);
            Assert.DoesNotContain(line, c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
        }
    }

    [Fact]
    public async Task a_statement_of_the_largest_size_an_entry_holds_is_registered_and_read_back_by_the_lookup_the_tiles_the_page_and_the_monitor()
    {
        await using var server = await ServerProcess.Start();
        try
        {
            var client = server.Client;
            string issuerId = await client.CreateIssuer("Largest Statement");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await client.AddEs256Key(issuerId, "large-key", key);
            // A sub of markup the size of the header's cap and a payload filling the rest, to exactly 65,535 bytes.
            string sub = string.Concat(Enumerable.Repeat("<b>", 8_000));
            int overhead = MixedLog.Statement(key, issuerId, sub, "large-key", new byte[1_000]).Length - 1_000;
            var statement = MixedLog.Statement(key, issuerId, sub, "large-key", RandomNumberGenerator.GetBytes(65_535 - overhead));
            Assert.Equal(65_535, statement.Length);
            var registered = await client.Register(statement);
            Assert.True(registered.Status is HttpStatusCode.Created or HttpStatusCode.SeeOther, $"{registered.Status} {Encoding.UTF8.GetString(registered.Body)}");
            var after = await client.Stamp("after the largest statement " + Guid.NewGuid());
            long index = after.GetProperty("log_index").GetInt64() - 1;

            var entries = await ScittLog.Entries(client);
            Assert.Equal(statement, entries[(int)index]);
            Assert.Equal(after.Str("entry"), Encoding.UTF8.GetString(entries[(int)index + 1]));
            string id = MixedLog.EntryId(statement);
            var (found, body) = await client.Get($"v1/log/entries?leaf_hash={id}", key: null);
            Assert.Equal(HttpStatusCode.OK, found);
            Assert.Equal(statement, Convert.FromBase64String(body.Str("statement")));

            var page = (await RunPage(server, "search", id)).GetProperty("result");
            Assert.Equal("IN THE LOG", page.Str("verdict"));
            Assert.Equal(sub, page.GetProperty("facts").Str("statement_sub"));
            Assert.Equal("65535 bytes", page.GetProperty("facts").Str("statement_size"));

            string monitor = await ScittClient.MonitorEntries(server);
            Assert.Contains($"entry {index}: SCITT statement, 65535 bytes, iss \"{issuerId}\", sub \"{sub[..80]}…\", kid \"large-key\"", monitor);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
        }
    }
}
