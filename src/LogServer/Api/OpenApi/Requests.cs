using System.ComponentModel;

namespace Attest.LogServer.Api.OpenApi;

// The request bodies as the OpenAPI document shows them. Handlers read their bodies by hand into the typed commands
// (Commands/), which validate them; these types only describe those fields, named as on the wire. A field a command
// adds takes a line here; an optional one has a default (null), which is what makes it optional in the document.

/// <summary>Stamp content or its SHA-256: exactly one of <c>content</c> and <c>content_hash</c>.</summary>
public sealed record StampRequest(
    [property: Description("The content to stamp (UTF-8 text); its SHA-256 is logged. Kept only for a public stamp.")] string? Content = null,
    [property: Description("The SHA-256 of the content, 64 hex digits, instead of the content itself.")] string? ContentHash = null,
    [property: Description("\"hash_only\" (the default), \"public\" (the content is kept and shown) or \"sealed\" (kept, and shown from its reveal on).")] string? Visibility = null,
    [property: Description("A title shown to the stamp's issuer.")] string? DisplayTitle = null,
    [property: Description("Labels for the issuer's own use.")] IReadOnlyList<string>? Tags = null,
    [property: Description("With visibility \"sealed\": the Unix time (seconds) from which the stamp may be revealed, at least Attest:Stamps:MinSealSeconds ahead.")] long? SealedUntil = null,
    [property: Description("\"text\" (the default) or \"url\": the content is an http(s) URL, whose page the server fetches and logs the SHA-256 of when URL snapshots are on.")] string? ContentType = null);

/// <summary>A new issuer.</summary>
public sealed record CreateIssuerRequest([property: Description("The issuer's display name.")] string Name);

/// <summary>A new API key for one issuer; the key itself is shown once, in the answer.</summary>
public sealed record CreateApiKeyRequest(
    [property: Description("The issuer the key acts for.")] Guid IssuerId,
    [property: Description("A name to tell the key apart.")] string Name,
    [property: Description("When the key stops working (RFC 3339); never when absent.")] string? ExpiresAt = null,
    [property: Description("A credit balance the key's writes are paid from (0 to Attest:Credits:MaxGrant); unlimited when absent.")] long? Credits = null);

/// <summary>Credits added to an API key created with a balance (admin).</summary>
public sealed record AddCreditsRequest([property: Description("How many credits to add, 1 to Attest:Credits:MaxGrant.")] long Amount);

/// <summary>
/// A new signing key of the issuer in the path: with <c>kid</c> alone an Ed25519 key the server generates and keeps
/// the private half of; with <c>alg</c> and <c>jwk</c> a key the issuer holds, of which the server takes the public JWK only.
/// </summary>
public sealed record CreateKeyRequest(
    [property: Description("The key id, unique across the log.")] string Kid,
    [property: Description("An issuer-held key's algorithm: \"ES256\" or \"EdDSA\" (with jwk).")] string? Alg = null,
    [property: Description("An issuer-held key's public JWK (RFC 7517): EC P-256 with crv, x, y for ES256; OKP Ed25519 with crv, x for EdDSA. Private members are refused.")] System.Text.Json.Nodes.JsonObject? Jwk = null);

/// <summary>Replaces the key in the path with a new one: server-held, or with <c>alg</c> and <c>jwk</c> one the issuer holds.</summary>
public sealed record RotateKeyRequest(
    [property: Description("The new key's id.")] string NewKid,
    [property: Description("An issuer-held new key's algorithm: \"ES256\" or \"EdDSA\" (with jwk).")] string? Alg = null,
    [property: Description("An issuer-held new key's public JWK (RFC 7517).")] System.Text.Json.Nodes.JsonObject? Jwk = null);

/// <summary>Marks the key in the path compromised since a time: attestations it signed from then on verify as such.</summary>
public sealed record CompromiseKeyRequest(
    [property: Description("Since when the key is compromised (RFC 3339); now when absent.")] string? CompromisedAt = null);

/// <summary>A verification pack (a batch of attestations under one name), created as a draft.</summary>
public sealed record CreatePackRequest(
    [property: Description("The issuer the pack belongs to.")] Guid IssuerId,
    [property: Description("The pack's name.")] string Name,
    [property: Description("What the pack holds.")] string? Description = null);

/// <summary>
/// A mint (the Truthlocks mint body): claims of a catalogue schema, signed with the issuer's key. An
/// <c>Idempotency-Key</c> header is required.
/// </summary>
public sealed record MintRequest(
    [property: Description("The issuer that signs.")] Guid IssuerId,
    [property: Description("The issuer's signing key.")] string Kid,
    [property: Description("\"Ed25519\", the only algorithm.")] string Alg,
    [property: Description("A schema id of GET /v1/schemas.")] string Schema,
    [property: Description("The claims, with the fields the schema lists.")] System.Text.Json.JsonElement Claims,
    [property: Description("Where to send the holder a link; kept private, never logged.")] string? RecipientEmail = null,
    [property: Description("The SHA-256 (hex) of the document attested; from claims.document.sha256 when absent.")] string? DocumentHash = null,
    [property: Description("An active verification pack of the issuer.")] Guid? PackId = null,
    [property: Description("The payload's media type; application/json when absent.")] string? ContentType = null,
    [property: Description("The attested bytes, unpadded base64url; kept private, only their hash is signed.")] string? Payload = null);

/// <summary>Revokes the attestation in the path; the reason stays private.</summary>
public sealed record RevokeRequest([property: Description("Why; shown only to the issuer.")] string? Reason = null);

/// <summary>
/// A verification: exactly one subject (<c>content</c>, <c>content_hash</c>, <c>attestation_id</c>,
/// <c>attestation</c>, <c>bundle</c> or <c>document_hash</c>). A stamp subject answers with the earliest stamp.
/// </summary>
public sealed record VerifyRequest(
    [property: Description("Content whose earliest stamp to find.")] string? Content = null,
    [property: Description("The SHA-256 (hex) of content whose earliest stamp to find.")] string? ContentHash = null,
    [property: Description("An attestation's id.")] Guid? AttestationId = null,
    [property: Description("A signed attestation: {\"payload\": {...}, \"signature\": \"...\"}.")] System.Text.Json.JsonElement? Attestation = null,
    [property: Description("A proof bundle (GET /v1/attestations/{id}/proof-bundle), verified as attest verify --online does.")] System.Text.Json.JsonElement? Bundle = null,
    [property: Description("The SHA-256 (hex) of a document an attestation names.")] string? DocumentHash = null,
    [property: Description("The document itself, unpadded base64url, to compare with the attestation's hash.")] string? Document = null,
    [property: Description("The document's SHA-256 (hex), to compare with the attestation's hash.")] string? DocumentSha256 = null,
    [property: Description("A trust policy file's text, for a bundle; this log's key when absent.")] string? Policy = null);
