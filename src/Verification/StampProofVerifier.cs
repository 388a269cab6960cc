using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Verification;

/// <summary>What a stamp proof shows once verified: the logged stamp and, for a revealed sealed stamp, its content.</summary>
public sealed record StampProofReport(
    IReadOnlyList<CheckResult> Checks, string? StampId, string? ContentHash, string? CreatedAt, long? SealedUntil, string? RevealedContent, string? RevealedAt)
{
    public bool Stamped => Checks.All(c => c.Outcome != Outcome.Fail);
}

/// <summary>
/// The checks of a stamp proof (<c>attest-stamp-proof/v1</c>, GET /v1/stamps/{id}/proof) under a pinned log key, as the
/// verification page runs them: the stamp's <c>stamp/v1</c> entry is the stamp the proof names, it is included in a
/// checkpoint signed by the log key, and, for a sealed stamp that was revealed, its <c>stamp-reveal/v1</c> entry is
/// included too, names the stamp, and carries content whose SHA-256 (computed here) is the hash logged at sealing.
/// The anchor is not checked here (<c>attest verify</c> checks an attestation bundle's). Never throws on bad input.
/// </summary>
public static class StampProofVerifier
{
    public const string FormatName = "attest-stamp-proof/v1";

    public static StampProofReport Verify(ReadOnlySpan<byte> json, NoteVerifier logKey)
    {
        var checks = new List<CheckResult>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            checks.Add(new("bundle_format", Outcome.Fail, "not JSON: " + e.Message));
            return new(checks, null, null, null, null, null, null);
        }
        using (doc)
        {
            var b = doc.RootElement;
            if (b.ValueKind != JsonValueKind.Object || Str(b, "format") != FormatName)
            {
                checks.Add(new("bundle_format", Outcome.Fail, $"not an {FormatName}"));
                return new(checks, null, null, null, null, null, null);
            }
            checks.Add(new("bundle_format", Outcome.Pass, FormatName));

            var stamp = Entry(b, "log_entry");
            JsonElement logged = default;
            bool entryOk = false;
            string detail;
            if (stamp is null || !TryObject(stamp.Entry, out logged) || Str(logged, "type") != "stamp/v1")
                detail = "the log entry is not a stamp/v1 entry";
            else if (!b.TryGetProperty("stamp", out var named) || named.ValueKind != JsonValueKind.Object
                || Str(named, "id") != Str(logged, "id") || Str(named, "content_hash") != Str(logged, "content_hash") || Str(named, "created_at") != Str(logged, "created_at")
                || Long(named, "sealed_until") != Long(logged, "sealed_until"))
                detail = "the log entry is not the stamp the proof names";
            else
            {
                entryOk = true;
                detail = $"content SHA-256 {Str(logged, "content_hash")}, stamped at {Str(logged, "created_at")}"
                    + (Long(logged, "sealed_until") is { } u ? $", sealed until {Time(u)}" : "");
            }
            checks.Add(new("stamp_entry", entryOk ? Outcome.Pass : Outcome.Fail, detail));
            bool included = stamp is not null && EntryProofs.CheckEntry(stamp, logKey, out _, out detail);
            checks.Add(new("inclusion", included ? Outcome.Pass : Outcome.Fail,
                included ? $"entry {stamp!.Index} included in a checkpoint signed by {logKey.Name}+{logKey.KeyId:x8}" : detail));
            if (!entryOk) return new(checks, null, null, null, null, null, null);

            long? sealedUntil = Long(logged, "sealed_until");
            bool hasReveal = b.TryGetProperty("reveal", out var revealElement) && revealElement.ValueKind != JsonValueKind.Null;
            string? content = null, revealedAt = null;
            if (sealedUntil is not null || hasReveal)
            {
                var (outcome, text) = CheckReveal(b, logged, sealedUntil, hasReveal, logKey, out content, out revealedAt);
                checks.Add(new("reveal", outcome, text));
            }
            bool ok = checks.All(c => c.Outcome != Outcome.Fail);
            return new(checks, Str(logged, "id"), Str(logged, "content_hash"), Str(logged, "created_at"), sealedUntil, ok ? content : null, ok ? revealedAt : null);
        }
    }

    private static (Outcome, string) CheckReveal(JsonElement b, JsonElement stamp, long? sealedUntil, bool hasReveal, NoteVerifier logKey, out string? content, out string? revealedAt)
    {
        content = revealedAt = null;
        if (!hasReveal) return (Outcome.Skip, $"sealed until {Time(sealedUntil!.Value)}; not revealed yet");
        if (sealedUntil is null) return (Outcome.Fail, "a reveal of a stamp that was not sealed");
        var reveal = Entry(b, "reveal");
        if (reveal is null || !TryObject(reveal.Entry, out var r) || Str(r, "type") != "stamp-reveal/v1") return (Outcome.Fail, "the reveal is not a stamp-reveal/v1 entry");
        if (!EntryProofs.CheckEntry(reveal, logKey, out _, out string problem)) return (Outcome.Fail, problem);
        if (Str(r, "stamp_id") != Str(stamp, "id")) return (Outcome.Fail, $"the reveal is of stamp {Str(r, "stamp_id")}, not {Str(stamp, "id")}");
        if (Str(r, "content") is not { } text) return (Outcome.Fail, "the reveal entry has no content");
        string digest = new Hash(Sha256.Hash(Encoding.UTF8.GetBytes(text))).ToHex();
        if (digest != Str(stamp, "content_hash")) return (Outcome.Fail, $"the revealed content hashes to {digest}, not to the sealed {Str(stamp, "content_hash")}");
        if (Str(r, "content_hash") != digest) return (Outcome.Fail, $"the reveal entry names the hash {Str(r, "content_hash")}, not the sealed {digest}");
        content = text;
        revealedAt = Str(r, "revealed_at");
        return (Outcome.Pass, $"SHA-256 of the revealed content, computed here, is the sealed {digest}; revealed at {revealedAt} (entry {reveal.Index})");
    }

    private static BundleEntry? Entry(JsonElement b, string name) =>
        b.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("index", out var i) && i.TryGetInt64(out long index)
        && Str(e, "entry") is { } entry && Str(e, "tlog_proof") is { } proof ? new BundleEntry(index, entry, proof) : null;

    private static bool TryObject(string text, out JsonElement value)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            value = doc.RootElement.Clone();
            return value.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;

    private static string Time(long unixSeconds) => unixSeconds is >= -62_135_596_800 and <= 253_402_300_799
        ? DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)
        : unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
