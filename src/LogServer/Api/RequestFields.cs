using System.Text.Json;

namespace Attest.LogServer.Api;

/// <summary>Strict access to the fields of a request object: unknown fields and wrong types are named in the error.</summary>
public readonly struct RequestFields
{
    private readonly JsonElement obj;

    public RequestFields(JsonElement obj, params string[] allowed)
    {
        this.obj = obj;
        foreach (var p in obj.EnumerateObject())
            if (Array.IndexOf(allowed, p.Name) < 0)
                throw ApiError.BadRequest("unknown_field", $"unknown field \"{p.Name}\"; allowed: {string.Join(", ", allowed)}");
    }

    public bool Has(string name) => obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? String(string name, int maxLength)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be a string");
        var s = v.GetString()!;
        if (s.Length > maxLength) throw ApiError.BadRequest("invalid_field", $"\"{name}\" is longer than {maxLength} characters");
        return s;
    }

    public string Required(string name, int maxLength) =>
        String(name, maxLength) is { Length: > 0 } s ? s : throw ApiError.BadRequest("missing_field", $"\"{name}\" is required");

    public DateTimeOffset? Time(string name)
    {
        var s = String(name, 40);
        if (s is null) return null;
        // RFC 3339: a date, "T", a time and an explicit offset.
        if (!System.Text.RegularExpressions.Regex.IsMatch(s, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
            || !DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t))
            throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be an RFC 3339 time such as 2026-01-13T12:00:00Z");
        return t;
    }

    public IReadOnlyList<string>? Strings(string name, int maxCount, int maxLength)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be an array of strings");
        if (v.GetArrayLength() > maxCount) throw ApiError.BadRequest("invalid_field", $"\"{name}\" has more than {maxCount} items");
        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be an array of strings");
            var s = item.GetString()!;
            if (s.Length == 0 || s.Length > maxLength) throw ApiError.BadRequest("invalid_field", $"each of \"{name}\" must be 1 to {maxLength} characters");
            list.Add(s);
        }
        return list;
    }
}
