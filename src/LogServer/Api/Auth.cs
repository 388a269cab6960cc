using System.Security.Cryptography;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// API keys in <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key: &lt;key&gt;</c>. Only hashes of keys are held.
/// </summary>
public sealed class Auth(byte[] adminKeyHash)
{
    /// <summary>The caller's scope (used to keep idempotency keys apart), or a 401.</summary>
    public string Require(HttpRequest request)
    {
        string? key = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization.Length == 7)
                throw new ApiError(401, "invalid_api_key", "the Authorization header must be \"Bearer <key>\"");
            key = authorization[7..];
        }
        else if (request.Headers.TryGetValue("X-API-Key", out var x))
        {
            key = x.ToString();
        }
        if (string.IsNullOrEmpty(key)) throw new ApiError(401, "missing_api_key", "send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"");
        if (!CryptographicOperations.FixedTimeEquals(Secrets.HashKey(key), adminKeyHash))
            throw new ApiError(401, "invalid_api_key", "the API key is wrong or revoked");
        return "admin";
    }
}
