using System.Collections.Concurrent;
using Attest.LogServer.Api;
using Attest.LogServer.Entries;
using Attest.LogServer.Service;
using Attest.LogServer.Storage;
using Attest.Verification;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Scitt;

/// <summary>
/// The registration policy (RFC 9943 §6.3, "Registration"; docs/SCITT.md "Registration policy"): what a Signed
/// Statement must satisfy to be appended. Checked in this order, each refusal a <see cref="DomainError"/> with its code:
/// <list type="number">
/// <item>at most <see cref="MaxStatementBytes"/> bytes (413 <c>statement_too_large</c>), and a Signed Statement
/// (<see cref="SignedStatement.Parse"/>; 400 with the parser's code);</item>
/// <item><c>iss</c> is the id of an issuer of this service, lowercase as it writes it (400 <c>unknown_issuer</c>), and the caller acts for it: its
/// API key or the admin key (403 <c>forbidden</c>);</item>
/// <item>the <c>kid</c> is registered (400 <c>unknown_kid</c>) and belongs to <c>iss</c> (400 <c>kid_not_of_issuer</c>);</item>
/// <item>the statement's <c>alg</c> is the key's (400 <c>alg_mismatch</c>): ES256 (-7) for an ES256 key, EdDSA (-8) for an
/// EdDSA key; the server-held Ed25519 keys sign attestations, not statements;</item>
/// <item>the key is active, neither rotated nor compromised (409 <c>key_not_active</c>);</item>
/// <item>the signature verifies under the key over the Sig_structure (RFC 9052 §4.4) (400 <c>invalid_signature</c>).</item>
/// </list>
/// The payload is not read: a large artifact goes in as a hash envelope (draft-ietf-cose-hash-envelope), whose headers
/// are accepted but not needed.
/// </summary>
public static class RegistrationPolicy
{
    /// <summary>The entry log's cap on one entry (a tile's entry bundle gives each a 16-bit length, C2SP tlog-tiles).</summary>
    public const int MaxStatementBytes = LogRecord.MaxEntrySize;

    /// <summary>The parsed statement and the key it is signed with, once every check has passed except the key's state and the signature.</summary>
    public static (SignedStatement Statement, IssuerKey Key) Admit(Principal caller, ReadOnlyMemory<byte> bytes, Registry registry)
    {
        if (bytes.Length > MaxStatementBytes) throw TooLarge();
        SignedStatement statement;
        try
        {
            statement = SignedStatement.Parse(bytes);
        }
        catch (StatementFormatException e)
        {
            throw DomainError.Invalid(e.Code, e.Message);
        }
        // One spelling per issuer, the one the service writes (lowercase): a relying party or monitor matches iss as text.
        if (!Guid.TryParseExact(statement.Issuer, "D", out var issuerId) || statement.Issuer != issuerId.ToString("D") || registry.Issuer(issuerId) is null)
            throw DomainError.Invalid("unknown_issuer", "the CWT iss is not the id of an issuer of this service, as it writes it (lowercase, with hyphens)");
        caller.RequireIssuer(issuerId);
        var key = registry.Key(statement.Kid);
        if (key is null) throw DomainError.Invalid("unknown_kid", "the kid is not a registered key");
        if (key.IssuerId != issuerId) throw DomainError.Invalid("kid_not_of_issuer", "the kid is a key of another issuer than iss");
        string expected = statement.Alg == SignedStatement.Es256 ? KeyEntry.Es256 : KeyEntry.EdDsa;
        if (key.Alg != expected)
            throw DomainError.Invalid("alg_mismatch", $"the statement's alg is {expected} but key \"{key.Kid}\" is {key.Alg}");
        return (statement, key);
    }

    /// <summary>The key's state and the signature: the last checks, for a statement not logged before.</summary>
    public static void Verify(SignedStatement statement, IssuerKey key)
    {
        if (key.Status != IssuerKey.Active) throw DomainError.FailedPrecondition("key_not_active", $"key \"{key.Kid}\" is {key.Status} and signs nothing more");
        if (!SignatureVerifies(statement, key)) throw DomainError.Invalid("invalid_signature", $"the signature does not verify under key \"{key.Kid}\"");
    }

    public static DomainError TooLarge() =>
        DomainError.TooLarge("statement_too_large", $"a Signed Statement is at most {MaxStatementBytes} bytes, a log entry's cap; register a large artifact as a hash envelope (draft-ietf-cose-hash-envelope)");

    /// <summary>
    /// ES256: ECDSA P-256 with SHA-256, the signature the 64-byte <c>r || s</c> (RFC 9053 §2.1). EdDSA: Ed25519 over
    /// the Sig_structure itself (RFC 9053 §2.2, RFC 8032 §5.1.6). Both through the verifier's <see cref="CoseKey"/>.
    /// </summary>
    private static bool SignatureVerifies(SignedStatement statement, IssuerKey key)
    {
        if (statement.Signature.Length != 64) return false;
        if (key.Alg == KeyEntry.EdDsa) return CoseKey.Ed25519Key(Base64Url.Decode(key.PublicKey), null).Verify(statement.ToBeSigned(), statement.Signature.Span);
        // A kid's public key never changes, and importing a P-256 key costs more than verifying with it (OpenSSL checks
        // the point: about 167 µs against 94 µs), so imported keys are kept, a small pool per key because .NET does not
        // promise that one ECDsa verifies on two threads at once.
        var pool = p256.GetOrAdd(key.PublicKey, _ => new ConcurrentBag<CoseKey>());
        if (!pool.TryTake(out var coseKey))
        {
            byte[] publicKey = Base64Url.Decode(key.PublicKey);
            coseKey = CoseKey.P256(publicKey.AsSpan(1, 32), publicKey.AsSpan(33, 32), null);
        }
        bool verifies = coseKey.Verify(statement.ToBeSigned(), statement.Signature.Span);
        if (p256.Count > MaxKeptKeys) p256.Clear(); // issuers' keys are few; this only bounds what a flood of new keys could hold
        else pool.Add(coseKey);
        return verifies;
    }

    private const int MaxKeptKeys = 4096;
    private static readonly ConcurrentDictionary<string, ConcurrentBag<CoseKey>> p256 = new(StringComparer.Ordinal);
}
