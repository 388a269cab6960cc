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

    /// <summary>The string field <paramref name="name"/>, or null; <paramref name="setting"/> names the cap's <see cref="LimitOptions"/> setting.</summary>
    public string? String(string name, int maxLength, string? setting = null)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be a string");
        var s = v.GetString()!;
        if (s.Length > maxLength)
            throw setting is null ? ApiError.BadRequest("field_too_long", $"\"{name}\" is longer than {maxLength} characters") : LimitOptions.TooLong($"\"{name}\"", setting, maxLength);
        return s;
    }

    public string Required(string name, int maxLength, string? setting = null) =>
        String(name, maxLength, setting) is { Length: > 0 } s ? s : throw ApiError.BadRequest("missing_field", $"\"{name}\" is required");

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

    /// <summary>An array of non-empty strings; the caps name their settings (<paramref name="countSetting"/>, <paramref name="lengthSetting"/>).</summary>
    public IReadOnlyList<string>? Strings(string name, int maxCount, int maxLength, string countSetting, string lengthSetting)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be an array of strings");
        if (v.GetArrayLength() > maxCount)
            throw ApiError.BadRequest($"too_many_{name}", $"\"{name}\" has more than {maxCount} items (Attest:Limits:{countSetting})");
        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiError.BadRequest("invalid_field", $"\"{name}\" must be an array of strings");
            var s = item.GetString()!;
            if (s.Length == 0) throw ApiError.BadRequest("invalid_field", $"each of \"{name}\" must be 1 to {maxLength} characters");
            if (s.Length > maxLength) throw LimitOptions.TooLong($"one of \"{name}\"", lengthSetting, maxLength);
            list.Add(s);
        }
        return list;
    }
}
