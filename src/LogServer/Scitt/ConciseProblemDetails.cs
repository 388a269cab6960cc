using System.Formats.Cbor;

namespace Attest.LogServer.Scitt;

/// <summary>
/// Refusals of the SCITT routes as RFC 9290 concise problem details (<c>application/concise-problem-details+cbor</c>),
/// as draft-ietf-scitt-scrapi-10 §2 asks of every 4xx and 5xx answer: a CBOR map with <c>title</c> (-1) and
/// <c>detail</c> (-2, the message), and this server's snake_case error code, the same one its JSON errors carry, as a
/// custom problem detail entry (RFC 9290 §2 <c>custom-problem-detail-entries</c>, <c>(uint / ~uri) =&gt; map</c>;
/// §3.2: a uint key must be registered, an absolute URI key need not be):
/// <c>"https://attest.invalid/problem": {"error": code}</c>. The title is the one SCRAPI gives the problem where it
/// gives one (<see cref="Title"/>), else the HTTP reason phrase. A route opts in with <see cref="Marker"/>; the server's
/// one error writer (<see cref="Api.ErrorHandling"/>) then writes this instead of its JSON body, with the same status.
/// </summary>
public static class ConciseProblemDetails
{
    public const string MediaType = "application/concise-problem-details+cbor";

    /// <summary>
    /// The custom entry's key: an absolute URI, used for identification only (RFC 9290 §3.2: never dereferenced). Its
    /// host is of the reserved <c>.invalid</c> domain (RFC 6761 §6.4) for want of a domain of the project's own.
    /// </summary>
    public const string CodeEntry = "https://attest.invalid/problem";

    /// <summary>Endpoint metadata: this route's errors are concise problem details.</summary>
    public static readonly object Marker = new MarkerType();

    public static bool Wanted(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<MarkerType>() is not null;

    public static bool IsMarked(IEnumerable<object> metadata) => metadata.OfType<MarkerType>().Any();

    public static Task Write(HttpContext context, int status, string code, string message)
    {
        var body = Encode(Title(code) ?? Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), message, code);
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>
    /// The title draft-ietf-scitt-scrapi-10 gives a problem (RFC 9290 §2: the problem's shape, not this occurrence):
    /// "Malformed request" for what cannot be parsed (§2), the registration errors of §2.3.3 (a policy refusal is
    /// "Rejected"), and "Invalid locator" for an entry id that is not one (§2.4.3). Null: SCRAPI names none.
    /// </summary>
    public static string? Title(string code) => code switch
    {
        "not_cose_sign1" or "invalid_protected_header" => "Malformed request",
        "unsupported_alg" or "alg_mismatch" => "Bad Signature Algorithm",
        "detached_payload" => "Payload Missing",
        "unprotected_header_not_empty" or "missing_kid" or "missing_cwt_claims" or "missing_issuer" or "missing_subject" or "unknown_issuer"
            or "unknown_kid" or "kid_not_of_issuer" or "invalid_signature" or "key_not_active" or "statement_too_large" => "Rejected",
        "invalid_id" => "Invalid locator",
        _ => null,
    };

    public static byte[] Encode(string title, string detail, string code)
    {
        var w = new CborWriter(CborConformanceMode.Strict);
        w.WriteStartMap(3);
        w.WriteInt32(-1);
        w.WriteTextString(title);
        w.WriteInt32(-2);
        w.WriteTextString(detail);
        w.WriteTextString(CodeEntry);
        w.WriteStartMap(1);
        w.WriteTextString("error");
        w.WriteTextString(code);
        w.WriteEndMap();
        w.WriteEndMap();
        return w.Encode();
    }

    private sealed class MarkerType;
}
