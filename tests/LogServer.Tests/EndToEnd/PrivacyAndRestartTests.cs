using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Merkle;

namespace Attest.LogServer.Tests.EndToEnd;

/// <summary>
/// What the public log holds (ids, hashes, times; never claims, e-mails, reasons, names or secrets), and that the
/// attestation state survives a graceful restart and a SIGKILL.
/// </summary>
public sealed class PrivacyAndRestartTests
{
    private static readonly Dictionary<string, string[]> EntryFields = new()
    {
        ["stamp/v1"] = ["content_hash", "created_at", "id", "type"],
        ["issuer/v1"] = ["created_at", "id", "name", "type"],
        ["key/v1"] = ["alg", "at", "compromised_at", "event", "issuer_id", "kid", "public_key", "rotated_from", "type"],
        ["api-key/v1"] = ["at", "event", "expires_at", "id", "issuer_id", "type"],
        ["pack/v1"] = ["at", "event", "id", "issuer_id", "type"],
        ["attestation/v1"] = ["created_at", "id", "issuer_id", "kid", "payload_sha256", "schema", "signature", "supersedes", "type"],
        ["revocation/v1"] = ["attestation_id", "issuer_id", "revoked_at", "type"],
    };

    [Fact]
    public async Task no_claim_email_reason_name_or_secret_appears_in_any_entry_or_tile()
    {
        string kek = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string dir = ServerProcess.NewDataDir();
        string tag = Guid.NewGuid().ToString("N")[..12];
        var secrets = new List<string> { tag, kek, ServerProcess.AdminKey };
        string Secret(string what)
        {
            string s = $"{what}{tag}";
            secrets.Add(s);
            return s;
        }

        // Mail on, to an SMTP server that is down: the recipients' addresses are held, and must stay out of the log too.
        using var smtpDown = new ReservedPort();
        var settings = SmtpSink.Settings(smtpDown.Port);
        settings["Attest__KeyEncryptionKey"] = kek;
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            var c = server.Client;
            string issuerId = await c.CreateIssuer("Privacy University");
            string kid = (await c.CreateKey(issuerId)).Str("kid");
            var (_, apiKey) = await c.Post("v1/api-keys", new { issuer_id = issuerId, name = Secret("apikeyname"), credits = 1000 });
            secrets.Add(apiKey.Str("key"));
            secrets.Add(apiKey.Str("key")["atk_".Length..]);
            Assert.Equal(HttpStatusCode.OK, (await c.Post($"v1/api-keys/{apiKey.Str("id")}/credits", new { amount = 5 })).Status);
            // Credits and the charges of the mints below stay in the records' private data.
            secrets.Add("\"credits\"");
            secrets.Add("\"charge\"");
            var (_, pack) = await c.Post("v1/attestation-packs", new { issuer_id = issuerId, name = Secret("packname"), description = Secret("packdescription") });
            await c.Post($"v1/attestation-packs/{pack.Str("id")}/activate", null);

            var minted = new List<JsonElement>();
            for (int i = 0; i < 3; i++)
            {
                var claims = new JsonObject
                {
                    ["student_name"] = Secret($"student{i}"), ["institution"] = Secret($"institution{i}"), ["degree_type"] = Secret($"degree{i}"),
                    ["field_of_study"] = Secret($"field{i}"), ["graduation_date"] = Secret($"date{i}"), ["honors"] = Secret($"honors{i}"),
                };
                var body = AttestApi.MintBody(issuerId, kid, claims);
                body["recipient_email"] = Secret($"recipient{i}.") + "@example.org";
                body["pack_id"] = pack.Str("id");
                minted.Add(await c.Mint(body, key: apiKey.Str("key"), idempotencyKey: Secret($"idempotency{i}")));
            }
            var withDocument = AttestApi.MintBody(issuerId, kid, new JsonObject { ["subject"] = Secret("subject"), ["type"] = Secret("customtype"), ["details"] = Secret("details"), ["extra"] = Secret("extrafield") }, "custom");
            byte[] document = Encoding.UTF8.GetBytes(Secret("documentbody"));
            withDocument["payload"] = AttestApi.B64Url(document);
            secrets.Add(AttestApi.B64Url(document));
            minted.Add(await c.Mint(withDocument));
            var (revokeStatus, _) = await c.Post($"v1/attestations/{minted[0].Str("id")}/revoke", new { reason = Secret("revocationreason") });
            Assert.Equal(HttpStatusCode.OK, revokeStatus);
            var superseding = AttestApi.MintBody(issuerId, kid, AttestApi.DegreeClaims(Secret("supersedingname")));
            var (supersedeStatus, _) = await c.Post($"v1/attestations/{minted[1].Str("id")}/supersede", superseding, idempotencyKey: Secret("supersedeidempotency"));
            Assert.Equal(HttpStatusCode.Created, supersedeStatus);
            var (stampStatus, _) = await c.Post("v1/stamps", new { content = Secret("stampcontent"), visibility = "public", display_title = Secret("stamptitle"), tags = new[] { Secret("stamptag") } });
            Assert.Equal(HttpStatusCode.Created, stampStatus);

            // The log's own private key stays out as well.
            string logKey = File.ReadAllText(Path.Combine(dir, "log.key")).Trim();
            secrets.Add(logKey);
            secrets.Add(logKey.Split('+', 5)[4]); // PRIVATE+KEY+<name>+<id>+<base64>; the base64 may itself hold '+'
            Assert.True(secrets[^1].Length == 44, $"the key part of {logKey} is not 44 base64 characters");

            long size = await c.TreeSize();
            var (cp, _) = await c.CheckpointCovering(size);
            Assert.Equal(size, cp.Size);

            var fetched = new List<(string Path, byte[] Bytes)>();
            var entries = new List<byte[]>();
            var leaves = new List<Hash>();
            foreach (var tile in Tile.NewTiles(0, cp.Size))
            {
                byte[] data = await c.GetByteArrayAsync(tile.Path);
                fetched.Add((tile.Path, data));
                Assert.Equal(tile.Width * Hash.Size, data.Length);
                if (tile.Level != 0) continue;
                for (int i = 0; i < tile.Width; i++) leaves.Add(new Hash(data.AsSpan(i * Hash.Size, Hash.Size)));
                var bundleTile = new Tile(Tile.EntriesLevel, tile.N, tile.Width);
                byte[] bundle = await c.GetByteArrayAsync(bundleTile.Path);
                fetched.Add((bundleTile.Path, bundle));
                Assert.True(EntryBundle.TryParse(bundle, tile.Width, entries), $"{bundleTile.Path} is not an entry bundle of {tile.Width} entries");
            }
            Assert.Equal(cp.Size, entries.Count);
            Assert.Equal(cp.Size, leaves.Count);
            Assert.Contains(fetched, f => f.Path.StartsWith("tile/entries/"));
            Assert.Contains(fetched, f => f.Path.StartsWith("tile/0/"));

            var types = new HashSet<string>();
            for (int i = 0; i < entries.Count; i++)
            {
                Assert.Equal(Rfc6962.HashLeaf(entries[i]), leaves[i]);
                using var doc = JsonDocument.Parse(entries[i]);
                Assert.Equal(entries[i], Jcs.Canonicalize(doc.RootElement));
                Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("type").ValueKind);
                string type = doc.RootElement.Str("type");
                types.Add(type);
                Assert.True(EntryFields.TryGetValue(type, out var allowed), $"unknown entry type {type}");
                Assert.All(doc.RootElement.EnumerateObject(), p => Assert.Contains(p.Name, allowed));
            }
            Assert.True(types.SetEquals(EntryFields.Keys), $"entry types seen: {string.Join(", ", types)}");

            foreach (var secret in secrets.Distinct())
            {
                byte[] needle = Encoding.UTF8.GetBytes(secret);
                foreach (var (path, bytes) in fetched)
                    Assert.False(bytes.AsSpan().IndexOf(needle) >= 0, $"\"{secret}\" appears in {path}");
            }
            byte[] rawKek = Convert.FromBase64String(kek);
            Assert.All(fetched, f => Assert.False(f.Bytes.AsSpan().IndexOf(rawKek) >= 0, $"the KEK appears in {f.Path}"));

            // The data is still there for those allowed to see it, outside the log.
            var got = (await c.Get($"v1/attestations/{minted[2].Str("id")}")).Body;
            Assert.Equal($"student2{tag}", got.GetProperty("payload").GetProperty("claims").Str("student_name"));
        }
        Directory.Delete(dir, true);
    }

    /// <summary>What <see cref="Populate"/> made, to check after a restart.</summary>
    private sealed record State(
        string IssuerId, string IssuerName, string RotatedKid, string ActiveKid, string ActivePublicKey, string CompromisedKid,
        string ApiKey, string ApiKeyId, string RevokedApiKey, string RevokedApiKeyId, string PackId,
        string IdempotencyKey, JsonObject IdempotentBody, string IdempotentId, string OldKeyId, string RevokedId, long Size);

    private static async Task<State> Populate(ServerProcess server, Func<Task>? midway = null)
    {
        var c = server.Client;
        string name = "Restart University " + Guid.NewGuid();
        string issuerId = await c.CreateIssuer(name);
        string rotatedKid = (await c.CreateKey(issuerId)).Str("kid");
        var old = await c.Mint(AttestApi.MintBody(issuerId, rotatedKid, AttestApi.DegreeClaims("old key")));
        string activeKid = AttestApi.NewKid();
        var (rotateStatus, active) = await c.Post($"v1/issuers/keys/{rotatedKid}/rotate", new { new_kid = activeKid });
        Assert.Equal(HttpStatusCode.Created, rotateStatus);
        string compromisedKid = (await c.CreateKey(issuerId)).Str("kid");
        Assert.Equal(HttpStatusCode.OK, (await c.Post($"v1/issuers/keys/{compromisedKid}/compromise", new { })).Status);
        var (_, apiKey) = await c.Post("v1/api-keys", new { issuer_id = issuerId, name = "survivor" });
        var (_, revokedApiKey) = await c.Post("v1/api-keys", new { issuer_id = issuerId, name = "revoked" });
        Assert.Equal(HttpStatusCode.OK, (await c.Send(HttpMethod.Delete, $"v1/api-keys/{revokedApiKey.Str("id")}")).Status);
        var (_, pack) = await c.Post("v1/attestation-packs", new { issuer_id = issuerId, name = "restart pack" });
        Assert.Equal(HttpStatusCode.OK, (await c.Post($"v1/attestation-packs/{pack.Str("id")}/activate", null)).Status);

        if (midway is not null) await midway();

        string idempotencyKey = Guid.NewGuid().ToString();
        var idempotentBody = AttestApi.MintBody(issuerId, activeKid, AttestApi.DegreeClaims("idempotent"));
        idempotentBody["pack_id"] = pack.Str("id");
        var idempotent = await c.Mint(idempotentBody, key: apiKey.Str("key"), idempotencyKey: idempotencyKey);
        var toRevoke = AttestApi.MintBody(issuerId, activeKid, AttestApi.DegreeClaims("revoked"));
        toRevoke["pack_id"] = pack.Str("id");
        var revoked = await c.Mint(toRevoke);
        Assert.Equal(HttpStatusCode.OK, (await c.Post($"v1/attestations/{revoked.Str("id")}/revoke", new { reason = "restart" })).Status);

        return new State(issuerId, name, rotatedKid, activeKid, active.Str("public_key"), compromisedKid,
            apiKey.Str("key"), apiKey.Str("id"), revokedApiKey.Str("key"), revokedApiKey.Str("id"), pack.Str("id"),
            idempotencyKey, idempotentBody, idempotent.Str("id"), old.Str("id"), revoked.Str("id"), await c.TreeSize());
    }

    private static async Task AssertSurvived(ServerProcess server, State s)
    {
        var c = server.Client;
        Assert.Equal(s.Size, await c.TreeSize());

        var (issuerStatus, issuer) = await c.Get($"v1/issuers/{s.IssuerId}");
        Assert.Equal(HttpStatusCode.OK, issuerStatus);
        Assert.Equal(s.IssuerName, issuer.Str("name"));

        var keys = (await c.Get($"v1/issuers/{s.IssuerId}/keys")).Body.GetProperty("keys").EnumerateArray().ToDictionary(k => k.Str("kid"));
        Assert.Equal(3, keys.Count);
        Assert.Equal("rotated", keys[s.RotatedKid].Str("status"));
        Assert.Equal(s.ActiveKid, keys[s.RotatedKid].Str("replaced_by"));
        Assert.Equal("active", keys[s.ActiveKid].Str("status"));
        Assert.Equal(s.ActivePublicKey, keys[s.ActiveKid].Str("public_key"));
        Assert.Equal("compromised", keys[s.CompromisedKid].Str("status"));

        // API keys: the live one still authenticates (and only for its issuer), the revoked one stays revoked.
        Assert.Equal(HttpStatusCode.OK, (await c.Get($"v1/issuers/{s.IssuerId}", key: s.ApiKey)).Status);
        Http.AssertError(await c.Get($"v1/issuers/{s.IssuerId}", key: s.RevokedApiKey), HttpStatusCode.Unauthorized, "invalid_api_key");
        var apiKeys = (await c.GetAll("v1/api-keys", "api_keys")).ToDictionary(k => k.Str("id"));
        Assert.Equal(JsonValueKind.Null, apiKeys[s.ApiKeyId].GetProperty("revoked_at").ValueKind);
        Assert.Equal("survivor", apiKeys[s.ApiKeyId].Str("name"));
        Assert.True(DateTimeOffset.TryParse(apiKeys[s.RevokedApiKeyId].Str("revoked_at"), out _));

        var pack = (await c.Get($"v1/attestation-packs/{s.PackId}")).Body;
        Assert.Equal("active", pack.Str("status"));
        Assert.Equal("restart pack", pack.Str("name"));
        Assert.Equal(2, pack.GetProperty("verifications_count").GetInt64());

        Assert.Equal("VALID", (await c.Get($"v1/attestations/{s.OldKeyId}")).Body.Str("status"));
        Assert.Equal("VALID", (await c.Get($"v1/attestations/{s.IdempotentId}", key: s.ApiKey)).Body.Str("status"));
        var revoked = (await c.Get($"v1/attestations/{s.RevokedId}")).Body;
        Assert.Equal("REVOKED", revoked.Str("status"));
        Assert.Equal("restart", revoked.Str("revocation_reason"));
        Assert.Equal("VALID", (await c.Verify(new { attestation_id = s.OldKeyId })).Str("verdict"));
        Assert.Equal("REVOKED", (await c.Verify(new { attestation_id = s.RevokedId })).Str("verdict"));
        var v = await c.Verify(new { attestation_id = s.IdempotentId });
        Assert.Equal("VALID", v.Str("verdict"));
        Assert.Contains("transparency_proof_ok", v.Reasons());

        // The idempotency record survived: a retry returns the same attestation and appends nothing.
        var retry = await c.Mint(s.IdempotentBody, key: s.ApiKey, idempotencyKey: s.IdempotencyKey);
        Assert.Equal(s.IdempotentId, retry.Str("id"));
        Http.AssertError(await c.Post("v1/attestations/mint", AttestApi.MintBody(s.IssuerId, s.ActiveKid), key: s.ApiKey, idempotencyKey: s.IdempotencyKey), HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(s.Size, await c.TreeSize());
        Assert.Equal(2, (await c.Get($"v1/attestation-packs/{s.PackId}")).Body.GetProperty("verifications_count").GetInt64());

        // The sealed signing key still opens (the KEK was kept), and the key's attestation count is exact.
        var fresh = await c.Mint(AttestApi.MintBody(s.IssuerId, s.ActiveKid, AttestApi.DegreeClaims("after restart")), key: s.ApiKey);
        Assert.True(AttestApi.SignatureVerifies(s.ActivePublicKey, fresh));
        Http.AssertError(await c.Post("v1/attestations/mint", AttestApi.MintBody(s.IssuerId, s.RotatedKid), idempotencyKey: Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "key_not_active");
        var (compromiseStatus, compromise) = await c.Post($"v1/issuers/keys/{s.ActiveKid}/compromise", new { compromised_at = "2000-01-01T00:00:00Z" });
        Assert.Equal(HttpStatusCode.OK, compromiseStatus);
        Assert.Equal(3, compromise.GetProperty("affected_attestations").GetInt64());
    }

    [Fact]
    public async Task attestations_keys_api_keys_packs_and_idempotency_records_survive_a_graceful_restart()
    {
        string dir = ServerProcess.NewDataDir();
        State state;
        await using (var server = await ServerProcess.Start(dir))
        {
            state = await Populate(server);
            await server.Stop();
        }
        await using (var restarted = await ServerProcess.Start(dir))
        {
            await AssertSurvived(restarted, state);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task attestations_keys_api_keys_packs_and_idempotency_records_survive_sigkill()
    {
        string dir = ServerProcess.NewDataDir();
        // Index and registry checkpoints every 200 ms: recovery loads a snapshot and re-applies the entries after it.
        var settings = new Dictionary<string, string> { ["Attest__Log__IndexCheckpointInterval"] = "00:00:00.2" };
        State state;
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            state = await Populate(server, midway: async () =>
            {
                // Let a registry snapshot cover the issuer, keys, API keys and pack before the rest is written.
                long size = await server.Client.TreeSize();
                string registry = Path.Combine(dir, "registry.json");
                for (int i = 0; ; i++)
                {
                    if (File.Exists(registry) && JsonDocument.Parse(File.ReadAllBytes(registry)).RootElement.GetProperty("AppliedUpTo").GetInt64() >= size) break;
                    Assert.True(i < 600, "no registry snapshot was written within 60 s");
                    await Task.Delay(100);
                }
            });
            server.Kill();
        }
        await using (var restarted = await ServerProcess.Start(dir, settings))
        {
            await AssertSurvived(restarted, state);
        }
        // And once more, with the state as the first recovery left it.
        await using (var again = await ServerProcess.Start(dir, settings))
        {
            Assert.Equal(state.Size + 2, await again.Client.TreeSize());
            Assert.Equal(2, (await again.Client.Get($"v1/attestation-packs/{state.PackId}")).Body.GetProperty("verifications_count").GetInt64());
            Assert.Equal("compromised", (await again.Client.Get($"v1/issuers/{state.IssuerId}/keys")).Body.GetProperty("keys").EnumerateArray().Single(k => k.Str("kid") == state.ActiveKid).Str("status"));
            Http.AssertError(await again.Client.Get($"v1/issuers/{state.IssuerId}", key: state.RevokedApiKey), HttpStatusCode.Unauthorized, "invalid_api_key");
        }
        Directory.Delete(dir, true);
    }
}
