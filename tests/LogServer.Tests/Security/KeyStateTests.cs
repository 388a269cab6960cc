using System.Net;
using System.Text.Json;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// A mint is checked against its key's state atomically with rotate and compromise: while mints stream in on a key,
/// the key is rotated (or marked compromised), and no attestation under that key may sit after the key's event in
/// log order. Mints that lose the race are refused with 409 key_not_active, never logged.
/// </summary>
public sealed class KeyStateTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    private const int Rounds = 6, Minters = 8;

    [Fact]
    public async Task no_attestation_is_logged_under_a_key_after_the_entry_that_rotated_it()
    {
        string issuerId = await Client.CreateIssuer("Rotating University");
        for (int round = 0; round < Rounds; round++)
        {
            string kid = (await Client.CreateKey(issuerId)).Str("kid");
            var (minted, eventIndex) = await MintWhile(issuerId, kid, async () =>
            {
                var (status, key) = await Client.Post($"v1/issuers/keys/{kid}/rotate", new { new_kid = AttestApi.NewKid() });
                Assert.True(status == HttpStatusCode.Created, key.GetRawText());
                return key.GetProperty("log_index").GetInt64();
            });
            AssertNoneAfter(kid, minted, eventIndex, round);
        }
    }

    [Fact]
    public async Task no_attestation_is_logged_under_a_key_after_the_entry_that_marked_it_compromised()
    {
        string issuerId = await Client.CreateIssuer("Compromised College");
        for (int round = 0; round < Rounds; round++)
        {
            string kid = (await Client.CreateKey(issuerId)).Str("kid");
            var (minted, eventIndex) = await MintWhile(issuerId, kid, async () =>
            {
                var (status, result) = await Client.Post($"v1/issuers/keys/{kid}/compromise", new { });
                Assert.True(status == HttpStatusCode.OK, result.GetRawText());
                return result.GetProperty("log_index").GetInt64();
            });
            AssertNoneAfter(kid, minted, eventIndex, round);
        }
    }

    [Fact]
    public async Task a_refused_rotation_leaves_the_key_minting()
    {
        string issuerId = await Client.CreateIssuer("Steady Institute");
        string kid = (await Client.CreateKey(issuerId)).Str("kid");
        string taken = (await Client.CreateKey(issuerId)).Str("kid");
        // The new kid is taken: the rotation is refused, and the key it named must still sign.
        Http.AssertError(await Client.Post($"v1/issuers/keys/{kid}/rotate", new { new_kid = taken }), HttpStatusCode.Conflict, "kid_exists");
        var a = await Client.Mint(AttestApi.MintBody(issuerId, kid));
        Assert.Equal("VALID", a.Str("status"));
    }

    /// <summary>
    /// Streams mints on <paramref name="kid"/> from several clients, runs <paramref name="keyEvent"/> once some have
    /// landed, and goes on minting until every client has been refused. Returns the minted log indexes and the event's.
    /// </summary>
    private async Task<(List<long> Minted, long EventIndex)> MintWhile(string issuerId, string kid, Func<Task<long>> keyEvent)
    {
        var minted = new List<long>();
        using var started = new SemaphoreSlim(0);
        var refusals = new List<JsonElement>();
        async Task Minter()
        {
            while (true)
            {
                var (status, body) = await Client.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), idempotencyKey: Guid.NewGuid().ToString());
                if (status == HttpStatusCode.Created)
                {
                    lock (minted) minted.Add(body.GetProperty("log_index").GetInt64());
                    started.Release();
                    continue;
                }
                Http.AssertError((status, body), HttpStatusCode.Conflict, "key_not_active");
                lock (refusals) refusals.Add(body);
                return;
            }
        }
        var minters = Enumerable.Range(0, Minters).Select(_ => Task.Run(Minter)).ToArray();
        for (int i = 0; i < Minters * 2; i++) await started.WaitAsync();
        long eventIndex = await keyEvent();
        await Task.WhenAll(minters);
        Assert.Equal(Minters, refusals.Count);
        return (minted, eventIndex);
    }

    private static void AssertNoneAfter(string kid, List<long> minted, long eventIndex, int round)
    {
        Assert.NotEmpty(minted);
        var late = minted.Where(i => i > eventIndex).OrderBy(i => i).ToList();
        Assert.True(late.Count == 0,
            $"round {round}: {late.Count} attestations under {kid} were logged after its key event at index {eventIndex}: {string.Join(", ", late.Take(10))}");
    }
}
