using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

public sealed record IssuerView(Guid Id, string Name, string CreatedAt, long LogIndex);

/// <summary>A signing key as the API shows it; <see cref="Jwk"/> is its public key as a JWK (RFC 7517), whoever holds it.</summary>
public sealed record KeyView(
    string Kid, Guid IssuerId, string Alg, string PublicKey, string Status, string CreatedAt, string? RotatedAt, string? ReplacedBy,
    string? CompromisedAt, long LogIndex, JsonObject Jwk)
{
    public static KeyView Of(IssuerKey k) =>
        new(k.Kid, k.IssuerId, k.Alg, k.PublicKey, k.Status, k.CreatedAt, k.RotatedAt, k.ReplacedBy, k.CompromisedAt, k.CreatedEntryIndex, Scitt.IssuerJwk.Of(k.Alg, k.PublicKey));
}

public sealed record CompromiseResult(string Kid, string Status, string CompromisedAt, long AffectedAttestations, long LogIndex);

public sealed record ApiKeyView(Guid Id, Guid IssuerId, string Name, string CreatedAt, string? ExpiresAt, string? RevokedAt, string? Key = null)
{
    /// <summary>The key's logged credit balance; null for a key without one, which is unlimited.</summary>
    public long? ApiCreditsRemaining { get; init; }

    public static ApiKeyView Of(ApiKeyRecord k, CreditAccount? credits) =>
        new(k.Id, k.IssuerId, k.Name, k.CreatedAt, k.ExpiresAt, k.RevokedAt) { ApiCreditsRemaining = credits?.Remaining };
}

public sealed record PackView(Guid Id, Guid IssuerId, string Name, string? Description, string Status, long VerificationsCount, string CreatedAt, string? ActivatedAt)
{
    public static PackView Of(Pack p) => new(p.Id, p.IssuerId, p.Name, p.Description, p.Status, p.VerificationsCount, p.CreatedAt, p.ActivatedAt);
}

/// <summary>
/// Issuers, their Ed25519 signing keys, API keys and verification packs. Every change is a log entry; state is
/// read back from the registry the entry updated. Changes are serialized so that checks (a kid is free, a key is
/// active) and the append they guard cannot interleave.
/// </summary>
public sealed class IssuerService(
    Registry registry, IIndexStore index, LogWriter writer, TransparencyLog log, KeyVault vault, TimeProvider time, KeyGates gates, IssuerQuotas quotas)
{
    private readonly SemaphoreSlim changes = new(1, 1);

    public async Task<IssuerView> CreateIssuer(CreateIssuerCommand command)
    {
        string name = command.Name;
        var id = Guid.CreateVersion7();
        long i = await writer.Append(new IssuerEntry(id, name, Now()).Encode(), null);
        var issuer = registry.Issuer(id)!;
        return new IssuerView(issuer.Id, issuer.Name, issuer.CreatedAt, i);
    }

    public IssuerView GetIssuer(Guid id)
    {
        var issuer = FindIssuer(id);
        return new IssuerView(issuer.Id, issuer.Name, issuer.CreatedAt, issuer.EntryIndex);
    }

    public Page<KeyView> Keys(ListKeysQuery query)
    {
        var (issuerId, page) = query;
        FindIssuer(issuerId);
        var keys = page.Take(registry.Keys.Where(k => k.IssuerId == issuerId), k => k.CreatedEntryIndex);
        return new Page<KeyView>([.. keys.Items.Select(KeyView.Of)], keys.NextCursor);
    }

    public async Task<KeyView> CreateKey(Principal caller, CreateKeyCommand command)
    {
        var (issuerId, kid, held) = command;
        caller.RequireIssuer(issuerId);
        FindIssuer(issuerId);
        return await Serialized(async () =>
        {
            if (registry.Key(kid) is not null) throw new DomainError(ErrorKind.AlreadyExists, "kid_exists", $"a key with kid \"{kid}\" already exists");
            quotas.CheckNewKey(issuerId);
            var (publicKey, alg, priv) = NewKey(kid, held);
            await writer.Append(new KeyEntry(KeyEvent.Created, issuerId, kid, publicKey, Now(), Alg: alg).Encode(), priv);
            return KeyView.Of(registry.Key(kid)!);
        });
    }

    /// <summary>A new active key replaces <paramref name="kid"/>, which signs nothing more; what it signed stays valid.</summary>
    public async Task<KeyView> Rotate(Principal caller, RotateKeyCommand command)
    {
        var (kid, newKid, held) = command;
        var old = FindKey(kid);
        caller.RequireIssuer(old.IssuerId);
        return await Serialized(async () =>
        {
            old = FindKey(kid);
            if (old.Status != IssuerKey.Active) throw DomainError.FailedPrecondition("key_not_active", $"key \"{kid}\" is {old.Status}; only an active key can be rotated");
            if (registry.Key(newKid) is not null) throw new DomainError(ErrorKind.AlreadyExists, "kid_exists", $"a key with kid \"{newKid}\" already exists");
            quotas.CheckNewKey(old.IssuerId);
            var (publicKey, alg, priv) = NewKey(newKid, held);
            await AppendKeyEvent(kid, () => writer.Append(new KeyEntry(KeyEvent.Rotated, old.IssuerId, newKid, publicKey, Now(), RotatedFrom: kid, Alg: alg).Encode(), priv));
            return KeyView.Of(registry.Key(newKid)!);
        });
    }

    /// <summary>
    /// Marks a key compromised from <paramref name="compromisedAt"/> (default now): it signs nothing more, and what
    /// it signed after that time verifies as not valid. Says how many attestations that affects.
    /// </summary>
    public async Task<CompromiseResult> Compromise(Principal caller, CompromiseKeyCommand command, CancellationToken token)
    {
        var (kid, compromisedAt) = command;
        var key = FindKey(kid);
        caller.RequireIssuer(key.IssuerId);
        var at = compromisedAt ?? time.GetUtcNow();
        if (at > time.GetUtcNow()) throw DomainError.Invalid("invalid_field", "compromised_at is in the future");
        return await Serialized(async () =>
        {
            key = FindKey(kid);
            if (key.Status == IssuerKey.Compromised) throw DomainError.FailedPrecondition("key_compromised", $"key \"{kid}\" is already marked compromised");
            string atText = StampService.Timestamp(at);
            long i = await AppendKeyEvent(kid, () => writer.Append(new KeyEntry(KeyEvent.Compromised, key.IssuerId, kid, key.PublicKey, Now(), CompromisedAt: atText, Alg: key.Alg).Encode(), null));
            return new CompromiseResult(kid, IssuerKey.Compromised, atText, await CountSignedAfter(kid, at, token), i);
        });
    }

    /// <summary>
    /// Appends a rotation or compromise of <paramref name="kid"/> with the kid's gate closed: mints already past their
    /// state check land before the event, later ones are refused until the registry shows the key's new state.
    /// </summary>
    private async Task<long> AppendKeyEvent(string kid, Func<Task<long>> append)
    {
        await gates.Close(kid);
        try
        {
            return await append();
        }
        catch
        {
            gates.Reopen(kid);
            throw;
        }
    }

    // Attestations of a key are numbered in log order; created_at is set just before sequencing, so it is in log
    // order up to the few seconds a request can wait in the queue. Walk back from the newest until well before `at`.
    private async Task<long> CountSignedAfter(string kid, DateTimeOffset at, CancellationToken token)
    {
        index.TryGet(EntryIndexer.KidCountKey(kid), out Counter signed);
        long affected = 0;
        for (long n = signed.Count - 1; n >= 0; n--)
        {
            index.TryGet(EntryIndexer.KidSeqKey(kid, n), out EntryAt seq);
            var createdAt = DateTimeOffset.Parse(AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(seq.Index, token))).CreatedAt);
            if (createdAt >= at) affected++; // docs/VERIFYING.md "The key rule": at or after compromised_at
            else if (createdAt < at - TimeSpan.FromMinutes(1)) break;
        }
        return affected;
    }

    public async Task<ApiKeyView> CreateApiKey(CreateApiKeyCommand command)
    {
        var (issuerId, name, expiresAt, credits) = command;
        FindIssuer(issuerId);
        if (expiresAt <= time.GetUtcNow()) throw DomainError.Invalid("invalid_field", "expires_at is in the past");
        // Serialized, so that two concurrent creations cannot both pass the quota.
        return await Serialized(async () =>
        {
            quotas.CheckNewApiKey(issuerId);
            var id = Guid.CreateVersion7();
            string key = "atk_" + Secrets.Base64Url(RandomNumberGenerator.GetBytes(32));
            var priv = new JsonObject { ["name"] = name, ["key_sha256"] = Convert.ToHexStringLower(Secrets.HashKey(key)) };
            if (credits is { } granted) priv["credits"] = granted;
            await writer.Append(new ApiKeyEntry(ApiKeyEvent.Created, id, issuerId, Now(), expiresAt is { } e ? StampService.Timestamp(e) : null).Encode(), priv);
            return ApiKeyView(registry.ApiKey(id)!) with { Key = key };
        });
    }

    public Page<ApiKeyView> ApiKeys(PageRequest page)
    {
        var keys = page.Take(registry.ApiKeys, k => k.CreatedEntryIndex);
        return new Page<ApiKeyView>([.. keys.Items.Select(ApiKeyView)], keys.NextCursor);
    }

    /// <summary>An API key (never the key itself), with its credit balance: for the admin and the API keys of its issuer.</summary>
    public ApiKeyView GetApiKey(Principal caller, Guid id)
    {
        var key = registry.ApiKey(id) ?? throw DomainError.NotFound($"no API key with id {id}");
        caller.RequireIssuer(key.IssuerId);
        return ApiKeyView(key);
    }

    /// <summary>
    /// Adds credits to the balance of a key created with one (an <c>api-key/v1</c> credited entry; the amount stays in
    /// its private data). A key created without a balance stays unlimited.
    /// </summary>
    public async Task<ApiKeyView> AddCredits(AddCreditsCommand command)
    {
        var (id, amount) = command;
        // Serialized, so that the cap on the balance holds against concurrent grants.
        return await Serialized(async () =>
        {
            var key = registry.ApiKey(id) ?? throw DomainError.NotFound($"no API key with id {id}");
            if (key.RevokedAt is not null) throw DomainError.FailedPrecondition("already_revoked", "this API key is revoked");
            var account = registry.Credits(id)
                ?? throw DomainError.FailedPrecondition("unlimited_api_key", "this API key was created without \"credits\", so it is unlimited; create a key with \"credits\" to give one a balance");
            if (account.Logged.Granted > CreditBalance.MaxCredits - amount)
                throw DomainError.Invalid("parameter_out_of_range", $"the key's credits would exceed {CreditBalance.MaxCredits}");
            await writer.Append(new ApiKeyEntry(ApiKeyEvent.Credited, id, key.IssuerId, Now()).Encode(), new JsonObject { ["credits"] = amount });
            return ApiKeyView(registry.ApiKey(id)!);
        });
    }

    public async Task<ApiKeyView> RevokeApiKey(Guid id)
    {
        return await Serialized(async () =>
        {
            var key = registry.ApiKey(id) ?? throw DomainError.NotFound($"no API key with id {id}");
            if (key.RevokedAt is not null) throw DomainError.FailedPrecondition("already_revoked", "this API key is already revoked");
            await writer.Append(new ApiKeyEntry(ApiKeyEvent.Revoked, id, key.IssuerId, Now()).Encode(), null);
            return ApiKeyView(registry.ApiKey(id)!);
        });
    }

    public async Task<PackView> CreatePack(Principal caller, CreatePackCommand command)
    {
        var (issuerId, name, description) = command;
        caller.RequireIssuer(issuerId);
        FindIssuer(issuerId);
        return await Serialized(async () =>
        {
            quotas.CheckNewPack(issuerId);
            var id = Guid.CreateVersion7();
            var priv = new JsonObject { ["name"] = name };
            if (description is not null) priv["description"] = description;
            await writer.Append(new PackEntry(Activated: false, id, issuerId, Now()).Encode(), priv);
            return PackView.Of(registry.Pack(id)!);
        });
    }

    public async Task<PackView> ActivatePack(Principal caller, Guid id)
    {
        var pack = GetPack(caller, id);
        return await Serialized(async () =>
        {
            if (registry.Pack(id)!.Status != Pack.Draft) throw DomainError.FailedPrecondition("pack_not_draft", "only a draft pack can be activated");
            await writer.Append(new PackEntry(Activated: true, id, pack.IssuerId, Now()).Encode(), null);
            return PackView.Of(registry.Pack(id)!);
        });
    }

    public PackView GetPack(Principal caller, Guid id)
    {
        var pack = registry.Pack(id) ?? throw DomainError.NotFound($"no attestation pack with id {id}");
        caller.RequireIssuer(pack.IssuerId);
        return PackView.Of(pack);
    }

    private ApiKeyView ApiKeyView(ApiKeyRecord key) => Service.ApiKeyView.Of(key, registry.Credits(key.Id));

    public Issuer FindIssuer(Guid id) => registry.Issuer(id) ?? throw DomainError.NotFound($"no issuer with id {id}");

    public IssuerKey FindKey(string kid) => registry.Key(kid) ?? throw DomainError.NotFound($"no key with kid \"{kid}\"");

    /// <summary>
    /// The new key's public key, alg and private data: the issuer's own public key (nothing private is kept), or a new
    /// Ed25519 key the server holds, its seed sealed in the private data.
    /// </summary>
    private (string PublicKey, string Alg, JsonObject? Private) NewKey(string kid, Scitt.IssuerPublicKey? held)
    {
        if (held is not null) return (Secrets.Base64Url(held.Key), held.Alg, null);
        var (publicKey, sealedSeed) = NewKey(kid);
        return (publicKey, KeyEntry.ServerHeld, new JsonObject { ["encrypted_seed"] = sealedSeed });
    }

    private (string PublicKey, string SealedSeed) NewKey(string kid)
    {
        using var key = Ed25519PrivateKey.Generate();
        Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
        key.ExportSeed(seed);
        try
        {
            return (Secrets.Base64Url(key.PublicKey), vault.Seal(seed, kid));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private async Task<T> Serialized<T>(Func<Task<T>> change)
    {
        await changes.WaitAsync();
        try { return await change(); }
        finally { changes.Release(); }
    }

    private string Now() => StampService.Timestamp(time.GetUtcNow());
}
