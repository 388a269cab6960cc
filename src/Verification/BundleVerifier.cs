using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Merkle;

namespace Attest.Verification;

public enum Outcome
{
    Pass,
    Fail,
    Skip,
}

/// <summary>
/// One check's outcome; <see cref="Detail"/> says what was checked, or why it failed or was skipped. A failure with
/// <see cref="PolicyNotMet"/> means the evidence is not enough for the trust policy, not that it was altered.
/// </summary>
public sealed record CheckResult(string Name, Outcome Outcome, string Detail, bool PolicyNotMet = false);

/// <summary>Up to where a verdict holds: the bundle's checkpoint, and the time the log signed the status at it.</summary>
public sealed record AsOf(long TreeSize, string RootHash, DateTimeOffset? StatusTime, bool Online);

/// <summary>
/// The checks of a proof bundle and the verdict they add up to (docs/VERIFYING.md "Verdicts"): ALTERED, UNVERIFIED,
/// KEY_COMPROMISED, REVOKED, SUPERSEDED or VALID. <see cref="IssuerName"/> is the name of the issuer's logged entry
/// when the verdict is neither ALTERED nor UNVERIFIED, and null otherwise (an unproven name is not shown): the only
/// issuer name a verifier shows.
/// </summary>
public sealed record BundleReport(string Verdict, string? AttestationId, string? IssuerName, AsOf? AsOf, IReadOnlyList<CheckResult> Checks)
{
    public const string Valid = "VALID", Altered = "ALTERED", Unverified = "UNVERIFIED", KeyCompromised = "KEY_COMPROMISED", Revoked = "REVOKED", Superseded = "SUPERSEDED";

    public bool Ok => Verdict == Valid;

    /// <summary>
    /// "VALID as of checkpoint 1042 (status signed by the log at …)", as the CLI and the page print a verdict; ALTERED
    /// names the checks that failed, UNVERIFIED says why (no trust root, or which policy requirement is not met).
    /// </summary>
    public string Sentence()
    {
        if (Verdict == Altered)
            return $"{Verdict}: {string.Join(", ", Checks.Where(c => c.Outcome == Outcome.Fail && BundleVerifier.MeansAltered(c)).Select(c => c.Name))} failed";
        if (Verdict == Unverified)
        {
            var unmet = Checks.Where(c => c.Outcome == Outcome.Fail && c.PolicyNotMet).Select(c => $"{c.Name}: {c.Detail}").ToArray();
            return unmet.Length == 0
                ? $"{Verdict}: no trust root (the log's verifier key or a policy), so nothing ties this bundle to a log the relying party trusts"
                : $"{Verdict}: the trust policy is not met ({string.Join("; ", unmet)})";
        }
        if (AsOf is not { } a) return Verdict;
        string time = a.StatusTime is { } t ? $" (status signed by the log at {t.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'})" : "";
        return a.Online
            ? $"{Verdict} as of checkpoint {a.TreeSize}{time}, the latest the log served"
            : $"{Verdict} as of checkpoint {a.TreeSize}{time}; events logged since are not known offline (verify with --online)";
    }
}

/// <summary>
/// Verifies a <see cref="ProofBundle"/> fully offline: nothing but the bundle, the relying party's trust root (a
/// <see cref="TrustPolicy"/>: without one, the verdict is UNVERIFIED), and optionally the document's SHA-256, the
/// anchor's chain check and, online, the consistency of the bundle's checkpoint with the latest
/// (<see cref="OnlineCheck"/>). Each check is independent, so a tampered bundle fails exactly the checks its
/// tampering touches; the check names are the stable interface of docs/VERIFYING.md "Checks".
/// </summary>
public static class BundleVerifier
{
    public const string PayloadSignature = "payload_signature", PayloadKey = "payload_key", LogEntry = "log_entry", Issuer = "issuer", Inclusion = "inclusion",
        CheckpointSignature = "checkpoint_signature", WitnessPrefix = "witness:", WitnessQuorum = "witness_quorum", KeyEvents = "key_events", KeyStatus = "key_status",
        StatusNoteCheck = "status_note", Revocation = "revocation", Superseded = "superseded", Anchor = "anchor", AnchorChain = "anchor_chain", Document = "document",
        Consistency = "consistency", Freshness = "freshness";

    // A failure of any of these means what was presented is not what was signed and logged.
    private static readonly string[] Integrity = [PayloadSignature, PayloadKey, LogEntry, Issuer, Inclusion, CheckpointSignature, KeyEvents, StatusNoteCheck, Anchor, AnchorChain, Document, Consistency];

    /// <param name="consistency">Online only: the check that the bundle's checkpoint is consistent with the latest one the log served.</param>
    public static BundleReport Verify(ProofBundle b, TrustPolicy? trust, Hash? documentSha256, CheckResult? anchorChain = null, CheckResult? consistency = null)
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
        var (issuerCheck, issuerName) = CheckIssuer(b);
        var status = CheckStatusNote(b, id, key, trust);
        var checks = new List<CheckResult>
        {
            CheckPayloadSignature(b, jcs, jcsProblem),
            CheckPayloadKey(b),
            CheckLogEntry(b, jcs, jcsProblem),
            issuerCheck,
            CheckInclusion(b),
            CheckCheckpointSignatures(b, trust),
        };
        checks.AddRange(CheckWitnesses(b, trust));
        checks.Add(key.Check);
        checks.Add(CheckKeyStatus(b, key));
        checks.Add(status.Check);
        checks.Add(CheckRevocation(b, id));
        checks.Add(CheckSuperseded(b, id));
        checks.Add(CheckAnchor(b, trust));
        checks.Add(anchorChain ?? (b.Anchor is null ? Skip(AnchorChain, "the bundle has no anchor") : Skip(AnchorChain, "no --rpc-url given: the anchor transaction was not looked up on the chain")));
        checks.Add(CheckDocument(b, documentSha256));
        checks.Add(consistency ?? Skip(Consistency, "offline: the bundle's checkpoint was not compared with the log's latest"));
        AsOf? asOf = EntryProofs.TryReadCheckpoint(b.Checkpoint, out var cp, out _)
            ? new AsOf(cp!.Size, cp.Root.ToBase64(), status.Note?.Time, consistency is not null) : null;
        checks.Add(consistency is null
            ? Skip(Freshness, asOf is null ? "offline, and the bundle has no readable checkpoint"
                : $"offline: the status is known as of checkpoint {asOf.TreeSize}" + (asOf.StatusTime is { } t ? $" (the log signed it at {Format(t)})" : "") +
                  "; a revocation, supersession or key compromise logged since is not (attest verify --online asks the log)")
            : Pass(Freshness, $"online: the log's latest evidence, at checkpoint {asOf?.TreeSize}" + (asOf?.StatusTime is { } ot ? $" (status signed at {Format(ot)})" : "")));

        bool Failed(string name) => checks.Any(c => c.Name == name && c.Outcome == Outcome.Fail);
        string verdict = checks.Any(c => c.Outcome == Outcome.Fail && MeansAltered(c)) ? BundleReport.Altered
            : trust is null || checks.Any(c => c.Outcome == Outcome.Fail && c.PolicyNotMet) ? BundleReport.Unverified
            : Failed(KeyStatus) ? BundleReport.KeyCompromised
            : Failed(Revocation) ? BundleReport.Revoked
            : Failed(Superseded) ? BundleReport.Superseded
            : BundleReport.Valid;
        // A name is shown only as the trusted log holds it: an ALTERED or UNVERIFIED bundle's name is anyone's to write.
        return new BundleReport(verdict, id, verdict is BundleReport.Altered or BundleReport.Unverified ? null : issuerName, asOf, checks);
    }

    /// <summary>Whether this check's failure makes the verdict ALTERED (docs/VERIFYING.md "Checks").</summary>
    internal static bool MeansAltered(CheckResult c) => !c.PolicyNotMet && Integrity.Contains(c.Name);

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
        return Pass(PayloadKey, $"the payload names key {b.IssuerKey.Kid} (Ed25519) of issuer {b.IssuerId}");
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
        if (!EntryProofs.TryReadCheckpoint(b.Checkpoint, out var bundleCheckpoint, out string unreadable)) return Fail(Inclusion, "log.checkpoint: " + unreadable);
        var entries = Entries(b);
        foreach (var (name, entry) in entries)
        {
            if (!EntryProofs.CheckInclusion(entry, out var cp, out _, out string problem)) return Fail(Inclusion, $"{name}: {problem}");
            // The status note speaks of log.checkpoint: every entry must be proven against that very tree.
            if (cp!.Size != bundleCheckpoint!.Size || cp.Root != bundleCheckpoint.Root || cp.Origin != bundleCheckpoint.Origin)
                return Fail(Inclusion, $"{name}: its proof is against the checkpoint of size {cp.Size}, not the bundle's log.checkpoint (size {bundleCheckpoint.Size})");
        }
        // Issuer, key, revocation and superseding entries are checked again where their meaning is read.
        return Pass(Inclusion, $"entry {b.LogEntry.Index} and the bundle's {entries.Count - 1} other entries are in the tree of size {bundleCheckpoint!.Size} (RFC 9162 §2.1.3.2)");
    }

    /// <summary>Every entry a bundle carries with a proof against log.checkpoint (the anchor's at-size proof aside).</summary>
    private static List<(string Name, BundleEntry Entry)> Entries(ProofBundle b)
    {
        var entries = new List<(string Name, BundleEntry Entry)> { ("log_entry", b.LogEntry) };
        if (b.IssuerEntry is { } issuer) entries.Add(("issuer.log_entry", issuer));
        entries.AddRange(b.IssuerKey.LogEntries.Select((e, i) => ($"issuer_key.log_entries[{i}]", e)));
        if (b.Revocation is { } r) entries.Add(("revocation", r));
        if (b.SupersededBy is { } s) entries.Add(("superseded_by", s));
        if (b.Anchor is { } a) entries.Add(("anchor.log_entry", a.LogEntry));
        return entries;
    }

    private static (CheckResult, string?) CheckIssuer(ProofBundle b)
    {
        if (b.IssuerEntry is not { } entry) return (Fail(Issuer, "the bundle carries no issuer.log_entry: the issuer's name is not tied to the log"), null);
        if (!EntryProofs.CheckInclusion(entry, out _, out _, out string problem)) return (Fail(Issuer, "issuer.log_entry: " + problem), null);
        if (!TryParseEntry(entry, out var e) || EntryProofs.Text(e, "type") != "issuer/v1") return (Fail(Issuer, $"entry {entry.Index} is not an issuer/v1 entry"), null);
        string? id = EntryProofs.Text(e, "id"), name = EntryProofs.Text(e, "name");
        if (id != b.IssuerId || id != EntryProofs.Text(b.Payload, "issuer_id")) return (Fail(Issuer, $"the logged issuer/v1 entry {entry.Index} is of issuer {id}, not the bundle's and the payload's"), null);
        // The bundle's own name is not repeated: a verifier shows no issuer name the log does not hold.
        if (name != b.IssuerName) return (Fail(Issuer, $"the bundle's issuer.name is not the name its logged issuer/v1 entry {entry.Index} gives"), null);
        // The name stays out of the detail too: it is shown only once the verdict says the log is trusted.
        return (Pass(Issuer, $"issuer {id} and its name are those of its issuer/v1 entry {entry.Index}"), name);
    }

    private static CheckResult CheckCheckpointSignatures(ProofBundle b, TrustPolicy? trust)
    {
        if (trust is null)
            return Skip(CheckpointSignature, $"no trust root (--log-key or --policy): checkpoints were not checked against a trusted log key (the bundle names {b.VerifierKey}, which vouches for nothing by itself)");
        // log.origin is printed beside the verdict (attest verify's "log …" line): it must be the signed checkpoint's.
        if (EntryProofs.TryReadCheckpoint(b.Checkpoint, out var own, out _) && own!.Origin != b.Origin)
            return Fail(CheckpointSignature, $"log.origin \"{b.Origin}\" is not the origin of log.checkpoint, \"{own.Origin}\"");
        var notes = new List<(string Name, string Note)> { ("log.checkpoint", b.Checkpoint) };
        var proofs = Entries(b).Select(e => (e.Name, e.Entry.TlogProof)).ToList();
        if (b.Anchor is { } a)
        {
            notes.Add(("anchor.checkpoint", a.Checkpoint));
            proofs.Add(("anchor", a.TlogProof));
        }
        foreach (var (name, text) in proofs)
        {
            if (TlogProof.TryParse(text, out var proof)) notes.Add((name, proof!.SignedCheckpoint));
        }
        var sizes = new SortedSet<long>();
        var signers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, note) in notes.DistinctBy(n => n.Note))
        {
            string problem = "";
            var signer = trust.LogKeys.FirstOrDefault(k => EntryProofs.CheckSignature(note, k, out _, out problem));
            if (signer is null) return Fail(CheckpointSignature, $"{name}: {problem}");
            EntryProofs.TryReadCheckpoint(note, out var cp, out _);
            sizes.Add(cp!.Size);
            signers.Add($"{signer.Name}+{signer.KeyId:x8}");
        }
        return Pass(CheckpointSignature, $"every checkpoint in the bundle (size {string.Join(", ", sizes)}) is signed by the trusted log key {string.Join(", ", signers)}");
    }

    /// <summary>One check per policy witness (c2sp.org/tlog-cosignature on log.checkpoint), then the quorum.</summary>
    private static IEnumerable<CheckResult> CheckWitnesses(ProofBundle b, TrustPolicy? trust)
    {
        var passing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in trust?.Witnesses ?? [])
        {
            string name = WitnessPrefix + w.Name;
            CheckResult result;
            try
            {
                var opened = Note.Open(Encoding.UTF8.GetBytes(b.Checkpoint), [w.Key]);
                var line = opened.Verified[0];
                string when = Cosignature.TryReadTimestamp(line.Base64, out long ts) ? $" at {Format(DateTimeOffset.FromUnixTimeSeconds(ts))}" : "";
                result = Pass(name, $"{w.Key.Name}+{w.Key.KeyId:x8} cosigned the bundle's checkpoint{when}");
                passing.Add(w.Name);
            }
            catch (NoteException e) when (e.Failure == NoteFailure.NotSigned)
            {
                result = Skip(name, $"the bundle's checkpoint carries no cosignature by {w.Key.Name}+{w.Key.KeyId:x8}");
            }
            catch (NoteException e)
            {
                result = Fail(name, $"the bundle's checkpoint: {e.Message}");
            }
            yield return result;
        }
        if (trust?.Quorum is not { } quorum)
        {
            yield return Skip(WitnessQuorum, trust is null ? "no policy" : "the policy requires no witness (quorum none)");
            yield break;
        }
        yield return quorum.IsMet(passing)
            ? Pass(WitnessQuorum, $"the cosigning witnesses ({string.Join(", ", passing.Order(StringComparer.Ordinal))}) satisfy the quorum {quorum.Name}")
            : new CheckResult(WitnessQuorum, Outcome.Fail, $"the cosigning witnesses ({(passing.Count == 0 ? "none" : string.Join(", ", passing.Order(StringComparer.Ordinal)))}) do not satisfy the policy's quorum {quorum.Name}", PolicyNotMet: true);
    }

    /// <summary>docs/VERIFYING.md "The key rule": by the signer's time and by the log's order.</summary>
    private static CheckResult CheckKeyStatus(ProofBundle b, KeyHistory key)
    {
        if (key.Check.Outcome == Outcome.Fail) return Skip(KeyStatus, "the key's log entries did not verify (key_events)");
        if (!TryTime(EntryProofs.Text(b.Payload, "created_at"), out var signedAt)) return Fail(KeyStatus, "the payload's created_at is not an RFC 3339 time");
        long i = b.LogEntry.Index;
        if (b.IssuerKey.Status != key.Status) return Fail(KeyStatus, $"the bundle says the key is {b.IssuerKey.Status}, its logged events say {key.Status}");
        if (signedAt < key.CreatedAt || i < key.CreatedIndex)
            return Fail(KeyStatus, $"signed at {Format(signedAt)} and logged at {i}, before key {b.IssuerKey.Kid} was logged at {Format(key.CreatedAt)} (entry {key.CreatedIndex})");
        if (key.CompromisedAt is { } c && (signedAt >= c || i > key.CompromisedIndex))
            return Fail(KeyStatus, $"key {b.IssuerKey.Kid} is compromised from {Format(c)} (logged at entry {key.CompromisedIndex}); the attestation was signed at {Format(signedAt)} and logged at entry {i}");
        if (key.RotatedAt is { } r && (signedAt > r || i > key.RotatedIndex))
            return Fail(KeyStatus, $"signed at {Format(signedAt)} and logged at entry {i}, after key {b.IssuerKey.Kid} was rotated at {Format(r)} (entry {key.RotatedIndex})");
        string later = key.CompromisedAt is { } lc ? $"; compromised from {Format(lc)}, after it signed this" : key.RotatedAt is { } lr ? $"; rotated at {Format(lr)}, after it signed this" : "";
        return Pass(KeyStatus, $"key {b.IssuerKey.Kid} is {key.Status} (logged {Format(key.CreatedAt)}{later}); it signed at {Format(signedAt)}");
    }

    private sealed record StatusResult(CheckResult Check, StatusNote? Note);

    /// <summary>docs/VERIFYING.md: the log's signed status agrees with the bundle's evidence.</summary>
    private static StatusResult CheckStatusNote(ProofBundle b, string? id, KeyHistory key, TrustPolicy? trust)
    {
        if (b.StatusNote is not { } signed) return new(Fail(StatusNoteCheck, "the bundle carries no status_note: the log's word on its status is missing"), null);
        if (trust is null)
        {
            // Unverified, but its time still says up to when the bundle claims to speak.
            int split = signed.LastIndexOf("\n\n", StringComparison.Ordinal);
            StatusNote.TryParse(split < 0 ? "" : signed[..(split + 1)], out var unsigned);
            return new(Skip(StatusNoteCheck, "no trust root: the status note's signature was not checked"), unsigned);
        }
        if (!StatusNote.TryOpen(signed, trust.LogKeys, out var note, out string problem)) return new(Fail(StatusNoteCheck, problem), null);
        var n = note!;
        string? disagreement = null;
        if (!EntryProofs.TryReadCheckpoint(b.Checkpoint, out var cp, out _) || n.Origin != cp!.Origin || n.TreeSize != cp.Size || n.Root != cp.Root)
            disagreement = $"it speaks of the checkpoint of size {n.TreeSize}, not the bundle's log.checkpoint";
        else if (n.AttestationId != id) disagreement = $"it is about attestation {n.AttestationId}, not {id}";
        else if (n.Kid != b.IssuerKey.Kid || (key.Check.Outcome != Outcome.Fail && n.KeyStatus != key.Status))
            disagreement = $"it says key {n.Kid} is {n.KeyStatus}; the bundle's key is {b.IssuerKey.Kid}, {key.Status} by its logged events";
        else if ((n.Status == "REVOKED") != (b.Revocation is not null)) disagreement = n.Status == "REVOKED" ? "it says REVOKED, and the bundle carries no revocation entry" : $"it says {n.Status}, and the bundle carries a revocation entry";
        else if (n.Status == "SUPERSEDED" && b.SupersededBy is null) disagreement = "it says SUPERSEDED, and the bundle carries no superseding entry";
        else if (n.Status == "VALID" && b.SupersededBy is not null) disagreement = "it says VALID, and the bundle carries a superseding entry";
        else if (b.Status != n.Status) disagreement = $"it says {n.Status}, the bundle's status field {b.Status}";
        return disagreement is null
            ? new(Pass(StatusNoteCheck, $"the log signed at {Format(n.Time)} that attestation {n.AttestationId} is {n.Status} and key {n.Kid} {n.KeyStatus} at checkpoint {n.TreeSize}"), n)
            : new(Fail(StatusNoteCheck, "the log's signed status note disagrees with the bundle: " + disagreement), n);
    }

    private static CheckResult CheckRevocation(ProofBundle b, string? id)
    {
        if (b.Revocation is not { } r)
        {
            return b.Status == "REVOKED"
                ? Fail(Revocation, "the bundle's status is REVOKED but it carries no revocation entry")
                : Pass(Revocation, "the bundle carries no revocation entry (the status note speaks for its checkpoint)");
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

    private static CheckResult CheckAnchor(ProofBundle b, TrustPolicy? trust)
    {
        if (b.Anchor is not { } a)
        {
            return trust?.AnchorRequired == true
                ? new CheckResult(Anchor, Outcome.Fail, "the policy requires an anchor, and the bundle has none (the entry is not anchored yet, or the log does not anchor)", PolicyNotMet: true)
                : Skip(Anchor, "the bundle has no anchor (the entry is not anchored yet, or the log does not anchor)");
        }
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
internal sealed record KeyHistory(
    CheckResult Check, DateTimeOffset CreatedAt, long CreatedIndex, DateTimeOffset? RotatedAt, long RotatedIndex, DateTimeOffset? CompromisedAt, long CompromisedIndex)
{
    public string Status => CompromisedAt is not null ? "compromised" : RotatedAt is not null ? "rotated" : "active";

    public static KeyHistory Read(ProofBundle b)
    {
        var k = b.IssuerKey;
        DateTimeOffset? created = null, rotated = null, compromised = null;
        long createdIndex = 0, rotatedIndex = 0, compromisedIndex = 0;
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
                    createdIndex = entry.Index;
                    break;
                case "rotated" when EntryProofs.Text(e, "rotated_from") == k.Kid:
                    rotated = at;
                    rotatedIndex = entry.Index;
                    break;
                case "compromised" when kid == k.Kid:
                    if (!BundleVerifier.TryTime(EntryProofs.Text(e, "compromised_at"), out var from)) return Failed($"{where} has no valid compromised_at");
                    compromised = from;
                    compromisedIndex = entry.Index;
                    break;
                default:
                    return Failed($"{where} is not an event of key {k.Kid}");
            }
        }
        if (created is not { } c) return Failed($"the bundle carries no logged creation of key {k.Kid}: its public key is not tied to the log");
        string events = $"created {BundleVerifier.Format(c)}" + (rotated is { } r ? $", rotated {BundleVerifier.Format(r)}" : "")
            + (compromised is { } x ? $", compromised from {BundleVerifier.Format(x)}" : "");
        return new KeyHistory(BundleVerifier.Pass(BundleVerifier.KeyEvents, $"key {k.Kid} with this public key is logged: {events}"),
            c, createdIndex, rotated, rotatedIndex, compromised, compromisedIndex);
    }

    private static KeyHistory Failed(string why) => new(BundleVerifier.Fail(BundleVerifier.KeyEvents, why), default, 0, null, 0, null, 0);
}
