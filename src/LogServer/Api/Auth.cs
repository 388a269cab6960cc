using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Attest.LogServer.Service;
using Attest.Merkle;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Attest.LogServer.Api;

/// <summary>
/// Who is calling, as services see it: the admin (acts for every issuer) or an API key of one issuer. The typed view of
/// the <see cref="ClaimsPrincipal"/> that <see cref="ApiKeyAuthentication"/> puts on the request.
/// </summary>
public sealed record Principal(bool IsAdmin, Guid? IssuerId, string Scope)
{
    public static readonly Principal Admin = new(true, null, "admin");

    /// <summary>The credit balance its writes are charged to; null for the admin and a key without one (unlimited).</summary>
    public CreditAccount? Credits { get; init; }

    /// <summary>The one rule of issuer scope: the admin acts for every issuer, an API key for its own.</summary>
    public bool ActsFor(Guid issuerId) => IsAdmin || IssuerId == issuerId;

    public void RequireAdmin()
    {
        if (!IsAdmin) throw new DomainError(ErrorKind.PermissionDenied, "forbidden", AuthPolicies.NeedsAdmin);
    }

    public void RequireIssuer(Guid issuerId)
    {
        if (!ActsFor(issuerId)) throw new DomainError(ErrorKind.PermissionDenied, "forbidden", AuthPolicies.WrongIssuer);
    }

    /// <summary>The caller of an authenticated request; null when it sent no API key.</summary>
    public static Principal? Of(ClaimsPrincipal user) => (user.Identity as ApiKeyIdentity)?.Principal;

    /// <summary>
    /// Binds an endpoint's <c>Principal caller</c> parameter (minimal APIs call a static <c>BindAsync</c>) to the
    /// authenticated caller. Only endpoints whose policy requires an API key take one, so it is never null there.
    /// </summary>
    public static ValueTask<Principal?> BindAsync(HttpContext context) => ValueTask.FromResult(Of(context.User));
}

/// <summary>The identity of a checked API key, holding its <see cref="Principal"/> so that no request rebuilds it from claims.</summary>
public sealed class ApiKeyIdentity : ClaimsIdentity
{
    public const string IssuerClaim = "issuer_id";

    public ApiKeyIdentity(Principal principal)
        : base(ClaimsOf(principal), ApiKeyAuthentication.SchemeName, ClaimTypes.NameIdentifier, ClaimTypes.Role) => Principal = principal;

    public Principal Principal { get; }

    private static IEnumerable<Claim> ClaimsOf(Principal p)
    {
        yield return new Claim(ClaimTypes.NameIdentifier, p.Scope);
        if (p.IsAdmin) yield return new Claim(ClaimTypes.Role, AuthPolicies.Admin);
        if (p.IssuerId is { } issuer) yield return new Claim(IssuerClaim, issuer.ToString());
    }
}

/// <summary>
/// API keys in <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key: &lt;key&gt;</c> (gRPC metadata arrives as the
/// same HTTP/2 headers). Only SHA-256 hashes of keys are held: the admin key's, compared in constant time, and each
/// issuer API key's (in the registry, from its <c>api-key/v1</c> entry).
/// </summary>
/// <remarks>
/// A checked key's result is kept by the key's hash, so a mint pays one SHA-256 and two dictionary lookups here. The
/// kept result is tied to the registry record it was made from: revocation replaces the record, so the next request
/// with that key finds a different record, drops the result and is refused; expiry is compared on every request.
/// </remarks>
public sealed class ApiKeys(byte[] adminKeyHash, Registry registry, TimeProvider time)
{
    /// <summary>Longer keys are refused unhashed; the server's own are 47 characters.</summary>
    public const int MaxKeyLength = 256;

    private static readonly AuthenticateResult AdminResult = Success(Principal.Admin);
    private readonly ConcurrentDictionary<Hash, Checked> checkedKeys = new();

    public AuthenticateResult Authenticate(IHeaderDictionary headers)
    {
        if (!TryFind(headers, out string? key, out var refusal)) return refusal!;
        if (key is null) return AuthenticateResult.NoResult();
        if (key.Length == 0) return Fail("missing_api_key", "the API key is empty");
        if (key.Length > MaxKeyLength) return Fail("invalid_api_key", $"an API key is at most {MaxKeyLength} characters");

        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        Span<byte> digest = stackalloc byte[Hash.Size];
        Sha256.Hash(utf8[..System.Text.Encoding.UTF8.GetBytes(key, utf8)], digest);
        if (CryptographicOperations.FixedTimeEquals(digest, adminKeyHash)) return AdminResult;
        var hash = new Hash(digest);
        if (checkedKeys.TryGetValue(hash, out var known))
        {
            var current = registry.ApiKey(known.Record.Id);
            if (ReferenceEquals(current, known.Record) && (known.ExpiresAt is not { } expiry || expiry > time.GetUtcNow())) return known.Result;
            checkedKeys.TryRemove(hash, out _);
        }
        var record = registry.ApiKeyByHash(hash.ToHex());
        DateTimeOffset? expires = record?.ExpiresAt is { } exp ? DateTimeOffset.Parse(exp, CultureInfo.InvariantCulture) : null;
        if (record is null || record.RevokedAt is not null || expires <= time.GetUtcNow())
            return Fail("invalid_api_key", "the API key is wrong, expired or revoked");
        var result = Success(new Principal(false, record.IssuerId, "api-key:" + record.Id) { Credits = registry.Credits(record.Id) });
        checkedKeys[hash] = new Checked(record, expires, result);
        return result;
    }

    /// <summary>
    /// The key a request presents: null when it sends neither header. A header sent twice, a malformed Authorization,
    /// or two headers naming different keys is refused: which of two credentials counts is never guessed.
    /// </summary>
    private static bool TryFind(IHeaderDictionary headers, out string? key, out AuthenticateResult? refusal)
    {
        key = null;
        refusal = null;
        StringValues authorization = headers.Authorization, apiKey = headers["X-API-Key"];
        if (authorization.Count > 1 || apiKey.Count > 1)
        {
            refusal = Fail("invalid_api_key", "send one API key, once");
            return false;
        }
        if (authorization.Count == 1)
        {
            // RFC 9110 §11.1: the scheme is case-insensitive; one space, then the key (RFC 6750 §2.1).
            string value = authorization[0]!;
            if (value.Length <= 7 || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                refusal = Fail("invalid_api_key", "the Authorization header must be \"Bearer <key>\"");
                return false;
            }
            key = value[7..];
        }
        if (apiKey.Count == 1)
        {
            if (key is not null && key != apiKey[0])
            {
                refusal = Fail("invalid_api_key", "the Authorization and X-API-Key headers name different keys; send one");
                return false;
            }
            key = apiKey[0];
        }
        return true;
    }

    private static AuthenticateResult Success(Principal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ApiKeyIdentity(principal)), ApiKeyAuthentication.SchemeName));

    private static AuthenticateResult Fail(string code, string message) => AuthenticateResult.Fail(new DomainError(ErrorKind.Unauthenticated, code, message));

    private sealed record Checked(ApiKeyRecord Record, DateTimeOffset? ExpiresAt, AuthenticateResult Result);
}

/// <summary>
/// The API-key authentication scheme: no key is no result (anonymous); a key that is malformed, wrong, expired or
/// revoked fails with the <see cref="DomainError"/> that a challenge then answers (401 <c>invalid_api_key</c>, or gRPC
/// UNAUTHENTICATED). A public route ignores the key; a route with a policy refuses the request (<see cref="AuthPolicies"/>).
/// </summary>
public sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(keys.Authenticate(Request.Headers));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await ErrorHandling.Refuse(Context, AuthPolicies.Unauthenticated(await HandleAuthenticateOnceSafeAsync()));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandling.Refuse(Context, new DomainError(ErrorKind.PermissionDenied, "forbidden", AuthPolicies.NotAllowed));
}
