using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Attest.LogServer.Api;
using Attest.LogServer.Service;
using Attest.Merkle;

namespace Attest.LogServer.Commands;

/// <summary>Claims against the schema catalogue: every listed field a non-empty string, nothing unknown, every cap kept.</summary>
public static class Claims
{
    /// <summary>Checks the claims and returns their RFC 8785 (JCS) form, which is what gets signed and what the idempotency digest covers.</summary>
    public static byte[] Check(Schema schema, JsonElement claims, LimitOptions limits)
    {
        var jcs = CheckSizes(claims, limits);
        foreach (var field in schema.ClaimFields)
        {
            if (!claims.TryGetProperty(field, out var v)) throw DomainError.Invalid("missing_claim", $"schema \"{schema.Id}\" needs claim \"{field}\"");
            if (v.ValueKind != JsonValueKind.String || v.ValueEquals(""u8))
                throw DomainError.Invalid("invalid_claim", $"claim \"{field}\" must be a non-empty string");
        }
        foreach (var p in claims.EnumerateObject())
        {
            // "document" ({"sha256": …}) is where the seed looks for a document hash, so every schema accepts it.
            // Names are compared in place: a mint is checked on the hot path, and its names need no strings.
            if (p.NameEquals("document"u8)) DocumentSha256(claims);
            else if (!schema.AllowsExtraFields && !Listed(schema, p))
                throw DomainError.Invalid("unknown_claim", $"schema \"{schema.Id}\" has no claim \"{p.Name}\"");
        }
        return jcs;
    }

    /// <summary>
    /// The caps of <see cref="LimitOptions"/> on the claims: count, name and value lengths, and the size of their JCS
    /// form (what is signed and stored), which it returns. The lengths are measured on the raw UTF-8 text where that
    /// bounds the answer, so a mint's usual claims cost no strings: a string's UTF-8 text, escapes included, is never
    /// shorter than its UTF-16 length. The JCS form is made once per mint, here.
    /// </summary>
    private static byte[] CheckSizes(JsonElement claims, LimitOptions limits)
    {
        int count = 0;
        foreach (var p in claims.EnumerateObject())
        {
            if (++count > limits.MaxClaims)
                throw DomainError.Invalid("too_many_claims", $"more than {limits.MaxClaims} claims (Attest:Limits:MaxClaims)");
            if (JsonMarshal.GetRawUtf8PropertyName(p).Length > limits.MaxClaimNameLength && p.Name.Length > limits.MaxClaimNameLength)
                throw LimitOptions.TooLong("a claim name", nameof(limits.MaxClaimNameLength), limits.MaxClaimNameLength);
            var raw = JsonMarshal.GetRawUtf8Value(p.Value);
            if (p.Value.ValueKind == JsonValueKind.String)
            {
                if (raw.Length - 2 > limits.MaxClaimValueLength && p.Value.GetString()!.Length > limits.MaxClaimValueLength)
                    throw LimitOptions.TooLong($"the value of claim \"{p.Name}\"", nameof(limits.MaxClaimValueLength), limits.MaxClaimValueLength);
            }
            else
            {
                if (raw.Length > limits.MaxClaimValueLength)
                    throw LimitOptions.TooLong($"the JSON text of claim \"{p.Name}\"", nameof(limits.MaxClaimValueLength), limits.MaxClaimValueLength);
            }
        }
        // Numbers can grow in JCS (1e20 is written out in 21 digits), so the cap is on the JCS form itself.
        var jcs = scratch ??= new ArrayBufferWriter<byte>(1024);
        jcs.ResetWrittenCount();
        try
        {
            Jcs.Canonicalize(claims, jcs);
        }
        catch (ArgumentException e)
        {
            throw DomainError.Invalid("invalid_claim", "the claims are not I-JSON (RFC 7493): " + e.Message);
        }
        if (jcs.WrittenCount > limits.MaxClaimsBytes)
            throw new DomainError(ErrorKind.TooLarge, "claims_too_large", $"the claims take {jcs.WrittenCount} bytes in JCS form, over {limits.MaxClaimsBytes} (Attest:Limits:MaxClaimsBytes)");
        var canonical = jcs.WrittenSpan.ToArray();
        if (jcs.Capacity > 64 * 1024) scratch = null; // an unusually large one is not kept
        return canonical;
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? scratch;

    private static bool Listed(Schema schema, JsonProperty claim)
    {
        for (int i = 0; i < schema.ClaimFields.Count; i++)
            if (claim.NameEquals(schema.ClaimFields[i])) return true;
        return false;
    }

    /// <summary><c>claims.document.sha256</c> (lowercased), when present; a malformed one is an error.</summary>
    public static string? DocumentSha256(JsonElement claims)
    {
        if (!claims.TryGetProperty("document", out var doc)) return null;
        if (doc.ValueKind != JsonValueKind.Object) throw DomainError.Invalid("invalid_claim", "claim \"document\" must be an object");
        if (!doc.TryGetProperty("sha256", out var sha)) return null;
        if (sha.ValueKind != JsonValueKind.String || !Hash.TryParseHex(sha.GetString(), out _))
            throw DomainError.Invalid("invalid_claim", "claims.document.sha256 must be 64 hex digits");
        return sha.GetString()!.ToLowerInvariant();
    }
}
