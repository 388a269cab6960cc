using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// Every list is paged (?limit=, an opaque ?cursor=, next_cursor null at the end), so no request makes the server
/// render an unbounded list; pages follow log order, and keys created while a client walks the pages neither repeat
/// nor hide the keys that were there when it began.
/// </summary>
public sealed class PaginationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task the_keyring_answers_at_most_a_default_page_and_a_cursor_to_the_rest()
    {
        // More keys than one page: the quota of keys is per issuer, so spread them over two.
        var created = new HashSet<string>();
        foreach (var issuer in new[] { await Client.CreateIssuer("Keyring A"), await Client.CreateIssuer("Keyring B") })
            for (int i = 0; i < 60; i++) created.Add((await Client.CreateKey(issuer)).Str("kid"));

        var (status, first) = await Client.Get(".well-known/attest-keys.json", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(100, first.GetProperty("keys").GetArrayLength());
        Assert.Equal(JsonValueKind.String, first.GetProperty("next_cursor").ValueKind);
        Assert.Equal(JsonValueKind.String, first.GetProperty("log").GetProperty("verifier_key").ValueKind);

        var all = await Walk(".well-known/attest-keys.json", "keys", limit: null, key: null);
        Assert.Subset(all.Select(k => k.Str("kid")).ToHashSet(), created);
    }

    [Fact]
    public async Task pages_of_the_keyring_neither_repeat_nor_skip_keys_while_keys_are_created()
    {
        string issuerId = await Client.CreateIssuer("Busy Issuer");
        var before = new List<string>();
        for (int i = 0; i < 20; i++) before.Add((await Client.CreateKey(issuerId)).Str("kid"));

        foreach (var (path, key) in new[] { (".well-known/attest-keys.json", (string?)null), ($"v1/issuers/{issuerId}/keys", ServerProcess.AdminKey) })
        {
            var seen = new List<JsonElement>();
            string? cursor = null;
            int pages = 0;
            do
            {
                var (status, page) = await Client.Get(path + "?limit=7" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), key);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.InRange(page.GetProperty("keys").GetArrayLength(), 0, 7);
                seen.AddRange(page.GetProperty("keys").EnumerateArray());
                cursor = page.GetProperty("next_cursor").GetString();
                // Appends between pages: they land after every key served so far.
                if (pages++ < 3) await Client.CreateKey(issuerId);
            }
            while (cursor is not null);
            var kids = seen.Select(k => k.Str("kid")).ToList();
            Assert.Equal(kids.Count, kids.Distinct().Count());
            Assert.Subset(kids.ToHashSet(), before.ToHashSet());
            var indexes = seen.Select(k => k.GetProperty("log_index").GetInt64()).ToList();
            Assert.Equal(indexes.Order(), indexes);
        }
    }

    [Fact]
    public async Task api_keys_are_listed_in_pages_in_creation_order_and_a_revocation_does_not_move_a_key()
    {
        string issuerId = await Client.CreateIssuer("Many Keys Inc");
        var ids = new List<string>();
        for (int i = 0; i < 5; i++) ids.Add((await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "k" + i })).Body.Str("id"));
        Assert.Equal(HttpStatusCode.OK, (await Client.Send(HttpMethod.Delete, $"v1/api-keys/{ids[1]}")).Status);

        var (_, first) = await Client.Get("v1/api-keys?limit=2");
        Assert.Equal(2, first.GetProperty("api_keys").GetArrayLength());
        var all = (await Walk("v1/api-keys", "api_keys", limit: 2, key: ServerProcess.AdminKey)).Select(k => k.Str("id")).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(ids, all.Where(ids.Contains));
    }

    [Fact]
    public async Task a_bad_cursor_or_limit_is_a_400_naming_it()
    {
        foreach (var path in new[] { ".well-known/attest-keys.json", "v1/api-keys" })
        {
            Http.AssertError(await Client.Get(path + "?limit=0"), HttpStatusCode.BadRequest, "parameter_out_of_range");
            Http.AssertError(await Client.Get(path + "?limit=1001"), HttpStatusCode.BadRequest, "parameter_out_of_range");
            Http.AssertError(await Client.Get(path + "?limit=x"), HttpStatusCode.BadRequest, "invalid_parameter");
            foreach (var bad in new[] { "x", "AAAAAAAAAAA=", "_____________", "gAAAAAAAAAA", "AAAAAAAAAAB" })
                Http.AssertError(await Client.Get(path + "?cursor=" + Uri.EscapeDataString(bad)), HttpStatusCode.BadRequest, "invalid_cursor");
        }
    }

    [Fact]
    public async Task grpc_list_keys_pages_with_page_size_and_page_token()
    {
        string issuerId = await Client.CreateIssuer("gRPC Pages");
        var kids = new List<string>();
        for (int i = 0; i < 5; i++) kids.Add((await Client.CreateKey(issuerId)).Str("kid"));

        var listed = new List<string>();
        string token = "";
        int pages = 0;
        do
        {
            var (status, _, body) = await RawGrpc.CallWithReply(fixture.Server, "/attest.v1.Issuers/ListKeys", new Attest.V1.ListKeysRequest { IssuerId = issuerId, PageSize = 2, PageToken = token });
            Assert.Equal(0, status);
            var reply = Attest.V1.ListKeysResponse.Parser.ParseFrom(body);
            Assert.InRange(reply.Keys.Count, 1, 2);
            listed.AddRange(reply.Keys.Select(k => k.Kid));
            token = reply.NextPageToken;
            pages++;
        }
        while (token != "");
        Assert.Equal(kids, listed);
        Assert.Equal(3, pages);

        var (all, _, allBody) = await RawGrpc.CallWithReply(fixture.Server, "/attest.v1.Issuers/ListKeys", new Attest.V1.ListKeysRequest { IssuerId = issuerId });
        Assert.Equal(0, all);
        Assert.Equal(kids, Attest.V1.ListKeysResponse.Parser.ParseFrom(allBody).Keys.Select(k => k.Kid));
        Assert.Equal(3, (await RawGrpc.Call(fixture.Server, "/attest.v1.Issuers/ListKeys", new Attest.V1.ListKeysRequest { IssuerId = issuerId, PageToken = "nope" })).Status); // INVALID_ARGUMENT
        Assert.Equal(3, (await RawGrpc.Call(fixture.Server, "/attest.v1.Issuers/ListKeys", new Attest.V1.ListKeysRequest { IssuerId = issuerId, PageSize = -1 })).Status);
    }

    private async Task<List<JsonElement>> Walk(string path, string member, int? limit, string? key)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var query = new List<string>();
            if (limit is not null) query.Add("limit=" + limit);
            if (cursor is not null) query.Add("cursor=" + Uri.EscapeDataString(cursor));
            var (status, page) = await Client.Get(path + (query.Count > 0 ? "?" + string.Join("&", query) : ""), key);
            Assert.Equal(HttpStatusCode.OK, status);
            items.AddRange(page.GetProperty(member).EnumerateArray());
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        return items;
    }
}
