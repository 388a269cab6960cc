using System.Text.Json;
using Attest.LogServer.Api;
using Attest.LogServer.Scitt;
using Attest.LogServer.Service;

namespace Attest.LogServer.Commands;

// Issuers, their signing keys, API keys and verification packs (README "HTTP API", the authenticated table;
// attest.v1.Issuers in proto/attest/v1/issuers.proto for the issuer and key operations).

/// <summary><c>POST /v1/issuers</c> <c>{"name"}</c>; <c>CreateIssuer</c>.</summary>
public sealed record CreateIssuerCommand(string Name)
{
    public static CreateIssuerCommand FromJson(JsonElement body, LimitOptions limits) => Validate(new RequestFields(body, "name").String("name"), limits);

    public static CreateIssuerCommand FromProto(V1.CreateIssuerRequest r, LimitOptions limits) => Validate(Field.Present(r.Name), limits);

    public static CreateIssuerCommand Validate(string? name, LimitOptions limits) => new(Names.Name(name, limits));
}

/// <summary>
/// <c>POST /v1/issuers/{id}/keys</c> <c>{"kid"}</c>; <c>CreateKey</c>: a new Ed25519 key for the issuer, which the
/// server holds. With <c>{"kid", "alg", "jwk"}</c> the issuer holds the key and sends its public JWK (<see cref="Held"/>).
/// </summary>
public sealed record CreateKeyCommand(Guid IssuerId, string Kid, IssuerPublicKey? Held = null)
{
    public static CreateKeyCommand FromJson(string issuerId, JsonElement body, LimitOptions limits)
    {
        var f = new RequestFields(body, "kid", "alg", "jwk");
        var command = Validate(issuerId, f.String("kid"), limits);
        return command with { Held = HeldKey.FromJson(f.String("alg"), f.Object("jwk"), command.Kid) };
    }

    public static CreateKeyCommand FromProto(V1.CreateKeyRequest r, LimitOptions limits)
    {
        var command = Validate(r.IssuerId, Field.Present(r.Kid), limits);
        return command with { Held = HeldKey.FromProto(r.Alg, r.Jwk, command.Kid) };
    }

    public static CreateKeyCommand Validate(string issuerId, string? kid, LimitOptions limits) =>
        new(Field.Id(issuerId, "issuer"), Field.Kid(Field.Required(kid, "kid", int.MaxValue), limits));
}

/// <summary>
/// <c>POST /v1/issuers/keys/{kid}/rotate</c> <c>{"new_kid"}</c>; <c>RotateKey</c>. With <c>"alg"</c> and <c>"jwk"</c>
/// the new key is one the issuer holds (<see cref="Held"/>).
/// </summary>
public sealed record RotateKeyCommand(string Kid, string NewKid, IssuerPublicKey? Held = null)
{
    public static RotateKeyCommand FromJson(string kid, JsonElement body, LimitOptions limits)
    {
        var f = new RequestFields(body, "new_kid", "alg", "jwk");
        var command = Validate(kid, f.String("new_kid"), limits);
        return command with { Held = HeldKey.FromJson(f.String("alg"), f.Object("jwk"), command.NewKid) };
    }

    public static RotateKeyCommand FromProto(V1.RotateKeyRequest r, LimitOptions limits)
    {
        var command = Validate(r.Kid, Field.Present(r.NewKid), limits);
        return command with { Held = HeldKey.FromProto(r.Alg, r.Jwk, command.NewKid) };
    }

    public static RotateKeyCommand Validate(string kid, string? newKid, LimitOptions limits) =>
        new(Field.Kid(kid, limits), Field.Kid(Field.Required(newKid, "new_kid", int.MaxValue), limits));
}

/// <summary>The <c>alg</c> and <c>jwk</c> of an issuer-held key, both or neither (neither: the server makes and holds an Ed25519 key).</summary>
internal static class HeldKey
{
    /// <summary>A JWK of P-256 or Ed25519 is under 300 bytes; the gRPC field is capped before it is parsed.</summary>
    private const int MaxJwkLength = 1024;

    public static IssuerPublicKey? FromJson(string? alg, JsonElement? jwk, string kid) => (alg, jwk) switch
    {
        (null, null) => null,
        (null, _) => throw DomainError.Invalid("missing_field", "\"alg\" is required with \"jwk\""),
        (_, null) => throw DomainError.Invalid("missing_field", "\"jwk\" is required with \"alg\""),
        ({ } a, { } j) => IssuerJwk.Parse(a, j, kid),
    };

    public static IssuerPublicKey? FromProto(string alg, string jwk, string kid)
    {
        if (jwk.Length == 0) return FromJson(Field.Present(alg), null, kid);
        if (jwk.Length > MaxJwkLength) throw DomainError.Invalid("invalid_jwk", $"\"jwk\" is longer than {MaxJwkLength} characters");
        try
        {
            using var doc = JsonDocument.Parse(jwk, new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false });
            return FromJson(Field.Present(alg), doc.RootElement.Clone(), kid);
        }
        catch (JsonException)
        {
            throw DomainError.Invalid("invalid_jwk", "\"jwk\" must be the JSON text of a JWK object");
        }
    }
}

/// <summary><c>POST /v1/issuers/keys/{kid}/compromise</c> <c>{"compromised_at"?}</c>; <c>CompromiseKey</c>. No time: now.</summary>
public sealed record CompromiseKeyCommand(string Kid, DateTimeOffset? CompromisedAt)
{
    public static CompromiseKeyCommand FromJson(string kid, JsonElement body, LimitOptions limits) =>
        Validate(kid, new RequestFields(body, "compromised_at").String("compromised_at"), limits);

    public static CompromiseKeyCommand FromProto(V1.CompromiseKeyRequest r, LimitOptions limits) => Validate(r.Kid, Field.Present(r.CompromisedAt), limits);

    public static CompromiseKeyCommand Validate(string kid, string? compromisedAt, LimitOptions limits) =>
        new(Field.Kid(kid, limits), Field.Time(compromisedAt, "compromised_at"));
}

/// <summary>
/// <c>GET /v1/issuers/{id}/keys?limit=&amp;cursor=</c>; <c>ListKeys</c> with <c>page_size</c> and <c>page_token</c>
/// (AIP-158: 0 is the default, above the maximum is the maximum).
/// </summary>
public sealed record ListKeysQuery(Guid IssuerId, PageRequest Page)
{
    public static ListKeysQuery FromQuery(string issuerId, HttpRequest request) => new(Field.Id(issuerId, "issuer"), Paging.FromQuery(request));

    public static ListKeysQuery FromProto(V1.ListKeysRequest r)
    {
        var issuerId = Field.Id(r.IssuerId, "issuer");
        if (r.PageSize < 0) throw DomainError.Invalid("parameter_out_of_range", "page_size must not be negative");
        return new(issuerId, PageRequest.Of(Field.Present(r.PageToken), r.PageSize == 0 ? null : Math.Min(r.PageSize, PageRequest.MaxLimit)));
    }
}

/// <summary>
/// <c>POST /v1/api-keys</c> <c>{issuer_id, name, expires_at?, credits?}</c> (admin). With <c>credits</c> (0 to
/// <see cref="CreditOptions.MaxGrant"/>) the key has a balance its writes are charged to; without, it is unlimited.
/// </summary>
public sealed record CreateApiKeyCommand(Guid IssuerId, string Name, DateTimeOffset? ExpiresAt, long? Credits = null)
{
    public static CreateApiKeyCommand FromJson(JsonElement body, LimitOptions limits, CreditOptions credits)
    {
        var f = new RequestFields(body, "issuer_id", "name", "expires_at", "credits");
        return new(Field.Id(Field.Required(f.String("issuer_id"), "issuer_id", 36), "issuer"), Names.Name(f.String("name"), limits),
            Field.Time(f.String("expires_at"), "expires_at"), f.Long("credits") is { } n ? Field.Credits(n, "credits", 0, credits) : null);
    }
}

/// <summary><c>POST /v1/api-keys/{id}/credits</c> <c>{"amount"}</c> (admin): 1 to <see cref="CreditOptions.MaxGrant"/> credits more.</summary>
public sealed record AddCreditsCommand(Guid ApiKeyId, long Amount)
{
    public static AddCreditsCommand FromJson(string id, JsonElement body, CreditOptions credits)
    {
        var apiKeyId = Field.Id(id, "API key");
        var amount = new RequestFields(body, "amount").Long("amount") ?? throw DomainError.Invalid("missing_field", "\"amount\" is required");
        return new(apiKeyId, Field.Credits(amount, "amount", 1, credits));
    }
}

/// <summary><c>POST /v1/attestation-packs</c> <c>{issuer_id, name, description?}</c>: a draft pack.</summary>
public sealed record CreatePackCommand(Guid IssuerId, string Name, string? Description)
{
    public static CreatePackCommand FromJson(JsonElement body, LimitOptions limits)
    {
        var f = new RequestFields(body, "issuer_id", "name", "description");
        return new(Field.Id(Field.Required(f.String("issuer_id"), "issuer_id", 36), "issuer"), Names.Name(f.String("name"), limits),
            Field.Optional(f.String("description"), "description", limits.MaxDescriptionLength, nameof(limits.MaxDescriptionLength)));
    }
}

/// <summary>The names of issuers, API keys and packs: required, within <see cref="LimitOptions.MaxNameLength"/>, no control characters.</summary>
internal static class Names
{
    public static string Name(string? name, LimitOptions limits) =>
        Field.Text(Field.Required(name, "name", limits.MaxNameLength, nameof(limits.MaxNameLength)), "name");
}
