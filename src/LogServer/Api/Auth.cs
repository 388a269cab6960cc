using System.Security.Cryptography;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Who is calling: the admin (acts for every issuer) or an API key of one issuer.</summary>
public sealed record Principal(bool IsAdmin, Guid? IssuerId, string Scope)
{
    public static readonly Principal Admin = new(true, null, "admin");

    public void RequireAdmin()
    {
        if (!IsAdmin) throw new DomainError(ErrorKind.PermissionDenied, "forbidden", "this needs the admin key");
    }

    public void RequireIssuer(Guid issuerId)
    {
        if (!IsAdmin && IssuerId != issuerId) throw new DomainError(ErrorKind.PermissionDenied, "forbidden", "this API key cannot act for that issuer");
    }
}

/// <summary>
/// API keys in <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key: &lt;key&gt;</c>. Only SHA-256 hashes of keys are
/// held: the admin key's, and each issuer API key's (in the registry, from its <c>api-key/v1</c> entry).
/// </summary>
public sealed class Auth(byte[] adminKeyHash, Registry registry, RateLimiter limiter, TimeProvider time)
{
    /// <summary>Authenticates the caller and counts the request against its rate limit in <paramref name="bucket"/>.</summary>
    public Principal Require(HttpRequest request, string bucket = "default")
    {
        var caller = Authenticate(request);
        limiter.Take(caller, bucket, request.HttpContext.Response);
        return caller;
    }

    /// <summary>As <see cref="Require"/> when a key is sent (a wrong one is still 401); null, anonymous, when none is.</summary>
    public Principal? Optional(HttpRequest request, string bucket = "default") =>
        request.Headers.ContainsKey("Authorization") || request.Headers.ContainsKey("X-API-Key") ? Require(request, bucket) : null;

    private Principal Authenticate(HttpRequest request)
    {
        string? key = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization.Length == 7)
                throw new DomainError(ErrorKind.Unauthenticated, "invalid_api_key", "the Authorization header must be \"Bearer <key>\"");
            key = authorization[7..];
        }
        else if (request.Headers.TryGetValue("X-API-Key", out var x))
        {
            key = x.ToString();
        }
        if (string.IsNullOrEmpty(key)) throw new DomainError(ErrorKind.Unauthenticated, "missing_api_key", "send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"");
        var hash = Secrets.HashKey(key);
        if (CryptographicOperations.FixedTimeEquals(hash, adminKeyHash)) return Principal.Admin;
        var record = registry.ApiKeyByHash(Convert.ToHexStringLower(hash));
        if (record is null || record.RevokedAt is not null || (record.ExpiresAt is { } exp && DateTimeOffset.Parse(exp) <= time.GetUtcNow()))
            throw new DomainError(ErrorKind.Unauthenticated, "invalid_api_key", "the API key is wrong, expired or revoked");
        return new Principal(false, record.IssuerId, "api-key:" + record.Id);
    }
}
