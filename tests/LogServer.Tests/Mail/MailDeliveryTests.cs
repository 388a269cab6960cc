using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Attest.Merkle;
using MimeKit;

namespace Attest.LogServer.Tests.Mail;

/// <summary>A server that mails through a real SMTP server on loopback, with two issuers and an API key each.</summary>
public sealed class MailFixture : IAsyncLifetime
{
    public SmtpSink Sink { get; private set; } = null!;

    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client => Server.Client;

    public string IssuerId { get; private set; } = null!;

    public string Kid { get; private set; } = null!;

    public string IssuerKey { get; private set; } = null!;

    public string OtherIssuerId { get; private set; } = null!;

    public string OtherKid { get; private set; } = null!;

    public string OtherIssuerKey { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sink = await SmtpSink.Start();
        Server = await ServerProcess.Start(settings: SmtpSink.Settings(Sink.Port));
        (IssuerId, Kid, IssuerKey) = await MailTests.Issuer(Client, "Mailing University");
        (OtherIssuerId, OtherKid, OtherIssuerKey) = await MailTests.Issuer(Client, "Other Mailing College");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Sink.DisposeAsync();
        Directory.Delete(Server.DataDir, recursive: true);
    }
}

/// <summary>Helpers of the mail tests: mint to an address, find its mail, read its links.</summary>
public static partial class MailTests
{
    public static async Task<(string IssuerId, string Kid, string ApiKey)> Issuer(HttpClient c, string name)
    {
        string issuerId = await c.CreateIssuer(name);
        string kid = (await c.CreateKey(issuerId)).Str("kid");
        var (status, key) = await c.Post("v1/api-keys", new { issuer_id = issuerId, name = "mailer" });
        Assert.Equal(HttpStatusCode.Created, status);
        return (issuerId, kid, key.Str("key"));
    }

    public static async Task<JsonElement> MintTo(HttpClient c, string issuerId, string kid, string apiKey, string email, string tag = "Lovelace")
    {
        var body = AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims(tag));
        body["recipient_email"] = email;
        var (status, a) = await c.Post("v1/attestations/mint", body, apiKey, Guid.NewGuid().ToString());
        Assert.True(status == HttpStatusCode.Created, a.ToString());
        Assert.Equal(JsonValueKind.Null, a.GetProperty("holder_token").ValueKind); // the token goes to the mailbox only
        return a;
    }

    public static MimeMessage MailOf(IEnumerable<MimeMessage> messages, string attestationId) =>
        messages.Single(m => m.Headers["X-Attest-Attestation"] == attestationId);

    /// <summary>The query of the mail's link to the attestation (<c>?attestation=…&amp;holder_token=…</c>) and its holder token.</summary>
    public static (string Query, string Token) HolderLink(MimeMessage mail)
    {
        var m = HolderLinkPattern().Match(mail.TextBody ?? "");
        Assert.True(m.Success, mail.TextBody);
        return (m.Groups[1].Value, m.Groups[2].Value);
    }

    public static string InboxToken(MimeMessage mail)
    {
        var m = InboxLinkPattern().Match(mail.TextBody ?? "");
        Assert.True(m.Success, mail.TextBody);
        return m.Groups[1].Value;
    }

    public static async Task<JsonElement> Delivery(HttpClient c, string id, string key, Func<JsonElement, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var (status, d) = await c.Get($"v1/attestations/{id}/delivery", key);
            Assert.True(status == HttpStatusCode.OK, d.ToString());
            if (until(d)) return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"delivery of {id} stayed {d}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"http://attest\.example/(\?attestation=[0-9a-f-]{36}&holder_token=(attest_holder_[A-Za-z0-9_-]{43}))\s")]
    private static partial Regex HolderLinkPattern();

    [GeneratedRegex(@"http://attest\.example/\?holder_inbox=(attest_inbox_[A-Za-z0-9_-]{43})\s")]
    private static partial Regex InboxLinkPattern();
}

/// <summary>Delivery to holders by e-mail, against a real SMTP server (aiosmtpd) and a real server process.</summary>
public sealed class MailDeliveryTests(MailFixture fixture) : IClassFixture<MailFixture>
{
    private HttpClient Client => fixture.Client;

    private static string Address(string who) => $"{who}.{Guid.NewGuid():N}@example.org";

    [Fact]
    public async Task a_mailed_attestation_arrives_with_a_link_that_the_page_opens_and_verifies()
    {
        string to = Address("grace");
        var a = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, to);
        string id = a.Str("id");
        var sent = await MailTests.Delivery(Client, id, fixture.IssuerKey, d => d.Str("status") == "sent");
        Assert.Equal(1, sent.GetProperty("attempts").GetInt32());
        Assert.Equal("email", sent.Str("channel"));
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("last_error").ValueKind);

        var mail = MailTests.MailOf(await fixture.Sink.WaitFor(1), id);
        Assert.Equal(to, mail.Headers["X-Envelope-To"]);
        Assert.Equal(to, ((MailboxAddress)mail.To.Single()).Address);
        Assert.Equal("attest@example.org", ((MailboxAddress)mail.From.Single()).Address);
        Assert.Contains("Mailing University", mail.Subject);
        var (query, token) = MailTests.HolderLink(mail);

        // The link's token opens the attestation, and the page verifies it with every check.
        var (status, full) = await Client.Get($"v1/attestations/{id}?holder_token={token}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Ada Lovelace", full.GetProperty("payload").GetProperty("claims").Str("student_name"));
        var seen = (await VerificationPage.RunPage(fixture.Server, "open", query)).GetProperty("result");
        Assert.Equal("VALID", seen.Str("verdict"));
        VerificationPage.AssertChecks(seen, VerificationPage.AttestationChecks, failed: [], skipped: VerificationPage.OfflineSkips);
    }

    [Fact]
    public async Task a_superseding_attestation_with_recipient_email_is_mailed_too()
    {
        string to = Address("supersede");
        var old = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, to);
        var body = AttestApi.MintBody(fixture.IssuerId, fixture.Kid, AttestApi.DegreeClaims("Superseded"));
        body["recipient_email"] = to;
        var (status, created) = await Client.Post($"v1/attestations/{old.Str("id")}/supersede", body, fixture.IssuerKey, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("holder_token").ValueKind);
        await MailTests.Delivery(Client, created.Str("id"), fixture.IssuerKey, d => d.Str("status") == "sent");
        var mail = MailTests.MailOf(fixture.Sink.Messages(), created.Str("id"));
        var (_, token) = MailTests.HolderLink(mail);
        var (getStatus, got) = await Client.Get($"v1/attestations/{created.Str("id")}?holder_token={token}", key: null);
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(old.Str("id"), got.Str("supersedes"));
    }

    [Fact]
    public async Task another_issuer_cannot_read_the_delivery_status_and_an_unmailed_attestation_has_none()
    {
        var a = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, Address("status"));
        string path = $"v1/attestations/{a.Str("id")}/delivery";
        Http.AssertError(await Client.Get(path, fixture.OtherIssuerKey), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Get(path, key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        var (adminStatus, asAdmin) = await Client.Get(path);
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.DoesNotContain("@", asAdmin.GetRawText());

        var plain = await Client.Mint(AttestApi.MintBody(fixture.IssuerId, fixture.Kid), fixture.IssuerKey);
        Assert.StartsWith("attest_holder_", plain.Str("holder_token")); // without an address the issuer still gets the token
        Http.AssertError(await Client.Get($"v1/attestations/{plain.Str("id")}/delivery", fixture.IssuerKey), HttpStatusCode.NotFound, "not_mailed");
        Http.AssertError(await Client.Get($"v1/attestations/{Guid.NewGuid()}/delivery", fixture.IssuerKey), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task the_holder_inbox_lists_every_attestation_sent_to_that_address_and_no_other()
    {
        string alice = Address("alice"), bob = Address("bob");
        var first = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, alice, "AliceOne");
        // Another issuer, and the address in other case: the same mailbox.
        var second = await MailTests.MintTo(Client, fixture.OtherIssuerId, fixture.OtherKid, fixture.OtherIssuerKey, alice.ToUpperInvariant(), "AliceTwo");
        var toBob = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, bob, "Bob");
        foreach (var (a, key) in new[] { (first, fixture.IssuerKey), (second, fixture.OtherIssuerKey), (toBob, fixture.IssuerKey) })
            await MailTests.Delivery(Client, a.Str("id"), key, d => d.Str("status") == "sent");
        var messages = fixture.Sink.Messages();
        string aliceInbox = MailTests.InboxToken(MailTests.MailOf(messages, first.Str("id")));
        Assert.Equal(aliceInbox, MailTests.InboxToken(MailTests.MailOf(messages, second.Str("id"))));
        string bobInbox = MailTests.InboxToken(MailTests.MailOf(messages, toBob.Str("id")));
        Assert.NotEqual(aliceInbox, bobInbox);

        var listed = await Client.GetAll($"v1/holder/attestations?holder_token={aliceInbox}&limit=1", "attestations", key: null);
        Assert.Equal([first.Str("id"), second.Str("id")], listed.Select(a => a.Str("id")));
        Assert.Equal(["Mailing University", "Other Mailing College"], listed.Select(a => a.Str("issuer_name")));
        Assert.DoesNotContain("@", string.Join("", listed.Select(a => a.GetRawText())));
        foreach (var item in listed)
        {
            // Each listed token opens its attestation: the one in its own mail.
            Assert.Equal(MailTests.HolderLink(MailTests.MailOf(messages, item.Str("id"))).Token, item.Str("holder_token"));
            var (status, _) = await Client.Get($"v1/attestations/{item.Str("id")}?holder_token={item.Str("holder_token")}", key: null);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        var bobs = await Client.GetAll($"v1/holder/attestations?holder_token={bobInbox}", "attestations", key: null);
        Assert.Equal([toBob.Str("id")], bobs.Select(a => a.Str("id")));

        // An attestation's own holder token, a forged inbox token, a tampered one, or none, list nothing.
        string holderToken = MailTests.HolderLink(MailTests.MailOf(messages, first.Str("id"))).Token;
        Http.AssertError(await Client.Get($"v1/holder/attestations?holder_token={holderToken}", key: null), HttpStatusCode.Forbidden, "forbidden");
        string forged = "attest_inbox_" + AttestApi.B64Url(new byte[32]);
        Http.AssertError(await Client.Get($"v1/holder/attestations?holder_token={forged}", key: null), HttpStatusCode.Forbidden, "forbidden");
        var bytes = AttestApi.FromB64Url(aliceInbox["attest_inbox_".Length..]);
        bytes[0] ^= 1;
        Http.AssertError(await Client.Get($"v1/holder/attestations?holder_token=attest_inbox_{AttestApi.B64Url(bytes)}", key: null), HttpStatusCode.Forbidden, "forbidden");
        Http.AssertError(await Client.Get("v1/holder/attestations", key: null), HttpStatusCode.Unauthorized, "missing_api_key");
        // An issuer's key is no inbox token: the issuer of one of them cannot list the holder's others.
        Http.AssertError(await Client.Get("v1/holder/attestations", fixture.IssuerKey), HttpStatusCode.Unauthorized, "missing_holder_token");
    }

    [Fact]
    public async Task the_page_lists_the_holder_inbox_from_its_link_and_verifies_an_attestation_from_it()
    {
        string to = Address("page");
        var first = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, to, "PageOne");
        var second = await MailTests.MintTo(Client, fixture.OtherIssuerId, fixture.OtherKid, fixture.OtherIssuerKey, to, "PageTwo");
        await MailTests.Delivery(Client, second.Str("id"), fixture.OtherIssuerKey, d => d.Str("status") == "sent");
        string inbox = MailTests.InboxToken(MailTests.MailOf(fixture.Sink.Messages(), second.Str("id")));

        var seen = await VerificationPage.RunPage(fixture.Server, "inbox-open", $"?holder_inbox={inbox}");
        var rows = seen.GetProperty("inbox").GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([first.Str("id"), second.Str("id")], rows.Select(r => r.Str("id")));
        Assert.Contains("Mailing University", rows[0].Str("text"));
        Assert.Contains("Other Mailing College", rows[1].Str("text"));
        Assert.DoesNotContain("holder_inbox", seen.Str("location"));
        var result = seen.GetProperty("result");
        Assert.Equal("VALID", result.Str("verdict"));
        VerificationPage.AssertChecks(result, VerificationPage.AttestationChecks, failed: [], skipped: VerificationPage.OfflineSkips);
        Assert.Contains("PageOne", result.Str("text")); // the holder token of the first opened its claims

        var forged = await VerificationPage.RunPage(fixture.Server, "open", "?holder_inbox=attest_inbox_" + AttestApi.B64Url(new byte[32]));
        Assert.Equal("0", forged.GetProperty("inbox").Str("total"));
        Assert.Contains("403", forged.GetProperty("inbox").Str("text"));
    }

    [Theory]
    [InlineData("Grace <grace@example.org>")]
    [InlineData("grace@example")]
    [InlineData("grace@@example.org")]
    [InlineData("gr..ace@example.org")]
    [InlineData(".grace@example.org")]
    [InlineData("grace@-example.org")]
    [InlineData("grace@example.org\r\nBcc: mallory@example.org")]
    [InlineData("grace @example.org")]
    [InlineData("grâce@example.org")]
    [InlineData("grace@[127.0.0.1]")]
    [InlineData("grace@127.0.0.1")]
    [InlineData("\"grace\"@example.org")]
    public async Task a_malformed_recipient_email_is_a_400_that_appends_and_sends_nothing(string email)
    {
        long size = await Client.TreeSize();
        var body = AttestApi.MintBody(fixture.IssuerId, fixture.Kid);
        body["recipient_email"] = email;
        Http.AssertError(await Client.Post("v1/attestations/mint", body, fixture.IssuerKey, Guid.NewGuid().ToString()), HttpStatusCode.BadRequest, "invalid_email");
        Assert.Equal(size, await Client.TreeSize());
        Assert.DoesNotContain(fixture.Sink.Messages(), m => m.Headers["X-Envelope-To"]!.Contains("mallory") || m.Headers["X-Envelope-To"] == email);
    }

    [Fact]
    public async Task a_recipient_email_over_254_characters_is_refused()
    {
        var body = AttestApi.MintBody(fixture.IssuerId, fixture.Kid);
        body["recipient_email"] = new string('a', 64) + "@" + string.Join(".", Enumerable.Repeat(new string('b', 60), 4)) + ".org";
        var (status, error) = await Client.Post("v1/attestations/mint", body, fixture.IssuerKey, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(error.Str("error"), new[] { "invalid_email", "field_too_long" });
    }

    [Fact]
    public async Task no_address_or_token_appears_in_the_server_output_the_public_log_or_the_delivery_files()
    {
        string to = Address("secret");
        var a = await MailTests.MintTo(Client, fixture.IssuerId, fixture.Kid, fixture.IssuerKey, to);
        await MailTests.Delivery(Client, a.Str("id"), fixture.IssuerKey, d => d.Str("status") == "sent");
        var mail = MailTests.MailOf(fixture.Sink.Messages(), a.Str("id"));
        string[] secrets = [to, to.Split('@')[0], MailTests.HolderLink(mail).Token, MailTests.InboxToken(mail)];

        long size = await Client.TreeSize();
        var (cp, _) = await Client.CheckpointCovering(size);
        var published = new List<(string Path, byte[] Bytes)>();
        foreach (var tile in Tile.NewTiles(0, cp.Size))
        {
            published.Add((tile.Path, await Client.GetByteArrayAsync(tile.Path)));
            if (tile.Level == 0)
            {
                var bundle = new Tile(Tile.EntriesLevel, tile.N, tile.Width);
                published.Add((bundle.Path, await Client.GetByteArrayAsync(bundle.Path)));
            }
        }
        Assert.Contains(published, p => p.Path.StartsWith("tile/entries/"));
        var files = Directory.GetFiles(Path.Combine(fixture.Server.DataDir, "mail")).Select(f => (f, File.ReadAllBytes(f))).ToList();
        Assert.NotEmpty(files);
        foreach (var secret in secrets)
        {
            byte[] needle = Encoding.UTF8.GetBytes(secret);
            Assert.DoesNotContain(secret, fixture.Server.Output);
            foreach (var (path, bytes) in published.Concat(files)) Assert.False(bytes.AsSpan().IndexOf(needle) >= 0, $"{secret} appears in {path}");
        }
        Assert.Contains(a.Str("id"), fixture.Server.Output); // the server did log the delivery, by id
    }
}
