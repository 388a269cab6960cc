using System.Buffers;
using System.Security.Cryptography;
using Attest.LogServer.Api;

namespace Attest.LogServer.Service;

/// <summary>
/// The holder's key to one attestation: <c>attest_holder_</c> + base64url of 32 random bytes, returned once by the
/// mint or supersede that created the attestation, so an issuer can hand it on (a link with <c>?holder_token=</c>).
/// Only its SHA-256 (hex) is kept, as <c>holder_token_sha256</c> in the attestation's private data: a retry of that
/// mint cannot show it again, and nothing the server writes or logs holds the token itself.
/// </summary>
public static class HolderToken
{
    public const string Prefix = "attest_holder_";

    /// <summary>A presented token longer than this is refused (400) before it is hashed; a real one is 57 characters.</summary>
    public const int MaxLength = 128;

    private const int Length = 57; // the prefix and 43 base64url characters

    // Made on the mint path: the token string is the one allocation.
    public static string New()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        Span<char> token = stackalloc char[Length];
        Prefix.CopyTo(token);
        if (!System.Buffers.Text.Base64Url.TryEncodeToChars(random, token[Prefix.Length..], out int written) || written != Length - Prefix.Length)
            throw new System.Diagnostics.UnreachableException();
        return new string(token);
    }

    /// <summary>Writes the SHA-256 of a token made by <see cref="New"/> as 64 lowercase hex digits into <paramref name="hex"/>.</summary>
    public static void Sha256Hex(string token, Span<char> hex)
    {
        Span<byte> utf8 = stackalloc byte[Length];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..System.Text.Encoding.UTF8.GetBytes(token, utf8)], hash);
        if (!Convert.TryToHexStringLower(hash, hex, out int written) || written != 64) throw new System.Diagnostics.UnreachableException();
    }

    /// <summary>Whether <paramref name="presented"/> is the token whose hash was stored; compared in constant time.</summary>
    public static bool Matches(string? presented, string? storedSha256Hex)
    {
        if (presented is null || storedSha256Hex is not { Length: 64 }) return false;
        Span<byte> stored = stackalloc byte[32];
        if (Convert.FromHexString(storedSha256Hex, stored, out _, out int written) != OperationStatus.Done || written != 32) return false;
        return CryptographicOperations.FixedTimeEquals(Secrets.HashKey(presented), stored);
    }
}

/// <summary>Who asks to read one attestation: the API key's principal (null when no key was sent) and a presented holder token.</summary>
public sealed record Reader(Principal? Caller, string? HolderToken)
{
    /// <summary>
    /// The one rule of who may read an attestation's payload, claims and revocation reason, for REST and gRPC, the
    /// view and the proof bundle alike (docs/SECURITY.md): the issuer's own API keys, the admin key, and the holder
    /// token of that attestation. Everyone else sees only what the public log already shows.
    /// </summary>
    public bool Entitled(AttestationView a) =>
        Caller is { } c && (c.IsAdmin || c.IssuerId == a.IssuerId) || Service.HolderToken.Matches(HolderToken, a.HolderTokenSha256);

    public bool IsAnonymous => Caller is null && HolderToken is null;
}
