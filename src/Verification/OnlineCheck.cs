using Attest.Merkle;

namespace Attest.Verification;

/// <summary>
/// The online half of docs/VERIFYING.md "Freshness": the holder's payload and signature judged against the log's
/// latest evidence (the public part of the attestation's bundle, as the log serves it now), provided that evidence
/// holds the same attestation entry and its checkpoint is consistent with the holder's (RFC 9162 §2.1.4.2). The
/// caller fetches both; <see cref="BundleVerifier.Verify"/> then checks the merged bundle with the same trust root.
/// </summary>
public static class OnlineCheck
{
    /// <summary>
    /// The sizes of the consistency proof to fetch, from the bundle's checkpoint to the log's latest, or null when there
    /// is none to fetch: the same size, or a latest older than the bundle's (which fails <c>consistency</c> anyway).
    /// </summary>
    public static (long First, long Second)? ProofSizes(ProofBundle held, ProofBundle fresh)
    {
        if (!EntryProofs.TryReadCheckpoint(held.Checkpoint, out var a, out _) || !EntryProofs.TryReadCheckpoint(fresh.Checkpoint, out var b, out _)) return null;
        return a!.Size >= b!.Size ? null : (a.Size, b.Size);
    }

    /// <summary>
    /// The holder's bundle with the log's latest evidence in place of its own, and the <c>consistency</c> check;
    /// <paramref name="proof"/> is the consistency proof between the sizes <see cref="ProofSizes"/> named (ignored when it named none).
    /// </summary>
    public static (ProofBundle Merged, CheckResult Consistency) Merge(ProofBundle held, ProofBundle fresh, IReadOnlyList<Hash> proof)
    {
        var merged = held with
        {
            Status = fresh.Status, IssuerId = fresh.IssuerId, IssuerName = fresh.IssuerName, IssuerKey = fresh.IssuerKey, Origin = fresh.Origin,
            VerifierKey = fresh.VerifierKey, Checkpoint = fresh.Checkpoint, LogEntry = fresh.LogEntry, Revocation = fresh.Revocation,
            SupersededBy = fresh.SupersededBy, Anchor = fresh.Anchor, IssuerEntry = fresh.IssuerEntry, StatusNote = fresh.StatusNote,
        };
        return (merged, Check(held, fresh, proof));
    }

    /// <summary>
    /// The online verdict (docs/VERIFYING.md "Freshness"): the holder's bundle is first judged as it is, offline; when
    /// that is ALTERED, so is the answer, with the held bundle's checks (what was presented is not what the log signed,
    /// whatever it holds now). Otherwise the holder's payload and signature are judged against the fresh evidence.
    /// </summary>
    /// <param name="offline">The held bundle's own report, <see cref="BundleVerifier.Verify"/> under the same trust root (the caller has it already).</param>
    public static (BundleReport Report, ProofBundle Merged) Verify(
        ProofBundle held, BundleReport offline, ProofBundle fresh, IReadOnlyList<Hash> proof, TrustPolicy? trust, Hash? documentSha256, CheckResult? anchorChain = null)
    {
        var (merged, consistency) = Merge(held, fresh, proof);
        var online = BundleVerifier.Verify(merged, trust, documentSha256, anchorChain, consistency);
        if (trust is not null && offline.Verdict != BundleReport.Altered && consistency.Outcome == Outcome.Pass && Unlogged(held, merged, offline, online) is { } undone)
        {
            // The held bundle proves, under the trust root, an event in a tree the latest is proven to extend: a log never
            // unlogs an entry, so latest evidence without it (and a status note signed without it) is the log contradicting
            // itself, not news.
            consistency = Fail($"the bundle proves {undone} in the checkpoint of size {offline.AsOf?.TreeSize}, which the log's latest extends, " +
                "and the log's latest evidence leaves it out: the log contradicts what it signed");
            online = BundleVerifier.Verify(merged, trust, documentSha256, anchorChain, consistency);
        }
        if (offline.Verdict != BundleReport.Altered) return (online, merged);
        return (offline with
        {
            Checks = [.. offline.Checks.Select(c => c.Name is BundleVerifier.Consistency or BundleVerifier.Freshness ? online.Checks.Single(o => o.Name == c.Name) : c)],
            AsOf = online.AsOf,
        }, merged);
    }

    /// <summary>What the held bundle proved (a revocation, a supersession, the key's state) that the fresh evidence no longer shows, or null.</summary>
    private static string? Unlogged(ProofBundle held, ProofBundle merged, BundleReport offline, BundleReport online)
    {
        bool Failed(BundleReport r, string name) => r.Checks.Any(c => c.Name == name && c.Outcome == Outcome.Fail);
        if (Failed(offline, BundleVerifier.Revocation) && !Failed(online, BundleVerifier.Revocation)) return "the attestation's revocation";
        if (Failed(offline, BundleVerifier.Superseded) && !Failed(online, BundleVerifier.Superseded)) return "the attestation's supersession";
        // By the logged events, not the bundle's status field: a key is only ever rotated, then compromised, never back.
        static int Rank(string status) => Array.IndexOf(StatusNote.KeyStatuses, status);
        KeyHistory before = KeyHistory.Read(held), now = KeyHistory.Read(merged);
        if (before.Check.Outcome == Outcome.Pass && now.Check.Outcome == Outcome.Pass && Rank(now.Status) < Rank(before.Status))
            return $"key {held.IssuerKey.Kid} {before.Status}";
        return null;
    }

    private static CheckResult Check(ProofBundle held, ProofBundle fresh, IReadOnlyList<Hash> proof)
    {
        if (fresh.LogEntry.Index != held.LogEntry.Index || fresh.LogEntry.Entry != held.LogEntry.Entry)
            return Fail($"the log's latest evidence is of entry {fresh.LogEntry.Index}, not of the bundle's entry {held.LogEntry.Index} with the same bytes");
        if (!EntryProofs.TryReadCheckpoint(held.Checkpoint, out var a, out string problem)) return Fail("the bundle's checkpoint: " + problem);
        if (!EntryProofs.TryReadCheckpoint(fresh.Checkpoint, out var b, out problem)) return Fail("the log's latest checkpoint: " + problem);
        if (a!.Origin != b!.Origin) return Fail($"the log's latest checkpoint is of origin \"{b.Origin}\", the bundle's of \"{a.Origin}\"");
        if (a.Size == b.Size)
        {
            return a.Root == b.Root
                ? Pass($"the log's latest checkpoint is the bundle's (size {a.Size})")
                : Fail($"the log serves another root for size {a.Size} than the bundle's checkpoint: a fork");
        }
        // A log's latest checkpoint is never older than one it signed before. An older one is a stale or replayed
        // answer, such as the public bundle from before a revocation the held bundle carries: judged as the latest, it
        // would turn the held REVOKED into VALID.
        if (b.Size < a.Size)
            return Fail($"the log's latest checkpoint (size {b.Size}) is older than the bundle's (size {a.Size}): a stale or replayed answer, not the log's latest");
        if (!ConsistencyProof.Verify(a.Size, b.Size, [.. proof], a.Root, b.Root))
            return Fail($"the consistency proof from size {a.Size} to {b.Size} does not verify: the log forked, or the proof is wrong");
        return Pass($"the bundle's checkpoint (size {a.Size}) is consistent with the log's latest (size {b.Size}) (RFC 9162 §2.1.4.2)");
    }

    private static CheckResult Pass(string detail) => new(BundleVerifier.Consistency, Outcome.Pass, detail);

    private static CheckResult Fail(string detail) => new(BundleVerifier.Consistency, Outcome.Fail, detail);
}
