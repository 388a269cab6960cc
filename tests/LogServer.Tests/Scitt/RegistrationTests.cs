using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// SCRAPI registration against a real server: an outside issuer (node's WebCrypto, node's Ed25519) signs, the server logs
/// the statement byte for byte, and every refusal is concise problem details (decoded by python3-cbor2) that appends nothing.
/// </summary>
public sealed class RegistrationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    private async Task<(string IssuerId, string ApiKey)> IssuerWithApiKey()
    {
        string issuerId = await Client.CreateIssuer();
        var (status, key) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "scitt" });
        Assert.Equal(HttpStatusCode.Created, status);
        return (issuerId, key.Str("key"));
    }

    private static object Statement(string kid, string iss, string payload = "{\"sbom\":\"cyclonedx\"}", string sub = "pkg:npm/left-pad@1.3.0") =>
        new { kid, iss, sub, payload };

    /// <summary>
    /// The answer to a new registration: 303 to the entry with a Retry-After to pace the polling (draft-ietf-scitt-scrapi-10
    /// §2.3.2), or 201 with the receipt once a signed checkpoint covers the entry (§2.3.1).
    /// </summary>
    private static void AssertRegistered(ScrapiResponse r, byte[] statement)
    {
        Assert.True(r.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, $"{r.Status}: {Convert.ToHexString(r.Body)}");
        Assert.Equal("/entries/" + ScittClient.EntryId(statement), r.Location);
        if (r.Status == HttpStatusCode.Created) Assert.Equal(ScittClient.Cose, r.ContentType);
        else Assert.Equal("1", r.RetryAfter);
    }

    /// <summary>
    /// The titles draft-ietf-scitt-scrapi-10 gives these problems: "Malformed request" (§2), the registration errors of
    /// §2.3.3 ("Bad Signature Algorithm", "Payload Missing", and "Rejected" for what the Registration Policy refuses),
    /// "Invalid locator" (§2.4.3) and "Not Found" (§2.5.2).
    /// </summary>
    private static readonly Dictionary<string, string> ScrapiTitles = new()
    {
        ["not_cose_sign1"] = "Malformed request",
        ["alg_mismatch"] = "Bad Signature Algorithm",
        ["detached_payload"] = "Payload Missing",
        ["unknown_kid"] = "Rejected", ["kid_not_of_issuer"] = "Rejected", ["invalid_signature"] = "Rejected", ["missing_issuer"] = "Rejected",
        ["missing_subject"] = "Rejected", ["missing_cwt_claims"] = "Rejected", ["unprotected_header_not_empty"] = "Rejected",
        ["unknown_issuer"] = "Rejected", ["key_not_active"] = "Rejected", ["statement_too_large"] = "Rejected",
        ["invalid_id"] = "Invalid locator",
        ["not_found"] = "Not Found",
    };

    [Fact]
    public async Task an_outside_issuer_signs_with_webcrypto_es256_and_the_statement_is_logged_byte_for_byte()
    {
        var (issuerId, apiKey) = await IssuerWithApiKey();
        string kid = AttestApi.NewKid();
        var batch = await ScittClient.Sign("ES256", Statement(kid, issuerId), new { kid, iss = issuerId, sub = "artifact", payload = "sha256 of a large file", hash_envelope = true });
        await Client.RegisterKey(issuerId, kid, "ES256", batch);

        long before = await Client.TreeSize();
        var first = await Client.Register(batch.Statements[0], apiKey);
        AssertRegistered(first, batch.Statements[0]);
        Assert.Equal(before + 1, await Client.TreeSize());
        Assert.Contains(await ScittLog.Entries(Client), e => e.AsSpan().SequenceEqual(batch.Statements[0]));

        // The same bytes again log nothing and name the same entry; the admin key may register too.
        AssertRegistered(await Client.Register(batch.Statements[0], apiKey), batch.Statements[0]);
        AssertRegistered(await Client.Register(batch.Statements[0]), batch.Statements[0]);
        Assert.Equal(before + 1, await Client.TreeSize());

        // A hash envelope (draft-ietf-cose-hash-envelope) registers like any statement.
        AssertRegistered(await Client.Register(batch.Statements[1], apiKey), batch.Statements[1]);
        Assert.Equal(before + 2, await Client.TreeSize());

        // Its status: 302 to itself while no signed checkpoint covers it, or 200 with the receipt (public: no key).
        var status = await Client.Entry(first.Location!);
        Assert.True(status.Status is HttpStatusCode.Found or HttpStatusCode.OK, status.Status.ToString());
        if (status.Status == HttpStatusCode.Found) Assert.Equal(first.Location, status.Location);
        else Assert.Equal(ScittClient.Cose, status.ContentType);
    }

    [Fact]
    public async Task an_eddsa_statement_signed_with_node_ed25519_registers()
    {
        var (issuerId, apiKey) = await IssuerWithApiKey();
        string kid = AttestApi.NewKid();
        var batch = await ScittClient.Sign("EdDSA", Statement(kid, issuerId));
        await Client.RegisterKey(issuerId, kid, "EdDSA", batch);
        long before = await Client.TreeSize();
        AssertRegistered(await Client.Register(batch.Statements[0], apiKey), batch.Statements[0]);
        Assert.Equal(before + 1, await Client.TreeSize());
    }

    [Fact]
    public async Task unknown_and_malformed_entry_ids_are_problem_details()
    {
        var unknown = await Client.Entry("/entries/" + new string('a', 64));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        var malformed = await Client.Entry("/entries/" + new string('A', 64));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Equal("application/concise-problem-details+cbor", unknown.ContentType);
        var decoded = await ScittClient.DecodeProblems([unknown.Body, malformed.Body]);
        Assert.Equal("not_found", decoded[0].Str("error"));
        Assert.Equal("Not Found", decoded[0].Str("title"));
        Assert.Equal("invalid_id", decoded[1].Str("error"));
        Assert.Equal(ScrapiTitles["invalid_id"], decoded[1].Str("title"));
    }

    [Fact]
    public async Task every_refused_statement_is_concise_problem_details_with_its_code_and_appends_nothing()
    {
        var (issuerId, apiKey) = await IssuerWithApiKey();
        var (otherIssuer, otherApiKey) = await IssuerWithApiKey();
        string kid = AttestApi.NewKid(), otherKid = AttestApi.NewKid(), edKid = AttestApi.NewKid(), rotatedKid = AttestApi.NewKid(), compromisedKid = AttestApi.NewKid();
        var mine = await ScittClient.Sign("ES256",
            Statement(kid, issuerId), Statement("no-such-kid", issuerId), Statement(otherKid, issuerId),
            new { kid, sub = "s", payload = "p" }, new { kid, iss = issuerId, payload = "p" }, new { kid, claims = false, payload = "p" },
            new { kid, iss = issuerId, sub = "s", payload = "p", unprotected = new Dictionary<string, string> { ["3"] = "text/plain" } },
            new { kid, iss = issuerId, sub = "s", payload = "p", detached = true },
            Statement(kid, issuerId, payload: new string('x', 70_000)),
            Statement(kid, Guid.NewGuid().ToString()),
            Statement(edKid, issuerId),
            Statement(rotatedKid, issuerId), Statement(compromisedKid, issuerId));
        await Client.RegisterKey(issuerId, kid, "ES256", mine);
        // Another issuer's key, and a statement it signs claiming to be the first issuer's, with the first issuer's kid.
        var theirs = await ScittClient.Sign("ES256", Statement(kid, issuerId), Statement(otherKid, otherIssuer));
        await Client.RegisterKey(otherIssuer, otherKid, "ES256", theirs);
        var ed = await ScittClient.Sign("EdDSA", Statement(edKid, issuerId));
        await Client.RegisterKey(issuerId, edKid, "EdDSA", ed);
        await Client.RegisterKey(issuerId, rotatedKid, "ES256", mine);
        Assert.Equal(HttpStatusCode.Created, (await Client.Post($"v1/issuers/keys/{rotatedKid}/rotate", new { new_kid = AttestApi.NewKid() })).Status);
        await Client.RegisterKey(issuerId, compromisedKid, "ES256", mine);
        Assert.Equal(HttpStatusCode.OK, (await Client.Post($"v1/issuers/keys/{compromisedKid}/compromise", new { })).Status);

        var badSignature = mine.Statements[0].ToArray();
        badSignature[^1] ^= 1;
        var trailing = (byte[])[.. mine.Statements[0], 0x00];
        var coseSign = (byte[])[0xD8, 0x62, .. mine.Statements[0][1..]];
        var cases = new List<(string Name, Task<ScrapiResponse> Response, HttpStatusCode Status, string Code)>
        {
            ("JSON", Client.Register("{\"type\":\"stamp/v1\"}"u8.ToArray(), apiKey), HttpStatusCode.BadRequest, "not_cose_sign1"),
            ("COSE_Sign, tag 98", Client.Register(coseSign, apiKey), HttpStatusCode.BadRequest, "not_cose_sign1"),
            ("trailing bytes", Client.Register(trailing, apiKey), HttpStatusCode.BadRequest, "not_cose_sign1"),
            ("empty", Client.Register([], apiKey), HttpStatusCode.BadRequest, "not_cose_sign1"),
            ("unknown kid", Client.Register(mine.Statements[1], apiKey), HttpStatusCode.BadRequest, "unknown_kid"),
            ("kid of another issuer", Client.Register(mine.Statements[2], apiKey), HttpStatusCode.BadRequest, "kid_not_of_issuer"),
            ("signed by another issuer's key", Client.Register(theirs.Statements[0], apiKey), HttpStatusCode.BadRequest, "invalid_signature"),
            ("bad signature", Client.Register(badSignature, apiKey), HttpStatusCode.BadRequest, "invalid_signature"),
            ("no iss", Client.Register(mine.Statements[3], apiKey), HttpStatusCode.BadRequest, "missing_issuer"),
            ("no sub", Client.Register(mine.Statements[4], apiKey), HttpStatusCode.BadRequest, "missing_subject"),
            ("no CWT claims", Client.Register(mine.Statements[5], apiKey), HttpStatusCode.BadRequest, "missing_cwt_claims"),
            ("unprotected header", Client.Register(mine.Statements[6], apiKey), HttpStatusCode.BadRequest, "unprotected_header_not_empty"),
            ("detached payload", Client.Register(mine.Statements[7], apiKey), HttpStatusCode.BadRequest, "detached_payload"),
            ("too large", Client.Register(mine.Statements[8], apiKey), HttpStatusCode.RequestEntityTooLarge, "statement_too_large"),
            ("unknown issuer", Client.Register(mine.Statements[9]), HttpStatusCode.BadRequest, "unknown_issuer"),
            ("ES256 signature under an EdDSA key", Client.Register(mine.Statements[10], apiKey), HttpStatusCode.BadRequest, "alg_mismatch"),
            ("rotated key", Client.Register(mine.Statements[11], apiKey), HttpStatusCode.Conflict, "key_not_active"),
            ("compromised key", Client.Register(mine.Statements[12], apiKey), HttpStatusCode.Conflict, "key_not_active"),
            ("another issuer's API key", Client.Register(mine.Statements[0], otherApiKey), HttpStatusCode.Forbidden, "forbidden"),
            ("no API key", Client.Register(mine.Statements[0], key: null), HttpStatusCode.Unauthorized, "missing_api_key"),
            ("a wrong API key", Client.Register(mine.Statements[0], key: "atk_wrong"), HttpStatusCode.Unauthorized, "invalid_api_key"),
            ("JSON content type", Client.Register(mine.Statements[0], apiKey, "application/json"), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
            ("COSE of another type", Client.Register(mine.Statements[0], apiKey, "application/cose; cose-type=\"cose-sign\""), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
        };
        long before = await Client.TreeSize();
        var responses = new List<ScrapiResponse>();
        foreach (var (name, response, status, _) in cases)
        {
            var r = await response;
            Assert.True(r.Status == status, $"{name}: {r.Status}, not {status}");
            Assert.True(r.ContentType == "application/concise-problem-details+cbor", $"{name}: {r.ContentType}");
            responses.Add(r);
        }
        var decoded = await ScittClient.DecodeProblems(responses.Select(r => r.Body));
        for (int i = 0; i < cases.Count; i++)
        {
            Assert.True(decoded[i].Str("error") == cases[i].Code, $"{cases[i].Name}: {decoded[i].GetRawText()}");
            Assert.False(string.IsNullOrEmpty(decoded[i].Str("title")), cases[i].Name);
            if (ScrapiTitles.TryGetValue(cases[i].Code, out var title)) Assert.True(decoded[i].Str("title") == title, $"{cases[i].Name}: {decoded[i].GetRawText()}");
            Assert.False(string.IsNullOrEmpty(decoded[i].Str("detail")), cases[i].Name);
        }
        Assert.Equal(before, await Client.TreeSize());

        // None of those left a trace: the valid statement still registers, as a new entry.
        AssertRegistered(await Client.Register(mine.Statements[0], apiKey), mine.Statements[0]);
        Assert.Equal(before + 1, await Client.TreeSize());
    }

    [Fact]
    public async Task a_key_with_a_credit_balance_pays_for_each_new_statement_and_nothing_for_a_repeat()
    {
        string issuerId = await Client.CreateIssuer();
        var (created, paid) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "paid", credits = 1 });
        Assert.Equal(HttpStatusCode.Created, created);
        string kid = AttestApi.NewKid();
        var batch = await ScittClient.Sign("ES256", Statement(kid, issuerId, payload: "one"), Statement(kid, issuerId, payload: "two"));
        await Client.RegisterKey(issuerId, kid, "ES256", batch);
        long before = await Client.TreeSize();
        AssertRegistered(await Client.Register(batch.Statements[0], paid.Str("key")), batch.Statements[0]);
        AssertRegistered(await Client.Register(batch.Statements[0], paid.Str("key")), batch.Statements[0]);
        var refused = await Client.Register(batch.Statements[1], paid.Str("key"));
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.Status);
        Assert.Equal("insufficient_api_credits", (await ScittClient.DecodeProblems([refused.Body]))[0].Str("error"));
        Assert.Equal(before + 1, await Client.TreeSize());
        Assert.Equal(0, (await Client.Get($"v1/api-keys/{paid.Str("id")}")).Body.GetProperty("api_credits_remaining").GetInt64());
    }

    [Fact]
    public async Task distinct_statements_racing_for_the_last_credits_log_only_as_many_as_were_paid_for()
    {
        string issuerId = await Client.CreateIssuer();
        var (created, paid) = await Client.Post("v1/api-keys", new { issuer_id = issuerId, name = "paid", credits = 3 });
        Assert.Equal(HttpStatusCode.Created, created);
        string kid = AttestApi.NewKid();
        var batch = await ScittClient.Sign("ES256", [.. Enumerable.Range(0, 12).Select(i => Statement(kid, issuerId, payload: $"racing {i}"))]);
        await Client.RegisterKey(issuerId, kid, "ES256", batch);
        long before = await Client.TreeSize();
        var answers = await Task.WhenAll(batch.Statements.Select(s => Client.Register(s, paid.Str("key"))));
        Assert.Equal(3, answers.Count(a => a.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created));
        Assert.Equal(9, answers.Count(a => a.Status == HttpStatusCode.PaymentRequired));
        Assert.Equal(before + 3, await Client.TreeSize());
        Assert.Equal(0, (await Client.Get($"v1/api-keys/{paid.Str("id")}")).Body.GetProperty("api_credits_remaining").GetInt64());
    }

    [Fact]
    public async Task a_statement_registered_many_times_at_once_is_logged_once()
    {
        var (issuerId, apiKey) = await IssuerWithApiKey();
        string kid = AttestApi.NewKid();
        var batch = await ScittClient.Sign("ES256", Statement(kid, issuerId));
        await Client.RegisterKey(issuerId, kid, "ES256", batch);
        long before = await Client.TreeSize();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Client.Register(batch.Statements[0], apiKey)));
        foreach (var a in answers) AssertRegistered(a, batch.Statements[0]);
        Assert.Equal(before + 1, await Client.TreeSize());
        Assert.Single(await ScittLog.Entries(Client), e => e.AsSpan().SequenceEqual(batch.Statements[0]));
    }
}

/// <summary>Acknowledged means durable: a statement answered 303 survives a kill -9, and the restarted server finds it by its id.</summary>
public sealed class RegistrationCrashTests
{
    [Fact]
    public async Task a_statement_answered_303_is_in_the_log_after_kill_9_and_found_by_its_entry_id()
    {
        string dir = ServerProcess.NewDataDir();
        try
        {
            byte[] statement;
            long size;
            await using (var server = await ServerProcess.Start(dir))
            {
                string issuerId = await server.Client.CreateIssuer();
                string kid = AttestApi.NewKid();
                var batch = await ScittClient.Sign("ES256", new { kid, iss = issuerId, sub = "s", payload = "kept" });
                await server.Client.RegisterKey(issuerId, kid, "ES256", batch);
                statement = batch.Statements[0];
                var r = await server.Client.Register(statement);
                Assert.True(r.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, r.Status.ToString());
                size = await server.Client.TreeSize();
                server.Kill();
            }
            await using (var restarted = await ServerProcess.Start(dir))
            {
                Assert.Equal(size, await restarted.Client.TreeSize());
                var status = await restarted.Client.Entry("/entries/" + ScittClient.EntryId(statement));
                Assert.True(status.Status is HttpStatusCode.Found or HttpStatusCode.OK, status.Status.ToString());
                Assert.Contains(await ScittLog.Entries(restarted.Client), e => e.AsSpan().SequenceEqual(statement));
                // Still idempotent after the restart: the index was rebuilt from the log.
                var again = await restarted.Client.Register(statement);
                Assert.True(again.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, again.Status.ToString());
                Assert.Equal(size, await restarted.Client.TreeSize());
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
