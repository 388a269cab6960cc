using System.Text.RegularExpressions;
using Attest.LogServer.Api;
using Attest.LogServer.Service;

namespace Attest.LogServer.Commands;

/// <summary>
/// The rules that fields share across commands, applied by each command's validator to the values its transport
/// bound (a JSON member of the REST body, a field of the gRPC message). Lengths count UTF-16 code units; a cap with a
/// <see cref="LimitOptions"/> setting names it in the error.
/// </summary>
public static partial class Field
{
    /// <summary>A proto3 string field left empty is an absent one (the proto3 JSON mapping omits it too).</summary>
    public static string? Present(string value) => value.Length == 0 ? null : value;

    public static string? Optional(string? value, string name, int maxLength, string? setting = null) =>
        value is null || value.Length <= maxLength ? value
        : throw (setting is null ? DomainError.Invalid("field_too_long", $"\"{name}\" is longer than {maxLength} characters") : LimitOptions.TooLong($"\"{name}\"", setting, maxLength));

    public static string Required(string? value, string name, int maxLength, string? setting = null) =>
        Optional(value, name, maxLength, setting) is { Length: > 0 } s ? s : throw DomainError.Invalid("missing_field", $"\"{name}\" is required");

    /// <summary>A UUID in its hyphenated form, the only one this server gives out.</summary>
    public static Guid Id(string text, string what) =>
        Guid.TryParseExact(text, "D", out var id) ? id : throw DomainError.Invalid("invalid_id", $"a {what} id is a UUID");

    public static string Kid(string kid, LimitOptions limits) =>
        kid.Length > limits.MaxKidLength ? throw LimitOptions.TooLong("a kid", nameof(limits.MaxKidLength), limits.MaxKidLength)
        : KidPattern().IsMatch(kid) ? kid : throw DomainError.Invalid("invalid_kid", $"a kid is 1 to {limits.MaxKidLength} of A-Z a-z 0-9 . _ : -");

    /// <summary>A name or other text shown to people: no control characters.</summary>
    public static string Text(string s, string name) =>
        s.Any(char.IsControl) ? throw DomainError.Invalid("invalid_field", $"\"{name}\" must not contain control characters") : s;

    /// <summary>An RFC 3339 time (RFC 3339 §5.6 date-time, with an explicit offset), or null when absent.</summary>
    public static DateTimeOffset? Time(string? text, string name)
    {
        if (Optional(text, name, 40) is not { } s) return null;
        if (!Rfc3339().IsMatch(s) || !DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t))
            throw DomainError.Invalid("invalid_field", $"\"{name}\" must be an RFC 3339 time such as 2026-01-13T12:00:00Z");
        return t;
    }

    public static long NonNegative(long v, string name) =>
        v >= 0 ? v : throw DomainError.Invalid("parameter_out_of_range", $"\"{name}\" must not be negative");

    /// <summary>A count of API credits, from <paramref name="min"/> to <see cref="CreditOptions.MaxGrant"/>.</summary>
    public static long Credits(long n, string name, long min, CreditOptions credits) =>
        n >= min && n <= credits.MaxGrant ? n
        : throw DomainError.Invalid("parameter_out_of_range", $"\"{name}\" must be an integer from {min} to {credits.MaxGrant} (Attest:Credits:{nameof(credits.MaxGrant)})");

    [GeneratedRegex(@"^[A-Za-z0-9._:-]+\z")]
    private static partial Regex KidPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
