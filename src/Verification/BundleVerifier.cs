using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Verification;

public enum Outcome
{
    Pass,
    Fail,
    Skip,
}

/// <summary>One check's outcome; <see cref="Detail"/> says what was checked, or why it failed or was skipped.</summary>
public sealed record CheckResult(string Name, Outcome Outcome, string Detail);

/// <summary>
/// The checks of a proof bundle and the verdict they add up to, in the vocabulary of <c>POST /v1/verify</c>: ALTERED
/// when any integrity check fails, else KEY_COMPROMISED when the key was compromised before it signed, else REVOKED or
/// SUPERSEDED when the bundle carries such an entry, else VALID.
/// </summary>
public sealed record BundleReport(string Verdict, string? AttestationId, IReadOnlyList<CheckResult> Checks)
{
    public bool Ok => Checks.All(c => c.Outcome != Outcome.Fail);
}

/// <summary>
/// Verifies a <see cref="ProofBundle"/> fully offline: nothing but the bundle, optionally the log's verifier key (the
/// only trust root: without it, checkpoint signatures are skipped, as the bundle's own key vouches for nothing), and
/// optionally the document's SHA-256. Each check is independent, so a tampered bundle fails exactly the checks its
/// tampering touches, and the check names are the stable interface of <c>attest verify</c>.
/// </summary>
public static class BundleVerifier
{
    public const string PayloadSignature = "payload_signature", PayloadKey = "payload_key", LogEntry = "log_entry", Inclusion = "inclusion",
        CheckpointSignature = "checkpoint_signature", KeyEvents = "key_events", KeyStatus = "key_status", Revocation = "revocation",
        Superseded = "superseded", Anchor = "anchor", AnchorChain = "anchor_chain", Document = "document";

    // A failure of any of these means what was presented is not what was signed and logged.
    private static readonly string[] Integrity = [PayloadSignature, PayloadKey, LogEntry, Inclusion, CheckpointSignature, KeyEvents, Anchor, AnchorChain, Document];

    public static BundleReport Verify(ProofBundle b, NoteVerifier? logKey, Hash? documentSha256, CheckResult? anchorChain = null)
    {
        byte[]? jcs = null;
        string? jcsProblem = null;
        try
        {
            jcs = Jcs.Canonicalize(b.Payload);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or JsonException or FormatException)
        {
            jcsProblem = "the payload has no RFC 8785 (JCS) form: " + e.Message;
        }
        string? id = EntryProofs.Text(b.Payload, "id");
        var key = KeyHistory.Read(b);
        var checks = new List<CheckResult>
        {
            CheckPayloadSignature(b, jcs, jcsProblem),
            CheckPayloadKey(b),
            CheckLogEntry(b, jcs, jcsProblem),
            CheckInclusion(b),
            CheckCheckpointSignatures(b, logKey),
            key.Check,
            CheckKeyStatus(b, key),
            CheckRevocation(b, id),
            CheckSuperseded(b, id),
            CheckAnchor(b, logKey),
            anchorChain ?? (b.Anchor is null ? Skip(AnchorChain, "the bundle has no anchor") : Skip(AnchorChain, "no --rpc-url given: the anchor transaction was not looked up on the chain")),
            CheckDocument(b, documentSha256),
        };

        string verdict = checks.Any(c => c.Outcome == Outcome.Fail && Integrity.Contains(c.Name)) ? "ALTERED"
            : checks.Any(c => c.Name == KeyStatus && c.Outcome == Outcome.Fail) ? "KEY_COMPROMISED"
            : checks.Any(c => c.Name == Revocation && c.Outcome == Outcome.Fail) ? "REVOKED"
            : checks.Any(c => c.Name == Superseded && c.Outcome == Outcome.Fail) ? "SUPERSEDED"
            : "VALID";
        return new BundleReport(verdict, id, checks);
    }

    private static CheckResult CheckPayloadSignature(ProofBundle b, byte[]? jcs, string? jcsProblem)
    {
        if (jcs is null) return Fail(PayloadSignature, jcsProblem!);
        if (b.IssuerKey.Alg != "Ed25519") return Fail(PayloadSignature, $"the key's alg is \"{b.IssuerKey.Alg}\", not Ed25519 (RFC 9864)");
        if (!Base64Url.TryDecode(b.IssuerKey.PublicKey, out var pk) || pk.Length != 32) return Fail(PayloadSignature, "issuer_key.public_key is not the base64url of 32 bytes");
        if (!Base64Url.TryDecode(b.Signature, out var sig) || sig.Length != 64) return Fail(PayloadSignature, "attestation.signature is not the base64url of 64 bytes");
        return Ed25519.Verify(pk, jcs, sig)
            ? Pass(PayloadSignature, $"Ed25519 signature of the JCS payload verifies under key {b.IssuerKey.Kid}")
            : Fail(PayloadSignature, $"the Ed25519 signature does not verify over the JCS payload under key {b.IssuerKey.Kid}");
    }

    private static CheckResult CheckPayloadKey(ProofBundle b)
    {
        var p = b.Payload;
        if (EntryProofs.Text(p, "kid") != b.IssuerKey.Kid) return Fail(PayloadKey, $"the payload names key \"{EntryProofs.Text(p, "kid")}\", the bundle carries \"{b.IssuerKey.Kid}\"");
        if (EntryProofs.Text(p, "alg") != "Ed25519") return Fail(PayloadKey, "the payload's alg is not Ed25519");
        if (EntryProofs.Text(p, "issuer_id") != b.IssuerId) return Fail(PayloadKey, $"the payload names issuer {EntryProofs.Text(p, "issuer_id")}, the bundle {b.IssuerId}");
        return Pass(PayloadKey, $"the payload names key {b.IssuerKey.Kid} (Ed25519) of issuer {b.IssuerId} ({b.IssuerName})");
    }

    private static CheckResult CheckLogEntry(ProofBundle b, byte[]? jcs, string? jcsProblem)
    {
        if (jcs is null) return Fail(LogEntry, jcsProblem!);
        if (!TryParseEntry(b.LogEntry, out var e)) return Fail(LogEntry, "log_entry.entry is not a JSON object");
        string hash = Convert.ToHexStringLower(SHA256.HashData(jcs));
        if (EntryProofs.Text(e, "type") != "attestation/v1") return Fail(LogEntry, "the log entry is not an attestation/v1 entry");
        if (EntryProofs.Text(e, "payload_sha256") != hash) return Fail(LogEntry, $"the logged payload_sha256 {EntryProofs.Text(e, "payload_sha256")} is not SHA-256(JCS(payload)) {hash}");
        if (EntryProofs.Text(e, "signature") != b.Signature) return Fail(LogEntry, "the logged signature is not the attestation's signature");
        foreach (var field in new[] { "id", "issuer_id", "kid", "created_at", "schema" })
        {
            if (EntryProofs.Text(e, field) != EntryProofs.Text(b.Payload, field)) return Fail(LogEntry, $"the logged {field} is not the payload's");
        }
        return Pass(LogEntry, $"log entry {b.LogEntry.Index} is attestation/v1 with this payload's SHA-256 and signature");
    }

    private static CheckResult CheckInclusion(ProofBundle b)
    {
        var entries = new List<(string Name, BundleEntry Entry)> { ("log_entry", b.LogEntry) };
        entries.AddRange(b.IssuerKey.LogEntries.Select((e, i) => ($"issuer_key.log_entries[{i}]", e)));
        if (b.Revocation is { } r) entries.Add(("revocation", r));
        if (b.SupersededBy is { } s) entries.Add(("superseded_by", s));
        Checkpoint? cp = null;
        foreach (var (name, entry) in entries)
        {
            if (!EntryProofs.CheckInclusion(entry, out cp, out _, out string problem)) return Fail(Inclusion, $"{name}: {problem}");
        }
        // Key, revocation and superseding entries are checked again where their meaning is read.
        return Pass(Inclusion, $"entry {b.LogEntry.Index} and the bundle's {entries.Count - 1} other entries are in the tree of size {cp!.Size} (RFC 9162 §2.1.3.2)");
    }

    private static CheckResult CheckCheckpointSignatures(ProofBundle b, NoteVerifier? logKey)
    {
        if (logKey is null)
            return Skip(CheckpointSignature, $"no --log-key given: checkpoints were not checked against a trusted log key (the bundle names {b.VerifierKey}, which vouches for nothing by itself)");
        var notes = new List<(string Name, string Note)> { ("log.checkpoint", b.Checkpoint) };
        var proofs = new List<(string Name, string Proof)> { ("log_entry", b.LogEntry.TlogProof) };
        proofs.AddRange(b.IssuerKey.LogEntries.Select((e, i) => ($"issuer_key.log_entries[{i}]", e.TlogProof)));
        if (b.Revocation is { } r) proofs.Add(("revocation", r.TlogProof));
        if (b.SupersededBy is { } s) proofs.Add(("superseded_by", s.TlogProof));
        if (b.Anchor is { } a)
        {
            notes.Add(("anchor.checkpoint", a.Checkpoint));
            proofs.Add(("anchor", a.TlogProof));
            proofs.Add(("anchor.log_entry", a.LogEntry.TlogProof));
        }
        foreach (var (name, text) in proofs)
        {
            if (TlogProof.TryParse(text, out var proof)) notes.Add((name, proof!.SignedCheckpoint));
        }
        var sizes = new SortedSet<long>();
        foreach (var (name, note) in notes.DistinctBy(n => n.Note))
        {
            if (!EntryProofs.CheckSignature(note, logKey, out var cp, out string problem)) return Fail(CheckpointSignature, $"{name}: {problem}");
            sizes.Add(cp!.Size);
        }
        return Pass(CheckpointSignature, $"every checkpoint in the bundle (size {string.Join(", ", sizes)}) is signed by {logKey.Name}+{logKey.KeyId:x8}");
    }

    private static CheckResult CheckKeyStatus(ProofBundle b, KeyHistory key)
    {
        if (key.Check.Outcome == Outcome.Fail) return Skip(KeyStatus, "the key's log entries did not verify (key_events)");
        if (!TryTime(EntryProofs.Text(b.Payload, "created_at"), out var signedAt)) return Fail(KeyStatus, "the payload's created_at is not an RFC 3339 time");
        string status = key.CompromisedAt is not null ? "compromised" : key.RotatedAt is not null ? "rotated" : "active";
        if (b.IssuerKey.Status != status) return Fail(KeyStatus, $"the bundle says the key is {b.IssuerKey.Status}, its logged events say {status}");
        if (signedAt < key.CreatedAt) return Fail(KeyStatus, $"signed at {Format(signedAt)}, before the key was logged at {Format(key.CreatedAt)}");
        if (key.CompromisedAt is { } c && signedAt > c)
            return Fail(KeyStatus, $"key {b.IssuerKey.Kid} was compromised from {Format(c)}, before the attestation was signed at {Format(signedAt)}");
        if (key.RotatedAt is { } r && signedAt > r) return Fail(KeyStatus, $"signed at {Format(signedAt)}, after key {b.IssuerKey.Kid} was rotated at {Format(r)}");
        string later = key.CompromisedAt is { } lc ? $"; compromised from {Format(lc)}, after it signed this" : key.RotatedAt is { } lr ? $"; rotated at {Format(lr)}, after it signed this" : "";
        return Pass(KeyStatus, $"key {b.IssuerKey.Kid} is {status} (logged {Format(key.CreatedAt)}{later}); it signed at {Format(signedAt)}");
    }

    private static CheckResult CheckRevocation(ProofBundle b, string? id)
    {
        if (b.Revocation is not { } r)
        {
            return b.Status == "REVOKED"
                ? Fail(Revocation, "the bundle's status is REVOKED but it carries no revocation entry")
                : Pass(Revocation, "the bundle carries no revocation entry (none up to its checkpoint)");
        }
        if (!EntryProofs.CheckInclusion(r, out _, out _, out string problem)) return Fail(Revocation, "the bundle carries a revocation entry that does not verify: " + problem);
        if (!TryParseEntry(r, out var e) || EntryProofs.Text(e, "type") != "revocation/v1" || EntryProofs.Text(e, "attestation_id") != id)
            return Fail(Revocation, $"entry {r.Index} is not a revocation/v1 of attestation {id}, yet the bundle calls it its revocation");
        return Fail(Revocation, $"REVOKED at {EntryProofs.Text(e, "revoked_at")} (log entry {r.Index})");
    }

    private static CheckResult CheckSuperseded(ProofBundle b, string? id)
    {
        if (b.SupersededBy is not { } s)
        {
            return b.Status == "SUPERSEDED"
                ? Fail(Superseded, "the bundle's status is SUPERSEDED but it carries no superseding entry")
                : Pass(Superseded, "the bundle carries no superseding attestation");
        }
        if (!EntryProofs.CheckInclusion(s, out _, out _, out string problem)) return Fail(Superseded, "the bundle carries a superseding entry that does not verify: " + problem);
        if (!TryParseEntry(s, out var e) || EntryProofs.Text(e, "type") != "attestation/v1" || EntryProofs.Text(e, "supersedes") != id)
            return Fail(Superseded, $"entry {s.Index} is not an attestation/v1 superseding {id}, yet the bundle says so");
        return Fail(Superseded, $"SUPERSEDED by attestation {EntryProofs.Text(e, "id")} at {EntryProofs.Text(e, "created_at")} (log entry {s.Index})");
    }

    private static CheckResult CheckAnchor(ProofBundle b, NoteVerifier? logKey)
    {
        if (b.Anchor is not { } a) return Skip(Anchor, "the bundle has no anchor (the entry is not anchored yet, or the log does not anchor)");
        if (!EntryProofs.CheckAnchor(b.LogEntry, a, null, out string problem)) return Fail(Anchor, problem);
        // Signatures of the anchored checkpoint are part of checkpoint_signature.
        return Pass(Anchor, $"entry {b.LogEntry.Index} is in the checkpoint of size {a.TreeSize} that transaction {a.TxHash} anchors (chain {a.ChainId}, block {a.BlockNumber}, " +
            $"{DateTimeOffset.FromUnixTimeSeconds(a.BlockTimestamp):yyyy-MM-ddTHH:mm:ssZ}); its calldata names that checkpoint; the anchor is logged as entry {a.LogIndex}");
    }

    private static CheckResult CheckDocument(ProofBundle b, Hash? documentSha256)
    {
        if (documentSha256 is not { } h) return Skip(Document, "no --document given");
        string? attested = EntryProofs.Text(b.Payload, "document_hash");
        if (attested is null) return Fail(Document, "the attestation names no document_hash");
        return string.Equals(attested, h.ToHex(), StringComparison.OrdinalIgnoreCase)
            ? Pass(Document, $"the document's SHA-256 {h.ToHex()} is the attested document_hash")
            : Fail(Document, $"the document's SHA-256 {h.ToHex()} is not the attested document_hash {attested}");
    }

    internal static bool TryParseEntry(BundleEntry entry, out JsonElement element)
    {
        element = default;
        try
        {
            using var doc = JsonDocument.Parse(entry.Entry, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return false;
            element = doc.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static bool TryTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time) && text!.Contains('T');

    internal static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static CheckResult Pass(string name, string detail) => new(name, Outcome.Pass, detail);

    internal static CheckResult Fail(string name, string detail) => new(name, Outcome.Fail, detail);

    internal static CheckResult Skip(string name, string detail) => new(name, Outcome.Skip, detail);
}

/// <summary>
/// The signing key's history from its key/v1 entries in the bundle (docs/ENTRIES.md): created (or created by a
/// rotation from another key), rotated (another key replaced it), compromised (with the time from which it is).
/// </summary>
internal sealed record KeyHistory(CheckResult Check, DateTimeOffset CreatedAt, DateTimeOffset? RotatedAt, DateTimeOffset? CompromisedAt)
{
    public static KeyHistory Read(ProofBundle b)
    {
        var k = b.IssuerKey;
        DateTimeOffset? created = null, rotated = null, compromised = null;
        foreach (var (entry, i) in k.LogEntries.Select((e, i) => (e, i)))
        {
            string where = $"issuer_key.log_entries[{i}] (entry {entry.Index})";
            if (!EntryProofs.CheckInclusion(entry, out _, out _, out string problem)) return Failed($"{where}: {problem}");
            if (!BundleVerifier.TryParseEntry(entry, out var e) || EntryProofs.Text(e, "type") != "key/v1") return Failed($"{where} is not a key/v1 entry");
            if (EntryProofs.Text(e, "issuer_id") != b.IssuerId) return Failed($"{where} is of another issuer");
            if (!BundleVerifier.TryTime(EntryProofs.Text(e, "at"), out var at)) return Failed($"{where} has no valid \"at\" time");
            string? kid = EntryProofs.Text(e, "kid");
            switch (EntryProofs.Text(e, "event"))
            {
                case "created" or "rotated" when kid == k.Kid:
                    if (EntryProofs.Text(e, "public_key") != k.PublicKey) return Failed($"{where} logs another public key for {k.Kid} than the bundle's");
                    if (EntryProofs.Text(e, "alg") != "Ed25519") return Failed($"{where} logs a key that is not Ed25519");
                    created = at;
                    break;
                case "rotated" when EntryProofs.Text(e, "rotated_from") == k.Kid:
                    rotated = at;
                    break;
                case "compromised" when kid == k.Kid:
                    if (!BundleVerifier.TryTime(EntryProofs.Text(e, "compromised_at"), out var from)) return Failed($"{where} has no valid compromised_at");
                    compromised = from;
                    break;
                default:
                    return Failed($"{where} is not an event of key {k.Kid}");
            }
        }
        if (created is not { } c) return Failed($"the bundle carries no logged creation of key {k.Kid}: its public key is not tied to the log");
        string events = $"created {BundleVerifier.Format(c)}" + (rotated is { } r ? $", rotated {BundleVerifier.Format(r)}" : "")
            + (compromised is { } x ? $", compromised from {BundleVerifier.Format(x)}" : "");
        return new KeyHistory(BundleVerifier.Pass(BundleVerifier.KeyEvents, $"key {k.Kid} with this public key is logged: {events}"), c, rotated, compromised);
    }

    private static KeyHistory Failed(string why) => new(BundleVerifier.Fail(BundleVerifier.KeyEvents, why), default, null, null);
}
