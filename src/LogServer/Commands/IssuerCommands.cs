using System.Text.Json;
using Attest.LogServer.Api;
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

/// <summary><c>POST /v1/issuers/{id}/keys</c> <c>{"kid"}</c>; <c>CreateKey</c>: a new Ed25519 key for the issuer.</summary>
public sealed record CreateKeyCommand(Guid IssuerId, string Kid)
{
    public static CreateKeyCommand FromJson(string issuerId, JsonElement body, LimitOptions limits) =>
        Validate(issuerId, new RequestFields(body, "kid").String("kid"), limits);

    public static CreateKeyCommand FromProto(V1.CreateKeyRequest r, LimitOptions limits) => Validate(r.IssuerId, Field.Present(r.Kid), limits);

    public static CreateKeyCommand Validate(string issuerId, string? kid, LimitOptions limits) =>
        new(Field.Id(issuerId, "issuer"), Field.Kid(Field.Required(kid, "kid", int.MaxValue), limits));
}

/// <summary><c>POST /v1/issuers/keys/{kid}/rotate</c> <c>{"new_kid"}</c>; <c>RotateKey</c>.</summary>
public sealed record RotateKeyCommand(string Kid, string NewKid)
{
    public static RotateKeyCommand FromJson(string kid, JsonElement body, LimitOptions limits) =>
        Validate(kid, new RequestFields(body, "new_kid").String("new_kid"), limits);

    public static RotateKeyCommand FromProto(V1.RotateKeyRequest r, LimitOptions limits) => Validate(r.Kid, Field.Present(r.NewKid), limits);

    public static RotateKeyCommand Validate(string kid, string? newKid, LimitOptions limits) =>
        new(Field.Kid(kid, limits), Field.Kid(Field.Required(newKid, "new_kid", int.MaxValue), limits));
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
