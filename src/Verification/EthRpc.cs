using System.Globalization;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Verification;

/// <summary>An error object in a JSON-RPC 2.0 response (the node understood the call and refused it).</summary>
public sealed class EthRpcException(string method, long code, string message) : Exception($"{method}: {message} ({code})")
{
    public long Code { get; } = code;

    public string NodeMessage { get; } = message;
}

/// <summary>
/// The few Ethereum JSON-RPC methods anchoring needs (ethereum.org JSON-RPC API; quantities are 0x-prefixed hex,
/// minimal). Transport failures surface as <see cref="HttpRequestException"/> or a timeout's
/// <see cref="TaskCanceledException"/>; the node's refusals as <see cref="EthRpcException"/>. Node answers are
/// untrusted: a malformed one is a <see cref="FormatException"/>.
/// </summary>
public sealed class EthRpc(HttpClient http, Uri url)
{
    private long nextId;

    public async Task<JsonElement> Call(string method, params object?[] parameters)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = Interlocked.Increment(ref nextId), ["method"] = method,
            ["params"] = JsonSerializer.SerializeToNode(parameters),
        };
        using var response = await http.PostAsJsonAsync(url, request);
        response.EnsureSuccessStatusCode();
        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{method}: the node's answer is not a JSON-RPC response");
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            long code = error.TryGetProperty("code", out var c) && c.TryGetInt64(out long v) ? v : 0;
            string message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "error";
            throw new EthRpcException(method, code, message);
        }
        if (!root.TryGetProperty("result", out var result)) throw new FormatException($"{method}: the node's answer has no result");
        return result.Clone();
    }

    public async Task<long> ChainId() => Long(await Call("eth_chainId"));

    public async Task<long> BlockNumber() => Long(await Call("eth_blockNumber"));

    public async Task<long> TransactionCount(string address, string block) => Long(await Call("eth_getTransactionCount", address, block));

    public async Task<BigInteger> GasPrice() => Quantity(await Call("eth_gasPrice"));

    public async Task<BigInteger> MaxPriorityFeePerGas() => Quantity(await Call("eth_maxPriorityFeePerGas"));

    public async Task<long> EstimateGas(string from, string to, byte[] data) =>
        Long(await Call("eth_estimateGas", new Dictionary<string, string> { ["from"] = from, ["to"] = to, ["data"] = Hex(data) }));

    /// <summary>The block (without transaction bodies), or null when the node has none by that number or tag.</summary>
    public async Task<JsonElement?> BlockByNumber(string numberOrTag) => Nullable(await Call("eth_getBlockByNumber", numberOrTag, false));

    public async Task<JsonElement?> TransactionByHash(string hash) => Nullable(await Call("eth_getTransactionByHash", hash));

    public async Task<JsonElement?> Receipt(string hash) => Nullable(await Call("eth_getTransactionReceipt", hash));

    public async Task<string> SendRawTransaction(byte[] raw) => (await Call("eth_sendRawTransaction", Hex(raw))).GetString()
        ?? throw new FormatException("eth_sendRawTransaction: no transaction hash");

    public static string Hex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    public static string Quantity(long v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>A JSON-RPC quantity: "0x" and hex digits (leading zeros tolerated, as some nodes send them).</summary>
    public static BigInteger Quantity(JsonElement e)
    {
        string? s = e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        if (s is null || s.Length < 3 || s.Length > 66 || !s.StartsWith("0x", StringComparison.Ordinal) || !IsHex(s.AsSpan(2)))
            throw new FormatException($"not a JSON-RPC quantity: {e.GetRawText()}");
        return BigInteger.Parse("0" + s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    public static long Long(JsonElement e)
    {
        var v = Quantity(e);
        return v <= long.MaxValue ? (long)v : throw new FormatException($"quantity too large: {e.GetRawText()}");
    }

    /// <summary>A 32-byte hash field ("0x" and 64 hex digits), lowercased.</summary>
    public static string Hash32(JsonElement obj, string name)
    {
        string? s = obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s is null || s.Length != 66 || !s.StartsWith("0x", StringComparison.Ordinal) || !IsHex(s.AsSpan(2)))
            throw new FormatException($"\"{name}\" is not a 32-byte hash");
        return s.ToLowerInvariant();
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    private static JsonElement? Nullable(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null
        : e.ValueKind == JsonValueKind.Object ? e : throw new FormatException("expected an object or null");
}
