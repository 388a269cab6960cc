using System.Net;
using System.Text.Json;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.Cli;

/// <summary>
/// What <c>attest verify --online</c> asks the log (docs/VERIFYING.md "Freshness"): the attestation's public proof
/// bundle as the log serves it now, and the consistency proof between its checkpoint and the holder's. Both are
/// fetched without credentials and read strictly; anything else is an <see cref="UnavailableException"/>, never a
/// verdict.
/// </summary>
internal sealed class VerifyOnline(HttpClient http, Uri server)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // RFC 9162 §2.1.4: a consistency proof has at most about 2·log2(size) hashes; 64-bit sizes bound it well below this.
    private const int MaxConsistencyHashes = 130;
    private const int MaxConsistencyBytes = 64 << 10;

    /// <summary>The public part of the attestation's bundle (<see cref="ProofBundle.ParsePublic"/>).</summary>
    public async Task<ProofBundle> FreshBundle(string attestationId, CancellationToken token)
    {
        byte[] body = await Get($"v1/attestations/{Uri.EscapeDataString(attestationId)}/proof-bundle", ProofBundle.MaxBytes, token);
        try
        {
            return ProofBundle.ParsePublic(body);
        }
        catch (BundleFormatException e)
        {
            throw new UnavailableException($"{server}: the log's answer for attestation {attestationId} is not the public part of a proof bundle: {e.Message}");
        }
    }

    /// <summary><c>GET /v1/log/proofs/consistency</c>: <c>{first, second, proof: [base64 hash]}</c>, for exactly the sizes asked.</summary>
    public async Task<Hash[]> ConsistencyProof(long first, long second, CancellationToken token)
    {
        byte[] body = await Get($"v1/log/proofs/consistency?first={first}&second={second}", MaxConsistencyBytes, token);
        string what = $"{server}: the consistency proof from size {first} to {second}";
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("first", out var f) || f.ValueKind != JsonValueKind.Number || !f.TryGetInt64(out long gotFirst) || gotFirst != first
                || !root.TryGetProperty("second", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long gotSecond) || gotSecond != second
                || !root.TryGetProperty("proof", out var p) || p.ValueKind != JsonValueKind.Array)
                throw new UnavailableException($"{what} is not {{\"first\": {first}, \"second\": {second}, \"proof\": [...]}}");
            if (p.GetArrayLength() > MaxConsistencyHashes) throw new UnavailableException($"{what} has {p.GetArrayLength()} hashes, more than any tree has");
            var proof = new Hash[p.GetArrayLength()];
            int i = 0;
            foreach (var h in p.EnumerateArray())
            {
                if (h.ValueKind != JsonValueKind.String || !Hash.TryParseBase64(h.GetString(), out proof[i++]))
                    throw new UnavailableException($"{what} holds an item that is not the base64 of a 32-byte hash");
            }
            return proof;
        }
        catch (JsonException e)
        {
            throw new UnavailableException($"{what} is not JSON: {e.Message}");
        }
    }

    /// <summary>
    /// A GET without credentials; the body is read up to <paramref name="maxBytes"/> and refused beyond, the whole answer
    /// within the client's timeout.
    /// </summary>
    private async Task<byte[]> Get(string path, int maxBytes, CancellationToken outer)
    {
        var uri = new Uri(server, path);
        // HttpClient.Timeout ends with the headers when the body is streamed: a log that trickles a byte now and then
        // would hold the verifier for as long as it likes, so the deadline covers the body too.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(outer);
        deadline.CancelAfter(http.Timeout);
        var token = deadline.Token;
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, token);
            if (response.Content.Headers.ContentLength > maxBytes)
                throw new UnavailableException($"{uri}: the answer is {response.Content.Headers.ContentLength} bytes, more than {maxBytes}");
            await using var stream = await response.Content.ReadAsStreamAsync(token);
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[81920];
            int n;
            while ((n = await stream.ReadAsync(chunk, token)) > 0)
            {
                if (buffer.Length + n > maxBytes) throw new UnavailableException($"{uri}: the answer is more than {maxBytes} bytes");
                buffer.Write(chunk, 0, n);
            }
            if (response.StatusCode != HttpStatusCode.OK) throw new UnavailableException($"{uri}: the log answered {(int)response.StatusCode} {response.StatusCode}{ErrorMessage(buffer.ToArray())}");
            return buffer.ToArray();
        }
        catch (HttpRequestException e)
        {
            throw new UnavailableException($"cannot reach the log at {server}: {e.Message}");
        }
        catch (OperationCanceledException) when (!outer.IsCancellationRequested)
        {
            throw new UnavailableException($"{uri}: no answer within {http.Timeout.TotalSeconds:0} seconds");
        }
    }

    /// <summary>The <c>message</c> of the server's error body (DESIGN.md "Errors"), when there is one to show.</summary>
    private static string ErrorMessage(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? ": " + m.GetString() : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
