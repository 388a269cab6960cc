using Attest.LogServer.Service;
namespace Attest.LogServer.Api;

/// <summary>
/// The <c>Attest:Limits</c> section: caps on every field of every write, checked while the request is parsed, before
/// anything is queued, so that no request can make the entry log refuse its record (and no tenant can fill a page
/// with one entry). A field over its cap gets a 4xx naming the setting and its value. Lengths count UTF-16 code
/// units, as .NET strings do; byte sizes count UTF-8 bytes.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Most claims in one mint (the members of <c>claims</c>).</summary>
    public int MaxClaims { get; set; } = 64;

    /// <summary>Longest claim name.</summary>
    public int MaxClaimNameLength { get; set; } = 64;

    /// <summary>Longest claim value: a string's length, or the JSON text of any other value (such as <c>document</c>).</summary>
    public int MaxClaimValueLength { get; set; } = 4096;

    /// <summary>Largest <c>claims</c> object, in bytes of its RFC 8785 (JCS) form, which is what gets signed.</summary>
    public int MaxClaimsBytes { get; set; } = 32 * 1024;

    /// <summary>Most tags on a stamp (the TruthStamp seed allows 5).</summary>
    public int MaxTags { get; set; } = 5;

    /// <summary>Longest tag.</summary>
    public int MaxTagLength { get; set; } = 50;

    /// <summary>Longest stamp <c>display_title</c>.</summary>
    public int MaxTitleLength { get; set; } = 200;

    /// <summary>Longest public stamp <c>content</c>.</summary>
    public int MaxContentLength { get; set; } = 100_000;

    /// <summary>Longest name of an issuer, an API key or a verification pack.</summary>
    public int MaxNameLength { get; set; } = 200;

    /// <summary>Longest description of a verification pack.</summary>
    public int MaxDescriptionLength { get; set; } = 2000;

    /// <summary>Longest key id (kid); a kid is made of <c>A-Z a-z 0-9 . _ : -</c>.</summary>
    public int MaxKidLength { get; set; } = 64;

    /// <summary>Longest <c>Idempotency-Key</c> header (printable ASCII).</summary>
    public int MaxIdempotencyKeyLength { get; set; } = 255;

    /// <summary>Longest revocation reason.</summary>
    public int MaxReasonLength { get; set; } = 500;

    /// <summary>
    /// Largest entry-log record (<c>2 + entry + private bytes</c>, see <c>Storage/LogRecord</c>); a larger one is
    /// refused with 413 before it is queued. It must stay well inside the entry log's 4 MiB page, which cannot hold
    /// a record larger than itself.
    /// </summary>
    public int MaxRecordBytes { get; set; } = Log.Sequencer.DefaultMaxRecordBytes;

    /// <summary>
    /// Most requests with a body over <c>Attest:MaxRequestBodyBytes</c> (mints and supersessions with a payload)
    /// handled at once, across all callers; each API key may have one at a time (<see cref="LargeBodies"/>).
    /// </summary>
    public int MaxConcurrentLargeBodies { get; set; } = 2;

    /// <summary>Checks the settings at start; a problem names the setting.</summary>
    public bool TryValidate(out string? problem)
    {
        foreach (var (name, value) in new (string, int)[]
        {
            (nameof(MaxClaims), MaxClaims), (nameof(MaxClaimNameLength), MaxClaimNameLength), (nameof(MaxClaimValueLength), MaxClaimValueLength),
            (nameof(MaxClaimsBytes), MaxClaimsBytes), (nameof(MaxTags), MaxTags), (nameof(MaxTagLength), MaxTagLength),
            (nameof(MaxTitleLength), MaxTitleLength), (nameof(MaxContentLength), MaxContentLength), (nameof(MaxNameLength), MaxNameLength),
            (nameof(MaxDescriptionLength), MaxDescriptionLength), (nameof(MaxKidLength), MaxKidLength),
            (nameof(MaxIdempotencyKeyLength), MaxIdempotencyKeyLength), (nameof(MaxReasonLength), MaxReasonLength), (nameof(MaxRecordBytes), MaxRecordBytes),
            (nameof(MaxConcurrentLargeBodies), MaxConcurrentLargeBodies),
        })
        {
            if (value <= 0)
            {
                problem = $"Attest:Limits:{name} must be positive";
                return false;
            }
        }
        // At most half a page, so one large record still leaves room on its page for the rest of a batch.
        if (MaxRecordBytes > Storage.EntryLog.MaxRecordSize / 2)
        {
            problem = $"Attest:Limits:MaxRecordBytes must be at most {Storage.EntryLog.MaxRecordSize / 2} (half the entry log's page)";
            return false;
        }
        problem = null;
        return true;
    }

    /// <summary>400 <c>field_too_long</c>: <paramref name="what"/> is over the cap of setting <paramref name="setting"/>.</summary>
    public static Service.DomainError TooLong(string what, string setting, int max) =>
        DomainError.Invalid("field_too_long", $"{what} is longer than {max} characters (Attest:Limits:{setting})");
}
