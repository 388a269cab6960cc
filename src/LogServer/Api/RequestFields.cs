using System.Text.Json;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// REST's binding of a JSON body: strict access to the fields of a request object, where unknown fields and wrong
/// types are named in the error. What the values must be is each command's validator's (<c>src/LogServer/Commands</c>).
/// </summary>
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
    public string? String(string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw DomainError.Invalid("invalid_field", $"\"{name}\" must be a string");
    }

    /// <summary>The integer field <paramref name="name"/> as sent (a JSON number without fraction or exponent), or null.</summary>
    public long? Long(string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : throw DomainError.Invalid("invalid_field", $"\"{name}\" must be an integer");
    }

    /// <summary>The object field <paramref name="name"/> as sent, or null; its command's validator reads its members.</summary>
    public JsonElement? Object(string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Object ? v : throw DomainError.Invalid("invalid_field", $"\"{name}\" must be an object");
    }

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
