using System.Formats.Cbor;

namespace Attest.LogServer.Scitt;

/// <summary>
/// Refusals of the SCITT routes as RFC 9290 concise problem details (<c>application/concise-problem-details+cbor</c>),
/// as draft-ietf-scitt-scrapi-10 §2 asks of every error: a CBOR map with <c>title</c> (-1, the HTTP reason) and
/// <c>detail</c> (-2, the message), and this server's snake_case error code, the same one its JSON errors carry, as a
/// custom entry (RFC 9290 §2, <c>custom-problem-detail-entries</c>: a URI key whose value is a map):
/// <c>"https://attest.invalid/problem": {"error": code}</c>. A route opts in with <see cref="Marker"/>; the server's
/// one error writer (<see cref="Api.ErrorHandling"/>) then writes this instead of its JSON body, with the same status.
/// </summary>
public static class ConciseProblemDetails
{
    public const string MediaType = "application/concise-problem-details+cbor";

    /// <summary>The custom entry's key: a URI of the reserved <c>.invalid</c> domain (RFC 6761 §6.4), never dereferenced.</summary>
    public const string CodeEntry = "https://attest.invalid/problem";

    /// <summary>Endpoint metadata: this route's errors are concise problem details.</summary>
    public static readonly object Marker = new MarkerType();

    public static bool Wanted(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<MarkerType>() is not null;

    public static bool IsMarked(IEnumerable<object> metadata) => metadata.OfType<MarkerType>().Any();

    public static Task Write(HttpContext context, int status, string code, string message)
    {
        var body = Encode(Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), message, code);
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

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
