using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Api;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.LogServer.Service;

public record AttestationView(
    Guid Id, Guid IssuerId, string Kid, string Schema, string Status, long LogIndex, string CreatedAt,
    JsonElement Payload, string Signature, string? DocumentHash, string ContentType, Guid? PackId,
    Guid? Supersedes, Guid? SupersededByAttestationId, string? RevokedAt, string? RevocationReason, long? RevocationLogIndex)
{
    /// <summary>
    /// Set only in the answer of the mint or supersede that created the attestation (see <see cref="Service.HolderToken"/>);
    /// null on every read and on a retry of that mint, as only its hash is kept.
    /// </summary>
    public string? HolderToken { get; init; }

    /// <summary>The stored SHA-256 (hex) of the holder token, for <see cref="Reader.Entitled"/>; never in a response.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? HolderTokenSha256 { get; init; }
}

/// <summary>
/// The answer of a mint or supersession by an API key with a credit balance: what it cost (0 for a retry) and the key's
/// logged balance once it was acknowledged. A type of its own, so that the answers of other keys carry no credit
/// fields and cost nothing more to make.
/// </summary>
public sealed record ChargedAttestationView : AttestationView
{
    public ChargedAttestationView(AttestationView view, long creditsCharged, long apiCreditsRemaining) : base(view)
    {
        CreditsCharged = creditsCharged;
        ApiCreditsRemaining = apiCreditsRemaining;
    }

    public long CreditsCharged { get; }

    public long ApiCreditsRemaining { get; }
}

/// <summary>
/// Mint, read, revoke and supersede attestations. The signed payload is the RFC 8785 (JCS) form of
/// <c>{type, id, issuer_id, kid, alg, schema, claims, salt, document_hash, content_type, created_at[, supersedes]}</c>,
/// signed with the issuer key (Ed25519, signature base64url). The log entry holds only ids, the key id, the schema,
/// the payload's SHA-256 and the signature; claims, the payload (with its salt), the recipient's e-mail and the holder
/// token's hash stay in the entry's private data, readable only as <see cref="Reader.Entitled"/> allows.
/// </summary>
public sealed class AttestationService(
    Registry registry, IIndexStore index, TransparencyLog log, LogWriter writer, Idempotency idempotency, KeyVault vault, BlobStore blobs, TimeProvider time,
    KeyGates gates, IssuerQuotas quotas, CreditOptions costs, Mail.MailDelivery mail)
{
    public const string Valid = "VALID", Revoked = "REVOKED", Superseded = "SUPERSEDED";
    private readonly ConcurrentDictionary<string, Ed25519PrivateKey> signers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim lifecycle = new(1, 1);

    public async Task<AttestationView> Mint(Principal caller, MintCommand request, string idempotencyKey, CancellationToken token)
    {
        caller.RequireIssuer(request.IssuerId);
        // A retry of a mint that succeeded returns it even if its key or pack has changed since: checks guard new appends only.
        AttestationView? minted = null;
        long i = await idempotency.Run(caller.Scope, idempotencyKey, request.Digest("mint"), async idem =>
        {
            // Inside the key's gate from the state check until the entry is acknowledged (see KeyGates).
            var gate = EnterKeyGate(request.Kid);
            try
            {
                CheckMint(caller, request);
                (var index, minted) = await Append(caller.Credits, request, null, idem);
                return index;
            }
            finally
            {
                gate.Leave();
            }
        }, token);
        if (request.RecipientEmail is not null) mail.Wake();
        // A new attestation is answered from what was just appended; only a retry reads the log.
        return minted ?? Replayed(await Get(i, token), caller);
    }

    /// <summary>A new attestation replacing a VALID one, which becomes SUPERSEDED (one log entry does both).</summary>
    public async Task<AttestationView> Supersede(Principal caller, SupersedeCommand command, string idempotencyKey, CancellationToken token)
    {
        var (oldId, request) = command;
        var old = await Find(oldId, token);
        caller.RequireIssuer(old.IssuerId);
        if (request.IssuerId != old.IssuerId) throw DomainError.Invalid("issuer_mismatch", "a superseding attestation must come from the same issuer");
        AttestationView? created = null;
        long i = await idempotency.Run(caller.Scope, idempotencyKey, command.Digest(), async idem =>
        {
            var gate = EnterKeyGate(request.Kid);
            try
            {
                CheckMint(caller, request);
                await lifecycle.WaitAsync(token);
                try
                {
                    var current = await Find(oldId, token);
                    if (current.Status != Valid) throw DomainError.FailedPrecondition("not_valid", $"attestation {oldId} is {current.Status}; only a VALID attestation can be superseded");
                    (var index, created) = await Append(caller.Credits, request, oldId, idem);
                    return index;
                }
                finally
                {
                    lifecycle.Release();
                }
            }
            finally
            {
                gate.Leave();
            }
        }, token);
        if (request.RecipientEmail is not null) mail.Wake();
        // Read back (the old one's state changed with it), keeping the token that only this answer can carry.
        var superseding = await Get(i, token) with { HolderToken = created?.HolderToken };
        return created switch
        {
            ChargedAttestationView charged => new ChargedAttestationView(superseding, charged.CreditsCharged, charged.ApiCreditsRemaining),
            null => Replayed(superseding, caller),
            _ => superseding,
        };
    }

    /// <summary>A retry answers what the first request appended and costs nothing again; a key with a balance is told what it has left.</summary>
    private static AttestationView Replayed(AttestationView view, Principal caller) =>
        caller.Credits is { } account ? new ChargedAttestationView(view, 0, account.Remaining) : view;

    /// <summary>Irreversible: a <c>revocation/v1</c> entry; the reason stays private.</summary>
    public async Task<AttestationView> Revoke(Principal caller, RevokeCommand command, CancellationToken token)
    {
        var (id, reason) = command;
        var attestation = await Find(id, token);
        caller.RequireIssuer(attestation.IssuerId);
        await lifecycle.WaitAsync(token);
        try
        {
            attestation = await Find(id, token);
            if (attestation.Status == Revoked) throw DomainError.FailedPrecondition("already_revoked", $"attestation {id} is already revoked");
            var priv = reason is null ? null : new JsonObject { ["reason"] = reason };
            await writer.Append(new RevocationEntry(id, attestation.IssuerId, Now()).Encode(), priv);
        }
        finally
        {
            lifecycle.Release();
        }
        return await Find(id, token);
    }

    /// <summary>The full view, for those <see cref="Reader.Entitled"/> to it: 401 with neither key nor token, else 403.</summary>
    public async Task<AttestationView> Get(Reader reader, Guid id, CancellationToken token)
    {
        if (reader.IsAnonymous)
            throw new DomainError(ErrorKind.Unauthenticated, "missing_api_key", "send the issuer's API key (\"Authorization: Bearer <key>\") or the attestation's holder token (X-Holder-Token)");
        var attestation = await Find(id, token);
        if (!reader.Entitled(attestation)) throw new DomainError(ErrorKind.PermissionDenied, "forbidden", "neither this API key nor this holder token may read that attestation");
        return attestation;
    }

    public async Task<AttestationView> Find(Guid id, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.AttestationKey(id), out AttestationState state)) throw DomainError.NotFound($"no attestation with id {id}");
        return await View(state, token);
    }

    private async Task<AttestationView> Get(long entryIndex, CancellationToken token) =>
        await Find(AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(entryIndex, token))).Id, token);

    private async Task<AttestationView> View(AttestationState state, CancellationToken token)
    {
        var record = await log.ReadRecordAsync(state.EntryIndex, token);
        var e = AttestationEntry.Parse(LogRecord.Entry(record));
        using var privDoc = JsonDocument.Parse(LogRecord.Private(record).ToArray());
        var p = privDoc.RootElement;
        using var payloadDoc = JsonDocument.Parse(p.Str("payload"));
        var payload = payloadDoc.RootElement;
        string? revokedAt = null, reason = null;
        if (state.RevocationIndex is { } r)
        {
            var revocation = await log.ReadRecordAsync(r, token);
            revokedAt = RevocationEntry.Parse(LogRecord.Entry(revocation)).RevokedAt;
            reason = PrivateOf(revocation).OptStr("reason");
        }
        Guid? supersededBy = state.SupersededByIndex is { } s
            ? AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(s, token))).Id : null;
        return new AttestationView(
            e.Id, e.IssuerId, e.Kid, e.Schema,
            state.RevocationIndex is not null ? Revoked : state.SupersededByIndex is not null ? Superseded : Valid,
            state.EntryIndex, e.CreatedAt, payload.Clone(), e.Signature, payload.OptStr("document_hash"), payload.Str("content_type"),
            p.OptStr("pack_id") is { } pack ? Guid.Parse(pack) : null,
            e.Supersedes, supersededBy, revokedAt, reason, state.RevocationIndex)
        {
            HolderTokenSha256 = p.OptStr("holder_token_sha256"),
        };
    }

    // Gates exist only for keys that exist: a stream of mints naming made-up kids must not grow the gates without bound.
    private KeyGates.Gate EnterKeyGate(string kid) =>
        registry.Key(kid) is null ? throw DomainError.NotFound($"no key with kid \"{kid}\"")
        : gates.TryEnter(kid, out var gate) ? gate
        : throw DomainError.FailedPrecondition("key_not_active", $"key \"{kid}\" is being rotated or marked compromised and signs nothing more");

    private void CheckMint(Principal caller, MintCommand request)
    {
        caller.RequireIssuer(request.IssuerId);
        if (request.RecipientEmail is not null) mail.RequireEnabled();
        if (registry.Issuer(request.IssuerId) is null) throw DomainError.NotFound($"no issuer with id {request.IssuerId}");
        var key = registry.Key(request.Kid) ?? throw DomainError.NotFound($"no key with kid \"{request.Kid}\"");
        if (key.IssuerId != request.IssuerId) throw DomainError.Invalid("kid_not_of_issuer", $"key \"{request.Kid}\" belongs to another issuer");
        if (key.Status != IssuerKey.Active) throw DomainError.FailedPrecondition("key_not_active", $"key \"{request.Kid}\" is {key.Status} and signs nothing more");
        if (key.HeldByIssuer) throw DomainError.FailedPrecondition("key_held_by_issuer", $"key \"{request.Kid}\" is held by its issuer ({key.Alg}): the server cannot sign with it; register statements signed with it at POST /entries");
        if (request.PackId is { } packId)
        {
            var pack = registry.Pack(packId) ?? throw DomainError.NotFound($"no attestation pack with id {packId}");
            if (pack.IssuerId != request.IssuerId) throw DomainError.Invalid("pack_not_of_issuer", "the pack belongs to another issuer");
            if (pack.Status != Pack.Active) throw DomainError.FailedPrecondition("pack_not_active", "the pack is not active");
        }
    }

    private async Task<(long Index, AttestationView View)> Append(CreditAccount? credits, MintCommand request, Guid? supersedes, IdempotencyRecord? idempotencyRecord)
    {
        var id = Guid.CreateVersion7();
        string createdAt = Now();
        // After every other check, so a refused mint costs nothing; given back unless its record is appended (LogWriter).
        var charge = credits?.Reserve(costs.Mint);
        string? documentHash;
        string holderToken;
        bool mailed = request.RecipientEmail is not null;
        byte[] record, jcs;
        string signature;
        try
        {
            // After every other check, so a refused mint counts nothing; before the blob is stored, so an issuer over quota stores nothing.
            if (request.Payload is { } upload) quotas.ReserveBlobBytes(request.IssuerId, upload.Length);
            string? payloadBlob = request.Payload is null ? null : blobs.Put(request.Payload);
            // Seed order: explicit document_hash, else claims.document.sha256, else the SHA-256 of the payload bytes.
            documentHash = request.DocumentHash ?? payloadBlob;
            // A mailed attestation's token is derived from its id and reaches only the mailbox (Mail/HolderLinks.cs).
            holderToken = mailed ? mail.HolderToken(id) : HolderToken.New();
            (record, jcs, signature) = Build(request, id, createdAt, documentHash, payloadBlob, supersedes, idempotencyRecord, holderToken, charge);
        }
        catch
        {
            charge?.Release();
            throw;
        }
        long index = await writer.AppendCharging(record, charge);
        var view = new AttestationView(
            id, request.IssuerId, request.Kid, request.Schema, Valid, index, createdAt, JsonElement.Parse(jcs), signature, documentHash,
            request.ContentType, request.PackId, supersedes, null, null, null, null) { HolderToken = mailed ? null : holderToken };
        // The charge is not kept across the append: a key without a balance then costs this method nothing more than before.
        return (index, credits is null ? view : new ChargedAttestationView(view, costs.Mint, credits.Remaining));
    }

    // Per-thread buffers for Build, which is synchronous, so two mints never share one. Fresh buffers grew to several KB
    // per mint: Utf8JsonWriter asks room for the worst-case escaping of the payload string (docs/PERFORMANCE.md,
    // "A mint's own work").
    [ThreadStatic] private static ArrayBufferWriter<byte>? payloadScratch, privateScratch;
    [ThreadStatic] private static Utf8JsonWriter? privateWriter;

    /// <summary>The signed payload (JCS), its signature, and the log record (entry and private data) of a mint.</summary>
    private (byte[] Record, byte[] Jcs, string Signature) Build(
        MintCommand request, Guid id, string createdAt, string? documentHash, string? payloadBlob, Guid? supersedes, IdempotencyRecord? idempotencyRecord,
        string holderToken, CreditCharge? charge)
    {
        // 128 random bits per attestation, signed but never logged: the logged payload hash then confirms no guessed claims.
        Span<byte> saltBytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(saltBytes);
        Span<char> salt = stackalloc char[22];
        if (!System.Buffers.Text.Base64Url.TryEncodeToChars(saltBytes, salt, out int saltLength) || saltLength != 22) throw new System.Diagnostics.UnreachableException();
        Span<char> holderTokenSha256 = stackalloc char[64];
        HolderToken.Sha256Hex(holderToken, holderTokenSha256);
        // The signed payload, written in canonical (RFC 8785) member order: it is what the signature covers.
        var payload = Scratch(ref payloadScratch);
        var members = new Jcs.ObjectWriter(payload)
            .String("alg", "Ed25519").Canonical("claims", request.ClaimsJcs).String("content_type", request.ContentType).String("created_at", createdAt);
        if (documentHash is not null) members.String("document_hash", documentHash);
        members.String("id", id.ToString()).String("issuer_id", request.IssuerId.ToString()).String("kid", request.Kid)
            .String("salt", new string(salt)).String("schema", request.Schema);
        if (supersedes is { } old) members.String("supersedes", old.ToString());
        members.String("type", AttestationEntry.Type).End();
        var jcs = payload.WrittenSpan.ToArray();
        string signature = Secrets.Base64Url(Signer(request.Kid).Sign(jcs));
        var entry = new AttestationEntry(id, request.IssuerId, request.Kid, request.Schema, new Hash(Sha256.Hash(jcs)), signature, createdAt, supersedes).Encode();
        // Written directly rather than as a JsonObject for LogWriter.Record: this is the one writer on the hot path.
        var priv = Scratch(ref privateScratch);
        var w = privateWriter ??= new Utf8JsonWriter(priv, LogWriter.PrivateJson);
        w.Reset(priv);
        w.WriteStartObject();
        w.WriteString("payload", jcs);
        w.WriteString("holder_token_sha256", holderTokenSha256);
        if (documentHash is not null) w.WriteString("document_hash", documentHash);
        if (payloadBlob is not null) w.WriteString("payload_blob", payloadBlob);
        if (request.RecipientEmail is not null)
        {
            w.WriteString("recipient_email", request.RecipientEmail);
            w.WriteString("mail_inbox", mail.InboxOf(request.RecipientEmail));
        }
        if (request.PackId is { } pack) w.WriteString("pack_id", pack.ToString());
        if (idempotencyRecord is not null)
        {
            w.WritePropertyName("idempotency");
            idempotencyRecord.WriteTo(w);
        }
        if (charge is not null)
        {
            w.WritePropertyName("charge");
            charge.WriteTo(w);
        }
        w.WriteEndObject();
        w.Flush();
        var record = LogRecord.Encode(entry, priv.WrittenSpan);
        // A mint with large claims leaves its thread a large buffer: let the collector have it back.
        if (payload.Capacity > MaxScratch) payloadScratch = null;
        if (priv.Capacity > MaxScratch) (privateScratch, privateWriter) = (null, null);
        return (record, jcs, signature);
    }

    private const int MaxScratch = 64 * 1024;

    private static ArrayBufferWriter<byte> Scratch(ref ArrayBufferWriter<byte>? buffer)
    {
        buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        return buffer;
    }

    private Ed25519PrivateKey Signer(string kid) => signers.GetOrAdd(kid, k =>
    {
        var seed = vault.Open(registry.Key(k)!.EncryptedSeed, k);
        try { return Ed25519PrivateKey.FromSeed(seed); }
        finally { CryptographicOperations.ZeroMemory(seed); }
    });

    public static JsonElement PrivateOf(byte[] record)
    {
        var priv = LogRecord.Private(record);
        if (priv.IsEmpty) return default;
        using var doc = JsonDocument.Parse(priv.ToArray());
        return doc.RootElement.Clone();
    }

    private string Now() => StampService.Timestamp(time.GetUtcNow());
}
