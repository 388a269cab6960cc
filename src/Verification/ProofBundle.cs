using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attest.Verification;

/// <summary>A proof bundle that is not of the <see cref="ProofBundle.Format"/> shape; the message names the field.</summary>
public sealed class BundleFormatException(string message) : Exception(message);

/// <summary>
/// A log entry as a bundle carries it: its index, the entry text (the exact bytes of the leaf, as UTF-8), and a
/// c2sp.org/tlog-proof@v1 of it, kept as text: a proof that does not parse is a failed check, not a malformed bundle.
/// Written as <c>{"index", "entry", "tlog_proof"}</c>.
/// </summary>
[JsonConverter(typeof(BundleJsonConverter<BundleEntry>))]
public sealed record BundleEntry(long Index, string Entry, string TlogProof) : IBundleJson
{
    public byte[] EntryBytes() => Encoding.UTF8.GetBytes(Entry);

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("index", Index);
        w.WriteString("entry", Entry);
        w.WriteString("tlog_proof", TlogProof);
        w.WriteEndObject();
    }
}

/// <summary>The signing key of the attestation, what the bundle says of its status, and the log entries of its events.</summary>
public sealed record BundleKey(
    string Kid, string Alg, string PublicKey, string Status, string? CreatedAt, string? RotatedAt, string? CompromisedAt,
    IReadOnlyList<BundleEntry> LogEntries);

/// <summary>
/// The anchor evidence (docs/ANCHORING.md "Verifying an anchor offline"): the anchor's number in log order, where
/// the chain holds the anchor transaction, the calldata it must carry, the entry's tlog-proof at the anchored size,
/// and the logged <c>anchor/v1</c> entry. Written with the members in the order of this record, snake_case.
/// </summary>
[JsonConverter(typeof(BundleJsonConverter<BundleAnchor>))]
public sealed record BundleAnchor(
    long? Sequence, long LogIndex, long ChainId, string TxHash, long BlockNumber, string BlockHash, long BlockTimestamp, long TreeSize,
    string RootHash, string From, string To, string Checkpoint, string Calldata, string TlogProof, BundleEntry LogEntry) : IBundleJson
{
    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        ProofBundle.WriteNumberOrNull(w, "sequence", Sequence);
        w.WriteNumber("log_index", LogIndex);
        w.WriteNumber("chain_id", ChainId);
        w.WriteString("tx_hash", TxHash);
        w.WriteNumber("block_number", BlockNumber);
        w.WriteString("block_hash", BlockHash);
        w.WriteNumber("block_timestamp", BlockTimestamp);
        w.WriteNumber("tree_size", TreeSize);
        w.WriteString("root_hash", RootHash);
        w.WriteString("from", From);
        w.WriteString("to", To);
        w.WriteString("checkpoint", Checkpoint);
        w.WriteString("calldata", Calldata);
        w.WriteString("tlog_proof", TlogProof);
        w.WritePropertyName("log_entry");
        LogEntry.WriteTo(w);
        w.WriteEndObject();
    }
}

/// <summary>
/// The offline proof bundle of an attestation, <c>GET /v1/attestations/{id}/proof-bundle</c> (format
/// <c>attest-proof-bundle/v1</c>, docs/VERIFYING.md), read and written here only. <see cref="WriteTo"/> writes it as
/// the server serves it, every member present in this order (an absent value as null):
/// <code>
/// format, access ("full" | "public"), attestation {payload, signature} | null, status, status_note,
/// issuer {id, name, log_entry}, issuer_key {kid, alg, public_key, status, created_at, rotated_at, compromised_at,
/// log_entries [entry…]}, log {origin, verifier_key, checkpoint}, log_entry, revocation, superseded_by, anchor[, receipt]
/// </code>
/// where an entry is a <see cref="BundleEntry"/> and the anchor a <see cref="BundleAnchor"/>. A public bundle (a
/// reader not entitled to the payload, docs/SECURITY.md) has an undefined <see cref="Payload"/> and an empty
/// <see cref="Signature"/>. <see cref="Receipt"/>, written only when present, is the log entry's COSE receipt
/// (RFC 9942, base64) over the same checkpoint.
/// <para>
/// <see cref="Parse(ReadOnlyMemory{byte})"/> reads it strictly from untrusted JSON: every field this type holds must be present
/// with its JSON type (strings, integers without fraction or exponent that fit a long, objects), no property twice,
/// at most <see cref="MaxDepth"/> levels, <see cref="MaxBytes"/> bytes, <see cref="MaxKeyEntries"/> key entries and
/// entries of at most 65,535 UTF-8 bytes (the C2SP entry-bundle limit). Unknown fields are ignored: nothing reads them,
/// and <see cref="WriteTo"/> does not write them back. What the fields claim is checked by <see cref="BundleVerifier"/>, never here.
/// </para>
/// </summary>
[JsonConverter(typeof(BundleJsonConverter<ProofBundle>))]
public sealed record ProofBundle(
    string Format, JsonElement Payload, string Signature, string Status, string IssuerId, string IssuerName, BundleKey IssuerKey,
    string Origin, string VerifierKey, string Checkpoint, BundleEntry LogEntry, BundleEntry? Revocation, BundleEntry? SupersededBy,
    BundleAnchor? Anchor, BundleEntry? IssuerEntry, string? StatusNote, string? Receipt = null) : IBundleJson
{
    public const string FormatName = "attest-proof-bundle/v1";

    /// <summary>Why a bundle served with <c>"access": "public"</c> cannot be verified offline.</summary>
    public const string PublicBundleMessage = "a public bundle has no payload; the holder's link or bundle is needed";
    public const int MaxBytes = 64 << 20;
    public const int MaxDepth = 64;
    public const int MaxKeyEntries = 16;
    private const int MaxEntryBytes = 65_535;

    // A tlog-proof is at most a few KiB of lines plus a signed note (1 MiB at most, Merkle's Note.MaxSize).
    private const int MaxProofChars = (1 << 20) + (64 << 10);

    // A receipt holds at most 63 path hashes of 34 bytes and ~200 bytes of headers and signature.
    private const int MaxReceiptChars = 16 << 10;

    /// <summary>The public part of a bundle: no payload, for a reader not entitled to it.</summary>
    public bool IsPublic => Payload.ValueKind == JsonValueKind.Undefined;

    /// <summary>Reads a bundle from its UTF-8 JSON bytes: exactly one JSON value, no property twice at any depth.</summary>
    /// <exception cref="BundleFormatException">when it is too large, not JSON, or not of the bundle's shape.</exception>
    public static ProofBundle Parse(ReadOnlyMemory<byte> utf8Json)
    {
        using var doc = ParseDocument(utf8Json);
        return Parse(doc.RootElement);
    }

    private static JsonDocument ParseDocument(ReadOnlyMemory<byte> utf8Json)
    {
        if (utf8Json.Length > MaxBytes) throw new BundleFormatException($"a proof bundle is at most {MaxBytes} bytes, this is {utf8Json.Length}");
        try
        {
            // Duplicates anywhere, the payload's claims included, would make "the signed payload" ambiguous.
            return JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new BundleFormatException($"not JSON (RFC 8259, each property at most once): {e.Message}");
        }
    }

    /// <summary>Reads a bundle from parsed JSON (the payload is cloned, so the document may be disposed after).</summary>
    /// <exception cref="BundleFormatException">when it is not of the bundle's shape, or a property occurs twice.</exception>
    public static ProofBundle Parse(JsonElement bundle) => Parse(bundle, publicPart: false);

    /// <summary>
    /// Reads the public part of a bundle (<c>"access": "public"</c>, <c>"attestation": null</c>), as
    /// <c>attest verify --online</c> fetches it for the log's latest evidence: <see cref="Payload"/> is undefined and
    /// <see cref="Signature"/> empty, to be taken from the holder's bundle.
    /// </summary>
    /// <exception cref="BundleFormatException">when it is not of the bundle's shape, or carries a payload.</exception>
    public static ProofBundle ParsePublic(ReadOnlyMemory<byte> utf8Json)
    {
        using var doc = ParseDocument(utf8Json);
        return Parse(doc.RootElement, publicPart: true);
    }

    /// <summary>
    /// Writes the bundle in the layout of the summary above; indentation and escaping are <paramref name="w"/>'s. The
    /// payload is written as its JSON value, member for member.
    /// </summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteString("access", IsPublic ? "public" : "full");
        if (IsPublic)
        {
            w.WriteNull("attestation");
        }
        else
        {
            w.WriteStartObject("attestation");
            w.WritePropertyName("payload");
            Payload.WriteTo(w);
            w.WriteString("signature", Signature);
            w.WriteEndObject();
        }
        w.WriteString("status", Status);
        w.WriteString("status_note", StatusNote);

        w.WriteStartObject("issuer");
        w.WriteString("id", IssuerId);
        w.WriteString("name", IssuerName);
        WriteEntry(w, "log_entry", IssuerEntry);
        w.WriteEndObject();

        w.WriteStartObject("issuer_key");
        w.WriteString("kid", IssuerKey.Kid);
        w.WriteString("alg", IssuerKey.Alg);
        w.WriteString("public_key", IssuerKey.PublicKey);
        w.WriteString("status", IssuerKey.Status);
        w.WriteString("created_at", IssuerKey.CreatedAt);
        w.WriteString("rotated_at", IssuerKey.RotatedAt);
        w.WriteString("compromised_at", IssuerKey.CompromisedAt);
        w.WriteStartArray("log_entries");
        foreach (var e in IssuerKey.LogEntries) e.WriteTo(w);
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("log");
        w.WriteString("origin", Origin);
        w.WriteString("verifier_key", VerifierKey);
        w.WriteString("checkpoint", Checkpoint);
        w.WriteEndObject();

        WriteEntry(w, "log_entry", LogEntry);
        WriteEntry(w, "revocation", Revocation);
        WriteEntry(w, "superseded_by", SupersededBy);
        w.WritePropertyName("anchor");
        if (Anchor is null) w.WriteNullValue();
        else Anchor.WriteTo(w);
        // Optional and last, so that a bundle without one is written as before: bundles older than receipts have none.
        if (Receipt is not null) w.WriteString("receipt", Receipt);
        w.WriteEndObject();
    }

    private static void WriteEntry(Utf8JsonWriter w, string name, BundleEntry? entry)
    {
        w.WritePropertyName(name);
        if (entry is null) w.WriteNullValue();
        else entry.WriteTo(w);
    }

    internal static void WriteNumberOrNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } n) w.WriteNumber(name, n);
        else w.WriteNull(name);
    }

    private static ProofBundle Parse(JsonElement bundle, bool publicPart)
    {
        var root = Object(bundle, "the bundle");
        string format = Str(root, "format", "");
        if (format != FormatName) throw new BundleFormatException($"\"format\" is \"{format}\", not \"{FormatName}\": not an attest proof bundle (GET /v1/attestations/{{id}}/proof-bundle)");
        // The server gives a reader who is not entitled to the payload the bundle without it (docs/SECURITY.md).
        bool isPublic = root.TryGetProperty("access", out var access) && access.ValueKind == JsonValueKind.String && access.ValueEquals("public")
            || root.TryGetProperty("attestation", out var withheld) && withheld.ValueKind == JsonValueKind.Null;
        if (isPublic != publicPart) throw new BundleFormatException(publicPart ? "not the public part of a bundle: it carries a payload" : PublicBundleMessage);
        JsonElement payload = default;
        string signature = "";
        if (!publicPart)
        {
            var attestation = Object(Prop(root, "attestation", ""), "attestation");
            payload = Object(Prop(attestation, "payload", "attestation."), "attestation.payload").Clone();
            signature = Str(attestation, "signature", "attestation.");
        }
        var issuer = Object(Prop(root, "issuer", ""), "issuer");
        var key = Object(Prop(root, "issuer_key", ""), "issuer_key");
        var keyEntries = Prop(key, "log_entries", "issuer_key.");
        if (keyEntries.ValueKind != JsonValueKind.Array) throw new BundleFormatException("issuer_key.log_entries is not an array");
        if (keyEntries.GetArrayLength() is 0 or > MaxKeyEntries) throw new BundleFormatException($"issuer_key.log_entries has {keyEntries.GetArrayLength()} entries, not 1 to {MaxKeyEntries}");
        var log = Object(Prop(root, "log", ""), "log");

        return new ProofBundle(
            format, payload, signature, Str(root, "status", ""),
            Str(issuer, "id", "issuer."), Str(issuer, "name", "issuer."),
            new BundleKey(
                Str(key, "kid", "issuer_key."), Str(key, "alg", "issuer_key."), Str(key, "public_key", "issuer_key."), Str(key, "status", "issuer_key."),
                OptStr(key, "created_at", "issuer_key."), OptStr(key, "rotated_at", "issuer_key."), OptStr(key, "compromised_at", "issuer_key."),
                [.. keyEntries.EnumerateArray().Select((e, i) => Entry(e, $"issuer_key.log_entries[{i}]"))]),
            Str(log, "origin", "log."), Str(log, "verifier_key", "log."), Str(log, "checkpoint", "log."),
            Entry(Prop(root, "log_entry", ""), "log_entry"),
            OptEntry(root, "revocation"), OptEntry(root, "superseded_by"),
            OptAnchor(root), OptEntry(issuer, "log_entry", "issuer."), OptStr(root, "status_note", ""), OptReceipt(root));
    }

    /// <summary>The log entry's COSE receipt (RFC 9942), base64, when the bundle carries one; its checks are a COSE verifier's.</summary>
    private static string? OptReceipt(JsonElement root)
    {
        string? receipt = OptStr(root, "receipt", "");
        if (receipt is not null && (receipt.Length > MaxReceiptChars || !Convert.TryFromBase64String(receipt, new byte[receipt.Length], out _)))
            throw new BundleFormatException($"receipt is not base64 of at most {MaxReceiptChars} characters");
        return receipt;
    }

    private static BundleAnchor? OptAnchor(JsonElement root)
    {
        if (!root.TryGetProperty("anchor", out var a) || a.ValueKind == JsonValueKind.Null) return null;
        Object(a, "anchor");
        const string p = "anchor.";
        return new BundleAnchor(
            OptLong(a, "sequence", p), Long(a, "log_index", p), Long(a, "chain_id", p), Str(a, "tx_hash", p), Long(a, "block_number", p), Str(a, "block_hash", p),
            Long(a, "block_timestamp", p), Long(a, "tree_size", p), Str(a, "root_hash", p), Str(a, "from", p), Str(a, "to", p),
            Str(a, "checkpoint", p), Str(a, "calldata", p), Proof(a, p), Entry(Prop(a, "log_entry", p), "anchor.log_entry"));
    }

    private static BundleEntry? OptEntry(JsonElement root, string name, string prefix = "") =>
        !root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null ? null : Entry(e, prefix + name);

    private static BundleEntry Entry(JsonElement e, string path)
    {
        Object(e, path);
        string prefix = path + ".";
        string entry = Str(e, "entry", prefix);
        if (Encoding.UTF8.GetByteCount(entry) > MaxEntryBytes) throw new BundleFormatException($"{prefix}entry is longer than {MaxEntryBytes} bytes, more than a log entry can be");
        return new BundleEntry(Long(e, "index", prefix), entry, Proof(e, prefix));
    }

    private static string Proof(JsonElement e, string prefix)
    {
        string proof = Str(e, "tlog_proof", prefix);
        if (proof.Length > MaxProofChars) throw new BundleFormatException($"{prefix}tlog_proof is longer than {MaxProofChars} characters");
        return proof;
    }

    private static JsonElement Object(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new BundleFormatException($"{path} is not a JSON object");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw new BundleFormatException($"{path} has the property \"{p.Name}\" twice");
        }
        return e;
    }

    private static JsonElement Prop(JsonElement e, string name, string prefix) =>
        e.TryGetProperty(name, out var v) ? v : throw new BundleFormatException($"{prefix}{name} is missing");

    private static string Str(JsonElement e, string name, string prefix)
    {
        var v = Prop(e, name, prefix);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new BundleFormatException($"{prefix}{name} is not a string");
    }

    private static string? OptStr(JsonElement e, string name, string prefix)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new BundleFormatException($"{prefix}{name} is not a string or null");
    }

    private static long? OptLong(JsonElement e, string name, string prefix) =>
        !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null : Long(e, name, prefix);

    private static long Long(JsonElement e, string name, string prefix)
    {
        var v = Prop(e, name, prefix);
        // An integer as JSON writes it: no fraction, no exponent, within a long, not negative.
        if (v.ValueKind != JsonValueKind.Number || v.GetRawText().AsSpan().ContainsAny(".eE") || !v.TryGetInt64(out long n) || n < 0)
            throw new BundleFormatException($"{prefix}{name} is not a non-negative integer");
        return n;
    }
}

/// <summary>A bundle part that writes itself as the server serves it (<see cref="BundleJsonConverter{T}"/>).</summary>
public interface IBundleJson
{
    void WriteTo(Utf8JsonWriter w);
}

/// <summary>
/// Serializes a bundle or one of its parts with its own <c>WriteTo</c>, so that REST, gRPC and the tests write the
/// same members in the same order. Reading is <see cref="ProofBundle.Parse(ReadOnlyMemory{byte})"/>'s alone, which is strict.
/// </summary>
public sealed class BundleJsonConverter<T> : JsonConverter<T> where T : IBundleJson
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException($"read a proof bundle with {nameof(ProofBundle)}.{nameof(ProofBundle.Parse)}, which checks its shape strictly");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => value.WriteTo(writer);
}
