using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// The <see cref="Reader"/> of a request to read an attestation, REST or gRPC alike: its API key if it sent one, and a
/// holder token from the <c>X-Holder-Token</c> header (gRPC metadata <c>x-holder-token</c>) or the <c>holder_token</c>
/// query parameter (so an issuer can e-mail a link).
/// </summary>
public static class AttestationReader
{
    public const string Header = "X-Holder-Token", Query = "holder_token";

    /// <summary>The reader of a request that passed <see cref="AuthPolicies.Reader"/> or <see cref="AuthPolicies.KeyIfAny"/>: a sent key is valid.</summary>
    public static Reader From(HttpContext context) => new(Principal.Of(context.User), Token(context.Request));

    private static string? Token(HttpRequest request)
    {
        string? header = Single(request.Headers.TryGetValue(Header, out var h) ? h : default);
        string? query = Single(request.Query.TryGetValue(Query, out var q) ? q : default);
        if (header is not null && query is not null && header != query)
            throw DomainError.Invalid("invalid_holder_token", "send one holder token, as X-Holder-Token or as ?holder_token=, not two different ones");
        string? token = header ?? query;
        if (token is { Length: 0 or > HolderToken.MaxLength })
            throw DomainError.Invalid("invalid_holder_token", $"a holder token is 1 to {HolderToken.MaxLength} characters");
        return token;
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count switch
    {
        0 => null,
        1 => values[0],
        _ => throw DomainError.Invalid("invalid_holder_token", "send the holder token once"),
    };
}
