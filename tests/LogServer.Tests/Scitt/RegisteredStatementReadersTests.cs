using System.Net;
using System.Security.Cryptography;
using System.Text;
using static Attest.Tests.Shared.VerificationPage;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// A statement registered through SCRAPI (<c>POST /entries</c>) between JSON entries, read back by every reader of the
/// log that is not the indexer (docs/ENTRIES.md "Entry kinds"): the entry bundle, the leaf-hash lookup, the page, the
/// gRPC stream and <c>attest monitor</c>, each on the real server and the real CLI.
/// </summary>
public sealed class RegisteredStatementReadersTests
{
    [Fact]
    public async Task a_registered_statement_is_read_back_byte_for_byte_by_the_tiles_the_lookup_the_page_and_the_monitor()
    {
        await using var server = await ServerProcess.Start();
        try
        {
            var client = server.Client;
            string issuerId = await client.CreateIssuer("Registered Statement Readers");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await client.AddEs256Key(issuerId, "readers-key", key);
            var before = await client.Stamp("before the statement " + Guid.NewGuid());
            var statement = MixedLog.Statement(key, issuerId, "pkg:npm/readers@1.0.0", "readers-key", "{\"ok\":true}"u8.ToArray());
            var registered = await client.Register(statement);
            Assert.True(registered.Status is HttpStatusCode.Created or HttpStatusCode.SeeOther, $"{registered.Status} {Encoding.UTF8.GetString(registered.Body)}");
            var after = await client.Stamp("after the statement " + Guid.NewGuid());
            long index = before.GetProperty("log_index").GetInt64() + 1;
            Assert.Equal(index + 1, after.GetProperty("log_index").GetInt64());

            // The entry bundle holds the statement byte for byte, between the two JSON entries.
            var entries = await ScittLog.Entries(client);
            Assert.Equal(statement, entries[(int)index]);
            Assert.Equal(after.Str("entry"), Encoding.UTF8.GetString(entries[(int)index + 1]));

            // The lookup by its entry id.
            string id = MixedLog.EntryId(statement);
            var (found, body) = await client.Get($"v1/log/entries?leaf_hash={id}", key: null);
            Assert.Equal(HttpStatusCode.OK, found);
            Assert.Equal(index, body.GetProperty("index").GetInt64());
            Assert.Equal(statement, Convert.FromBase64String(body.Str("statement")));

            // The page.
            var page = (await RunPage(server, "search", id)).GetProperty("result");
            Assert.Equal("IN THE LOG", page.Str("verdict"));
            Assert.Equal(issuerId, page.GetProperty("facts").Str("statement_iss"));
            Assert.Equal("readers-key", page.GetProperty("facts").Str("statement_kid"));

            // The monitor, from the empty tree to the end, with one line per entry.
            string monitor = await ScittClient.MonitorEntries(server);
            Assert.Contains($"entry {index}: SCITT statement, {statement.Length} bytes, iss \"{issuerId}\", sub \"pkg:npm/readers@1.0.0\", kid \"readers-key\", alg ES256", monitor);
            Assert.Contains("1 SCITT statement", monitor);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
        }
    }
}
