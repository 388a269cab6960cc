using System.Collections.Concurrent;
using System.Text.Json;
using Attest.LogServer.Entries;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

public sealed record Issuer(Guid Id, string Name, string CreatedAt, long EntryIndex);

/// <summary>
/// A signing key. A server-held key is <c>Ed25519</c> with its seed sealed in <see cref="EncryptedSeed"/>; an
/// issuer-held key is <c>ES256</c> or <c>EdDSA</c> (its <see cref="PublicKey"/> the raw key of <see cref="KeyEntry"/>)
/// with <see cref="EncryptedSeed"/> empty.
/// </summary>
public sealed record IssuerKey(
    string Kid, Guid IssuerId, string Alg, string PublicKey, string Status, string CreatedAt, string? RotatedAt, string? ReplacedBy,
    string? CompromisedAt, string EncryptedSeed, long CreatedEntryIndex, long LastEntryIndex, long RotatedEntryIndex = 0)
{
    public const string Active = "active", Rotated = "rotated", Compromised = "compromised";

    /// <summary>Whether the issuer holds the private key (the server cannot sign with it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HeldByIssuer => EncryptedSeed.Length == 0;
}

public sealed record ApiKeyRecord(Guid Id, Guid IssuerId, string Name, string KeyHash, string CreatedAt, string? ExpiresAt, string? RevokedAt, long LastEntryIndex, long CreatedEntryIndex = 0);

public sealed record Pack(
    Guid Id, Guid IssuerId, string Name, string? Description, string Status, string CreatedAt, string? ActivatedAt,
    long VerificationsCount, long LastEntryIndex, long LastCountedIndex)
{
    public const string Draft = "draft", Active = "active";
}

/// <summary>
/// The small, slowly changing state derived from the log: issuers, their signing keys, API keys, their credit
/// balances and verification packs. Held in memory; snapshotted with the index checkpoint.
/// </summary>
/// <remarks>
/// Every record remembers the last log index applied to it, and an update from an index at or below it is
/// ignored, so re-applying entries after a crash (as <see cref="Log.IEntryIndexer"/> requires) changes nothing,
/// even when a snapshot taken while entries were being applied holds some of them. Records are immutable and
/// replaced whole, so a reader always sees one consistent version.
/// </remarks>
public sealed class Registry
{
    private readonly ConcurrentDictionary<Guid, Issuer> issuers = new();
    private readonly ConcurrentDictionary<string, IssuerKey> keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, ApiKeyRecord> apiKeys = new();
    private readonly ConcurrentDictionary<string, Guid> apiKeysByHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, Pack> packs = new();
    private readonly ConcurrentDictionary<Guid, CreditAccount> credits = new();
    private volatile bool anyCredits;

    public long AppliedUpTo { get; private set; }

    public Issuer? Issuer(Guid id) => issuers.GetValueOrDefault(id);

    public IssuerKey? Key(string kid) => keys.GetValueOrDefault(kid);

    public IEnumerable<IssuerKey> Keys => keys.Values.OrderBy(k => k.CreatedEntryIndex);

    public ApiKeyRecord? ApiKey(Guid id) => apiKeys.GetValueOrDefault(id);

    public ApiKeyRecord? ApiKeyByHash(string keyHash) => apiKeysByHash.TryGetValue(keyHash, out var id) ? apiKeys.GetValueOrDefault(id) : null;

    /// <summary>In creation order (a revocation does not move a key), so that pages of the list are stable.</summary>
    public IEnumerable<ApiKeyRecord> ApiKeys => apiKeys.Values.OrderBy(k => k.CreatedEntryIndex);

    public Pack? Pack(Guid id) => packs.GetValueOrDefault(id);

    /// <summary>The credit balance of an API key created with one; null for a key without (unlimited).</summary>
    public CreditAccount? Credits(Guid apiKeyId) => credits.GetValueOrDefault(apiKeyId);

    /// <summary>Whether any API key has a credit balance: until one has, no entry can carry a charge.</summary>
    public bool AnyCredits => anyCredits;

    public IEnumerable<Pack> Packs => packs.Values;

    // One Apply per entry type that changes the registry, each with the entry's private data where it reads any.

    public void Apply(long i, in IssuerEntry entry) =>
        issuers.TryAdd(entry.Id, new Issuer(entry.Id, entry.Name, entry.CreatedAt, i));

    public void Apply(long i, in KeyEntry entry, JsonElement priv)
    {
        string kid = entry.Kid;
        switch (entry.Event)
        {
            case KeyEvent.Created or KeyEvent.Rotated:
                // An issuer-held key has no sealed seed: the server cannot sign with it.
                keys.TryAdd(kid, new IssuerKey(kid, entry.IssuerId, entry.Alg, entry.PublicKey, IssuerKey.Active, entry.At,
                    null, null, null, priv.OptStr("encrypted_seed") ?? "", i, i));
                if (entry.RotatedFrom is { } old && keys.TryGetValue(old, out var previous) && i > previous.LastEntryIndex)
                    keys[old] = previous with { Status = IssuerKey.Rotated, RotatedAt = entry.At, ReplacedBy = kid, LastEntryIndex = i, RotatedEntryIndex = i };
                break;
            case KeyEvent.Compromised:
                if (keys.TryGetValue(kid, out var k) && i > k.LastEntryIndex)
                    keys[kid] = k with { Status = IssuerKey.Compromised, CompromisedAt = entry.CompromisedAt, LastEntryIndex = i };
                break;
        }
    }

    public void Apply(long i, in ApiKeyEntry entry, JsonElement priv)
    {
        switch (entry.Event)
        {
            case ApiKeyEvent.Created:
                // The balance first: a key is found by its hash only once its balance exists, so it is never taken for unlimited.
                if (priv.TryGetProperty("credits", out var granted)) AddCredits(new CreditBalance(entry.Id, granted.GetInt64(), 0, i));
                string hash = priv.Str("key_sha256");
                if (apiKeys.TryAdd(entry.Id, new ApiKeyRecord(entry.Id, entry.IssuerId, priv.Str("name"), hash, entry.At, entry.ExpiresAt, null, i, i)))
                    apiKeysByHash[hash] = entry.Id;
                break;
            case ApiKeyEvent.Revoked:
                if (apiKeys.TryGetValue(entry.Id, out var k) && i > k.LastEntryIndex)
                    apiKeys[entry.Id] = k with { RevokedAt = entry.At, LastEntryIndex = i };
                break;
            case ApiKeyEvent.Credited:
                credits.GetValueOrDefault(entry.Id)?.Apply(i, priv.GetProperty("credits").GetInt64(), 0);
                break;
        }
    }

    /// <summary>A write's <c>charge</c> (<see cref="CreditCharge"/>): the key that paid spent its credits.</summary>
    public void ApplyCharge(long i, JsonElement charge)
    {
        var (apiKeyId, spent) = CreditCharge.Parse(charge);
        credits.GetValueOrDefault(apiKeyId)?.Apply(i, 0, spent);
    }

    private void AddCredits(CreditBalance balance)
    {
        credits.TryAdd(balance.ApiKeyId, new CreditAccount(balance));
        anyCredits = true;
    }

    public void Apply(long i, in PackEntry entry, JsonElement priv)
    {
        if (!entry.Activated)
            packs.TryAdd(entry.Id, new Pack(entry.Id, entry.IssuerId, priv.Str("name"), priv.OptStr("description"), Service.Pack.Draft, entry.At, null, 0, i, -1));
        else if (packs.TryGetValue(entry.Id, out var p) && i > p.LastEntryIndex)
            packs[entry.Id] = p with { Status = Service.Pack.Active, ActivatedAt = entry.At, LastEntryIndex = i };
    }

    /// <summary>An attestation counts towards the verifications of the pack its private data names.</summary>
    public void Apply(long i, in AttestationEntry entry, JsonElement priv)
    {
        if (priv.OptStr("pack_id") is { } pid && packs.TryGetValue(Guid.Parse(pid), out var pack) && i > pack.LastCountedIndex)
            packs[pack.Id] = pack with { VerificationsCount = pack.VerificationsCount + 1, LastCountedIndex = i };
    }

    /// <summary>Writes the whole registry, stamped with the log index it covers, atomically.</summary>
    public void Save(string path, long appliedUpTo)
    {
        var snapshot = new Snapshot(appliedUpTo, [.. issuers.Values], [.. keys.Values], [.. apiKeys.Values], [.. packs.Values], [.. credits.Values.Select(c => c.Logged)]);
        DurableFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(snapshot));
        AppliedUpTo = appliedUpTo;
    }

    public static Registry Load(string path)
    {
        var registry = new Registry();
        if (!File.Exists(path)) return registry;
        var s = JsonSerializer.Deserialize<Snapshot>(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path} is empty");
        foreach (var x in s.Issuers) registry.issuers[x.Id] = x;
        foreach (var x in s.Keys) registry.keys[x.Kid] = x;
        foreach (var x in s.ApiKeys)
        {
            // A snapshot from before CreatedEntryIndex: the last entry's index is as unique, and orders the list as well.
            registry.apiKeys[x.Id] = x.CreatedEntryIndex > 0 ? x : x with { CreatedEntryIndex = x.LastEntryIndex };
            registry.apiKeysByHash[x.KeyHash] = x.Id;
        }
        foreach (var x in s.Packs) registry.packs[x.Id] = x;
        foreach (var x in s.Credits ?? []) registry.AddCredits(x);
        registry.AppliedUpTo = s.AppliedUpTo;
        return registry;
    }

    private sealed record Snapshot(long AppliedUpTo, Issuer[] Issuers, IssuerKey[] Keys, ApiKeyRecord[] ApiKeys, Pack[] Packs, CreditBalance[]? Credits = null);
}

/// <summary>
/// Terse typed reads of an entry's private data, which this server wrote (the public entry is read through
/// src/LogServer/Entries).
/// </summary>
internal static class PrivateJson
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static string? OptStr(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static Guid Guid(this JsonElement e, string name) => System.Guid.Parse(e.Str(name));
}
