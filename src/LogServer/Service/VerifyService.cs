using System.Security.Cryptography;
using System.Text.Json;
using Attest.LogServer.Commands;
using Attest.LogServer.Entries;
using Attest.LogServer.Log;
using Attest.LogServer.Storage;
using Attest.Merkle;
using Attest.Verification;

namespace Attest.LogServer.Service;

/// <summary>
/// Verdicts on attestations for relying parties; the proofs they rest on are <see cref="ProofService"/>'s. A proof
/// bundle is judged as <c>attest verify --online</c> judges it (docs/VERIFYING.md "Freshness"), with the shared code
/// of Attest.Verification. The other forms (an id, a payload and signature, a document hash) are judged on this log's
/// state: ALTERED when what was presented is not what the issuer signed and the log holds (bad signature, payload
/// not the logged one, document not the attested one), else KEY_COMPROMISED when the key rule fails
/// (<see cref="KeyRule"/>), else the attestation's status (REVOKED, SUPERSEDED, VALID); UNKNOWN when the log has no
/// such attestation.
/// </summary>
public sealed class VerifyService(TransparencyLog log, Registry registry, IIndexStore index, AttestationService attestations, ProofService proofs)
{
    public const string Altered = "ALTERED", Unknown = "UNKNOWN", KeyCompromised = "KEY_COMPROMISED";

    private static readonly Reader Anyone = new(null, null);

    public async Task<Verification> ById(Guid id, string? documentSha256, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.AttestationKey(id), out _)) return UnknownResult(["not_in_log"], id);
        var a = await attestations.Find(id, token);
        return await Evaluate(a.Payload, a.Signature, documentSha256, [], token);
    }

    public async Task<Verification> ByDocumentHash(string documentHash, string? documentSha256, CancellationToken token)
    {
        if (!index.TryGet(EntryIndexer.DocumentKey(documentHash), out EntryAt latest)) return UnknownResult(["no_attestation_of_document"], null);
        var id = AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(latest.Index, token))).Id;
        var a = await attestations.Find(id, token);
        return await Evaluate(a.Payload, a.Signature, documentSha256, [], token);
    }

    /// <summary>An attestation verification, by the command's subject (not a stamp's: see <see cref="StampService.Verify"/>).</summary>
    public Task<Verification> Verify(VerifyCommand command, CancellationToken token) => command.Subject switch
    {
        VerifySubject.AttestationId => ById(command.AttestationId, command.DocumentSha256, token),
        VerifySubject.Attestation => ByAttestation(command.Payload, command.Signature, command.DocumentSha256, token),
        VerifySubject.Bundle => ByBundle(command.Bundle, command.Policy, command.DocumentSha256, token),
        VerifySubject.DocumentHash => ByDocumentHash(command.DocumentHash, command.DocumentSha256, token),
        _ => throw new System.Diagnostics.UnreachableException($"{command.Subject} is not an attestation subject"),
    };

    public Task<Verification> ByAttestation(JsonElement payload, string signature, string? documentSha256, CancellationToken token) =>
        Evaluate(payload, signature, documentSha256, [], token);

    /// <summary>
    /// A proof bundle, judged as <c>attest verify --online</c> judges it (docs/VERIFYING.md "Freshness"): the
    /// holder's bundle is verified as it is, then the holder's payload and signature against this log's public
    /// bundle of the attestation now, its checkpoint proven consistent with the bundle's (RFC 9162 §2.1.4.2). The
    /// trust root is <paramref name="policyText"/> (a policy file) when given, else this log's own key. A bundle that
    /// is itself ALTERED (a proof, a key, a status note that does not hold) stays ALTERED whatever the log holds now:
    /// what was presented is not what the log signed.
    /// </summary>
    public async Task<Verification> ByBundle(JsonElement bundle, string? policyText, string? documentSha256, CancellationToken token)
    {
        Attest.Verification.ProofBundle held;
        try
        {
            held = Attest.Verification.ProofBundle.Parse(bundle);
        }
        catch (BundleFormatException e)
        {
            throw DomainError.Invalid("invalid_bundle", $"\"bundle\" is not an attest proof bundle (GET /v1/attestations/{{id}}/proof-bundle): {e.Message}");
        }
        TrustPolicy trust;
        try
        {
            trust = policyText is null ? TrustPolicy.OfLogKey(log.Verifier) : TrustPolicy.Parse(policyText);
        }
        catch (PolicyFormatException e)
        {
            throw DomainError.Invalid("invalid_policy", $"\"policy\" is not a policy file (docs/VERIFYING.md \"Policy file\"): {e.Message}");
        }
        Hash? document = documentSha256 is not null && Hash.TryParseHex(documentSha256, out var d) ? d : null;
        var offline = BundleVerifier.Verify(held, trust, document);

        // Not an attestation of this log: UNKNOWN, unless the bundle does not even hold up against the trust root.
        if (held.Payload.OptStr("id") is not { } idText || !Guid.TryParse(idText, out var id)
            || !index.TryGet(EntryIndexer.AttestationKey(id), out _))
        {
            var unknown = UnknownResult([offline.Verdict == BundleReport.Altered ? "bundle_not_of_this_log" : "not_in_log"], null);
            return unknown with
            {
                Verdict = offline.Verdict == BundleReport.Altered ? Altered : Unknown,
                Checks = [.. offline.Checks.Select(VerifyCheck.Of)],
                AsOf = AsOfOf(offline.AsOf),
            };
        }

        var fresh = await proofs.Bundle(id, Anyone, token);
        var sizes = OnlineCheck.ProofSizes(held, fresh);
        // A bundle claiming a larger tree than the log's latest checkpoint has no proof to it: the check fails.
        IReadOnlyList<Hash> proof = sizes is { } s && s.First > 0 && s.Second <= log.Latest.Size ? ConsistencyProof.Prove(s.First, s.Second, log.Hashes) : [];
        var (report, _) = OnlineCheck.Verify(held, offline, fresh, proof, trust, document);

        var result = await State(id, report.Verdict, BundleReasons(held, offline, report), token);
        // The name comes from the log's own issuer/v1 entry (the fresh evidence), never from what the holder presented.
        return result with { Checks = [.. report.Checks.Select(VerifyCheck.Of)], AsOf = AsOfOf(report.AsOf), IssuerName = report.IssuerName };
    }

    /// <summary>The reasons the bundle form answered with before it had checks, kept for existing callers.</summary>
    private List<string> BundleReasons(Attest.Verification.ProofBundle held, BundleReport offline, BundleReport online)
    {
        bool Passed(BundleReport r, string name) => r.Checks.Any(c => c.Name == name && c.Outcome == Outcome.Pass);
        bool Failed(BundleReport r, string name) => r.Checks.Any(c => c.Name == name && c.Outcome == Outcome.Fail);
        var reasons = new List<string>
        {
            Passed(offline, BundleVerifier.Inclusion) && Passed(offline, BundleVerifier.CheckpointSignature) ? "bundle_proof_ok" : "bundle_proof_invalid",
        };
        if (held.Anchor is not null) reasons.Add(Passed(offline, BundleVerifier.Anchor) ? "anchor_proof_ok" : "anchor_proof_invalid");
        if (Failed(offline, BundleVerifier.LogEntry)) reasons.Add("bundle_entry_mismatch");
        // An offline verifier checks the signature with the bundle's key, so that key must be the logged one.
        if (registry.Key(held.IssuerKey.Kid)?.PublicKey != held.IssuerKey.PublicKey) reasons.Add("bundle_key_mismatch");
        reasons.Add(Passed(online, BundleVerifier.PayloadSignature) ? "signature_ok" : "signature_invalid");
        reasons.Add(Passed(online, BundleVerifier.LogEntry) ? "payload_matches_log" : "payload_not_in_log");
        reasons.Add(Passed(online, BundleVerifier.Inclusion) ? "transparency_proof_ok" : "transparency_proof_invalid");
        if (Passed(online, BundleVerifier.Document)) reasons.Add("document_hash_match");
        if (Failed(online, BundleVerifier.Document)) reasons.Add("document_hash_mismatch");
        if (Failed(online, BundleVerifier.KeyStatus)) reasons.Add("key_compromised");
        else if (Passed(online, BundleVerifier.KeyStatus) && registry.Key(held.IssuerKey.Kid) is { } key) reasons.Add("key_" + key.Status);
        if (Failed(online, BundleVerifier.Revocation)) reasons.Add("revoked");
        if (Failed(online, BundleVerifier.Superseded)) reasons.Add("superseded");
        return reasons;
    }

    private static VerifyAsOf? AsOfOf(AsOf? a) => a is null ? null
        : new(a.TreeSize, a.RootHash, a.StatusTime?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), a.Online);

    /// <summary>The log's state of attestation <paramref name="id"/> under <paramref name="verdict"/>.</summary>
    private async Task<Verification> State(Guid id, string verdict, List<string> reasons, CancellationToken token)
    {
        var stored = await attestations.Find(id, token);
        var key = registry.Key(stored.Kid);
        return new Verification(true, verdict, reasons, id, stored.IssuerId, stored.Kid, stored.Status, stored.LogIndex, Ref(log.Latest),
            stored.RevokedAt, stored.SupersededByAttestationId, key?.Status);
    }

    private async Task<Verification> Evaluate(JsonElement payload, string signature, string? documentSha256, List<string> reasons, CancellationToken token)
    {
        if (payload.OptStr("id") is not { } idText || !Guid.TryParse(idText, out var id))
            return UnknownResult([.. reasons, "payload_malformed"], null);
        if (!index.TryGet(EntryIndexer.AttestationKey(id), out AttestationState state)) return UnknownResult([.. reasons, "not_in_log"], id);
        long at = state.EntryIndex;
        var stored = await attestations.Find(id, token);
        var jcs = Jcs.Canonicalize(payload);
        bool altered = false;

        // The key is the one the log recorded for this attestation: a payload naming another kid is not the logged one.
        var key = registry.Key(stored.Kid);
        bool signatureOk = key is not null && Base64Url.TryDecode(signature, out var sig) && sig.Length == 64
            && Base64Url.TryDecode(key.PublicKey, out var pk) && Ed25519.Verify(pk, jcs, sig);
        reasons.Add(signatureOk ? "signature_ok" : "signature_invalid");
        var entry = AttestationEntry.Parse(LogRecord.Entry(await log.ReadRecordAsync(at, token)));
        bool matchesLog = entry.PayloadSha256 == new Hash(SHA256.HashData(jcs)) && entry.Signature == signature;
        reasons.Add(matchesLog ? "payload_matches_log" : "payload_not_in_log");
        altered |= !signatureOk || !matchesLog;

        var checkpoint = log.Latest;
        if (at < checkpoint.Size)
        {
            var leaf = Rfc6962.HashLeaf(LogRecord.Entry(await log.ReadRecordAsync(at, token)));
            bool included = InclusionProof.Verify(at, checkpoint.Size, leaf, InclusionProof.Prove(at, checkpoint.Size, log.Hashes), checkpoint.Checkpoint.Root);
            reasons.Add(included ? "transparency_proof_ok" : "transparency_proof_invalid");
            altered |= !included;
        }
        else
        {
            reasons.Add("transparency_proof_pending");
        }

        if (documentSha256 is not null)
        {
            bool same = stored.DocumentHash == documentSha256;
            reasons.Add(same ? "document_hash_match" : "document_hash_mismatch");
            altered |= !same;
        }

        string? keyProblem = key is null ? null : KeyRule(key, DateTimeOffset.Parse(stored.CreatedAt, System.Globalization.CultureInfo.InvariantCulture), at);
        if (key is not null) reasons.Add(keyProblem ?? "key_" + key.Status);
        if (stored.Status == AttestationService.Revoked) reasons.Add("revoked");
        if (stored.Status == AttestationService.Superseded) reasons.Add("superseded");
        string verdict = altered ? Altered : keyProblem is not null ? KeyCompromised : stored.Status;
        return new Verification(true, verdict, reasons, id, stored.IssuerId, stored.Kid, stored.Status, at, Ref(checkpoint),
            stored.RevokedAt, stored.SupersededByAttestationId, key?.Status);
    }

    /// <summary>
    /// docs/VERIFYING.md "The key rule", on this log's record of the key (the same rule BundleVerifier applies to a
    /// bundle's key/v1 entries): null when the key could sign an attestation created at <paramref name="signedAt"/>
    /// and logged at <paramref name="logIndex"/>, else the reason it could not. Log order counts beside the times
    /// because a time is what the signer wrote, while the log's order is not theirs to choose.
    /// </summary>
    public static string? KeyRule(IssuerKey key, DateTimeOffset signedAt, long logIndex)
    {
        static DateTimeOffset At(string t) => DateTimeOffset.Parse(t, System.Globalization.CultureInfo.InvariantCulture);
        if (signedAt < At(key.CreatedAt) || logIndex < key.CreatedEntryIndex) return "key_not_yet_created";
        // The compromise is the key's last event (ProofBundle carries it as such): a compromised key has no later one.
        if (key.CompromisedAt is { } c && (signedAt >= At(c) || logIndex > key.LastEntryIndex)) return "key_compromised";
        // A key rotated before its rotation's index was recorded has only the time to go by.
        if (key.RotatedAt is { } r && (signedAt > At(r) || key.RotatedEntryIndex > 0 && logIndex > key.RotatedEntryIndex)) return "key_rotated_before_signing";
        return null;
    }

    private Verification UnknownResult(List<string> reasons, Guid? id) =>
        new(true, Unknown, reasons, id, null, null, null, null, Ref(log.Latest), null, null, null);

    private static CheckpointRef Ref(SignedCheckpoint cp) => new(cp.Checkpoint.Origin, cp.Size, cp.Checkpoint.Root.ToBase64());
}
