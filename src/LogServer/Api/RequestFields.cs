using System.Text.Json;
using Attest.LogServer.Service;

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
                throw DomainError.Invalid("unknown_field", $"unknown field \"{p.Name}\"; allowed: {string.Join(", ", allowed)}");
    }

    public bool Has(string name) => obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>The string field <paramref name="name"/> as sent, or null; its command's validator checks the rest.</summary>
    public string? String(string name) => String(name, int.MaxValue);

    /// <summary>The string field <paramref name="name"/>, or null; <paramref name="setting"/> names the cap's <see cref="LimitOptions"/> setting.</summary>
    public string? String(string name, int maxLength, string? setting = null)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw DomainError.Invalid("invalid_field", $"\"{name}\" must be a string");
        var s = v.GetString()!;
        if (s.Length > maxLength)
            throw setting is null ? DomainError.Invalid("field_too_long", $"\"{name}\" is longer than {maxLength} characters") : LimitOptions.TooLong($"\"{name}\"", setting, maxLength);
        return s;
    }

    public string Required(string name, int maxLength, string? setting = null) =>
        String(name, maxLength, setting) is { Length: > 0 } s ? s : throw DomainError.Invalid("missing_field", $"\"{name}\" is required");

    public DateTimeOffset? Time(string name) => Commands.Field.Time(String(name), name);

    /// <summary>An array of strings as sent, or null; its command's validator checks the count and lengths.</summary>
    public IReadOnlyList<string>? Strings(string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw DomainError.Invalid("invalid_field", $"\"{name}\" must be an array of strings");
        var list = new List<string>(v.GetArrayLength());
        foreach (var item in v.EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw DomainError.Invalid("invalid_field", $"\"{name}\" must be an array of strings"));
        return list;
    }
}
