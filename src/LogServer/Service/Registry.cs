using System.Collections.Concurrent;
using System.Text.Json;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Service;

public sealed record Issuer(Guid Id, string Name, string CreatedAt, long EntryIndex);

public sealed record IssuerKey(
    string Kid, Guid IssuerId, string Alg, string PublicKey, string Status, string CreatedAt, string? RotatedAt, string? ReplacedBy,
    string? CompromisedAt, string EncryptedSeed, long CreatedEntryIndex, long LastEntryIndex, long RotatedEntryIndex = 0)
{
    public const string Active = "active", Rotated = "rotated", Compromised = "compromised";
}

public sealed record ApiKeyRecord(Guid Id, Guid IssuerId, string Name, string KeyHash, string CreatedAt, string? ExpiresAt, string? RevokedAt, long LastEntryIndex, long CreatedEntryIndex = 0);

public sealed record Pack(
    Guid Id, Guid IssuerId, string Name, string? Description, string Status, string CreatedAt, string? ActivatedAt,
    long VerificationsCount, long LastEntryIndex, long LastCountedIndex)
{
    public const string Draft = "draft", Active = "active";
}

/// <summary>
/// The small, slowly changing state derived from the log: issuers, their signing keys, API keys and verification
/// packs. Held in memory; snapshotted with the index checkpoint.
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

    public long AppliedUpTo { get; private set; }

    public Issuer? Issuer(Guid id) => issuers.GetValueOrDefault(id);

    public IssuerKey? Key(string kid) => keys.GetValueOrDefault(kid);

    public IEnumerable<IssuerKey> Keys => keys.Values.OrderBy(k => k.CreatedEntryIndex);

    public ApiKeyRecord? ApiKey(Guid id) => apiKeys.GetValueOrDefault(id);

    public ApiKeyRecord? ApiKeyByHash(string keyHash) => apiKeysByHash.TryGetValue(keyHash, out var id) ? apiKeys.GetValueOrDefault(id) : null;

    /// <summary>In creation order (a revocation does not move a key), so that pages of the list are stable.</summary>
    public IEnumerable<ApiKeyRecord> ApiKeys => apiKeys.Values.OrderBy(k => k.CreatedEntryIndex);

    public Pack? Pack(Guid id) => packs.GetValueOrDefault(id);

    public IEnumerable<Pack> Packs => packs.Values;

    /// <summary>Applies one log entry (its public JSON and private JSON) at log index <paramref name="i"/>.</summary>
    public void Apply(long i, JsonElement entry, JsonElement priv)
    {
        switch (entry.GetProperty("type").GetString())
        {
            case IssuerEntries.IssuerType:
                issuers.TryAdd(entry.Guid("id"), new Issuer(entry.Guid("id"), entry.Str("name"), entry.Str("created_at"), i));
                break;
            case IssuerEntries.KeyType:
                ApplyKeyEvent(i, entry, priv);
                break;
            case IssuerEntries.ApiKeyType:
                var apiKeyId = entry.Guid("id");
                if (entry.Str("event") == "created")
                {
                    string hash = priv.Str("key_sha256");
                    if (apiKeys.TryAdd(apiKeyId, new ApiKeyRecord(apiKeyId, entry.Guid("issuer_id"), priv.Str("name"), hash, entry.Str("at"), entry.OptStr("expires_at"), null, i, i)))
                        apiKeysByHash[hash] = apiKeyId;
                }
                else if (apiKeys.TryGetValue(apiKeyId, out var k) && i > k.LastEntryIndex)
                {
                    apiKeys[apiKeyId] = k with { RevokedAt = entry.Str("at"), LastEntryIndex = i };
                }
                break;
            case IssuerEntries.PackType:
                var packId = entry.Guid("id");
                if (entry.Str("event") == "created")
                    packs.TryAdd(packId, new Pack(packId, entry.Guid("issuer_id"), priv.Str("name"), priv.OptStr("description"), Service.Pack.Draft, entry.Str("at"), null, 0, i, -1));
                else if (packs.TryGetValue(packId, out var p) && i > p.LastEntryIndex)
                    packs[packId] = p with { Status = Service.Pack.Active, ActivatedAt = entry.Str("at"), LastEntryIndex = i };
                break;
            case AttestationEntries.AttestationType:
                if (priv.OptStr("pack_id") is { } pid && packs.TryGetValue(Guid.Parse(pid), out var pack) && i > pack.LastCountedIndex)
                    packs[pack.Id] = pack with { VerificationsCount = pack.VerificationsCount + 1, LastCountedIndex = i };
                break;
        }
    }

    private void ApplyKeyEvent(long i, JsonElement entry, JsonElement priv)
    {
        string kid = entry.Str("kid");
        string at = entry.Str("at");
        switch (entry.Str("event"))
        {
            case "created" or "rotated":
                keys.TryAdd(kid, new IssuerKey(kid, entry.Guid("issuer_id"), entry.Str("alg"), entry.Str("public_key"), IssuerKey.Active, at,
                    null, null, null, priv.Str("encrypted_seed"), i, i));
                if (entry.OptStr("rotated_from") is { } old && keys.TryGetValue(old, out var previous) && i > previous.LastEntryIndex)
                    keys[old] = previous with { Status = IssuerKey.Rotated, RotatedAt = at, ReplacedBy = kid, LastEntryIndex = i, RotatedEntryIndex = i };
                break;
            case "compromised":
                if (keys.TryGetValue(kid, out var k) && i > k.LastEntryIndex)
                    keys[kid] = k with { Status = IssuerKey.Compromised, CompromisedAt = entry.Str("compromised_at"), LastEntryIndex = i };
                break;
        }
    }

    /// <summary>Writes the whole registry, stamped with the log index it covers, atomically.</summary>
    public void Save(string path, long appliedUpTo)
    {
        var snapshot = new Snapshot(appliedUpTo, [.. issuers.Values], [.. keys.Values], [.. apiKeys.Values], [.. packs.Values]);
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
        registry.AppliedUpTo = s.AppliedUpTo;
        return registry;
    }

    private sealed record Snapshot(long AppliedUpTo, Issuer[] Issuers, IssuerKey[] Keys, ApiKeyRecord[] ApiKeys, Pack[] Packs);
}

/// <summary>Terse typed reads of our own (already validated) entry JSON.</summary>
internal static class EntryJson
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static string? OptStr(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static Guid Guid(this JsonElement e, string name) => System.Guid.Parse(e.Str(name));
}
