using System.Net;
using System.Security.Cryptography;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>
/// A key event ends a key for statements as it does for mints: no statement signed with a key is logged after the
/// entry that rotated it or marked it compromised, however the registrations and the key event interleave.
/// </summary>
public sealed class KeyEventRaceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task no_statement_is_logged_after_the_compromise_of_its_key_while_registrations_race_it()
    {
        string issuerId = await Client.CreateIssuer();
        string kid = AttestApi.NewKid();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (created, _) = await Client.Post($"v1/issuers/{issuerId}/keys", new System.Text.Json.Nodes.JsonObject { ["kid"] = kid, ["alg"] = "ES256", ["jwk"] = Jwks.Es256(ec) });
        Assert.Equal(HttpStatusCode.Created, created);
        byte[] header = SignedStatement.ProtectedHeader(CoseKey.ES256, kid, issuerId, "pkg:race");
        var statements = Enumerable.Range(0, 600).Select(i =>
        {
            byte[] payload = System.Text.Encoding.UTF8.GetBytes($"statement {i}");
            byte[] signature = ec.SignData(CoseSign1.SigStructure(header, payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            return CoseSign1.Encode(header, [0xA0], payload, detached: false, signature);
        }).ToArray();

        // Registrations keep arriving, from several clients at once, before, during and after the compromise.
        int next = -1, answered = 0;
        var compromised = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answers = new ScrapiResponse[statements.Length];
        async Task Sender()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < statements.Length;)
            {
                answers[i] = await Client.Register(statements[i]);
                if (Interlocked.Increment(ref answered) == 100)
                    _ = Task.Run(async () =>
                    {
                        var (status, body) = await Client.Post($"v1/issuers/keys/{kid}/compromise", new { });
                        Assert.Equal(HttpStatusCode.OK, status);
                        compromised.SetResult(body.GetProperty("log_index").GetInt64());
                    });
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => Sender()));
        long compromiseIndex = await compromised.Task;

        var accepted = statements.Where((s, i) => answers[i].Status is HttpStatusCode.SeeOther or HttpStatusCode.Created).ToList();
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created or HttpStatusCode.Conflict, a.Status.ToString()));
        Assert.NotEmpty(accepted);
        var log = await ScittLog.Entries(Client);
        foreach (var statement in accepted)
        {
            long at = log.FindIndex(e => e.AsSpan().SequenceEqual(statement));
            Assert.True(at >= 0 && at < compromiseIndex, $"a statement of key {kid} accepted at index {at}, after the key's compromise at {compromiseIndex}");
        }
    }

    [Fact]
    public async Task a_key_whose_imported_form_is_kept_from_earlier_statements_signs_nothing_after_its_rotation()
    {
        var (issuerId, kid, key) = await ProtectedHeaderTests.IssuerWithKey(Client);
        using var _ = key;
        var header = ProtectedHeaderTests.Header(kid, issuerId);
        // Several at once, so the server keeps more than one imported copy of the key.
        var statements = Enumerable.Range(0, 8).Select(i => ProtectedHeaderTests.Sign(key, header, $"before {i}")).ToArray();
        var before = await Task.WhenAll(statements.Select(s => Client.Register(s)));
        Assert.All(before, r => Assert.True(r.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, r.Status.ToString()));
        Assert.Equal(HttpStatusCode.Created, (await Client.Post($"v1/issuers/keys/{kid}/rotate", new { new_kid = AttestApi.NewKid() })).Status);
        long size = await Client.TreeSize();
        var after = await Client.Register(ProtectedHeaderTests.Sign(key, header, "after"));
        Assert.Equal(HttpStatusCode.Conflict, after.Status);
        Assert.Equal("key_not_active", (await ScittClient.DecodeProblems([after.Body]))[0].Str("error"));
        Assert.Equal(size, await Client.TreeSize());
        // A statement logged before the rotation is still answered, as a retry must be.
        var retry = await Client.Register(statements[0]);
        Assert.True(retry.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, retry.Status.ToString());
        Assert.Equal(size, await Client.TreeSize());
    }
}
