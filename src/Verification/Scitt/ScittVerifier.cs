using Attest.Merkle;

namespace Attest.Verification.Scitt;

/// <summary>What one receipt established: the tree it proves the entry in, and the root it signs.</summary>
public sealed record ReceiptFinding(string Kid, string? Issuer, long TreeSize, long LeafIndex, string? RootHex);

/// <summary>The checks of a transparent statement (or of an entry and its receipts), and the verdict: VALID or INVALID.</summary>
public sealed record ScittReport(IReadOnlyList<CheckResult> Checks, string LeafHashHex, IReadOnlyList<ReceiptFinding> Receipts, bool IssuerChecked)
{
    public const string Valid = "VALID", Invalid = "INVALID";

    public bool Ok => Checks.All(c => c.Outcome != Outcome.Fail);

    public string Verdict => Ok ? Valid : Invalid;

    public string Sentence()
    {
        if (!Ok) return $"{Invalid}: {Checks.First(c => c.Outcome == Outcome.Fail).Detail}";
        var r = Receipts[0];
        string where = $"at index {r.LeafIndex} of the tree of size {r.TreeSize} with root {r.RootHex}" + (r.Issuer is { } iss ? $" (log {iss})" : "");
        string issuer = IssuerChecked ? "; the issuer's signature verifies with the given key" : "; the issuer's signature was not checked (no --issuer-key)";
        return $"{Valid}: the transparency service key {r.Kid} signed that the entry {LeafHashHex} is {where}{issuer}";
    }
}

/// <summary>
/// Offline verification of RFC 9942 receipts: for each receipt, the entry's RFC 9162 leaf hash, the inclusion path
/// from it to a root at tree_size, and the service's signature over that root with the key of the receipt's kid
/// from a trusted key set; for a Signed Statement, also the issuer's signature when the issuer's key is given. A
/// receipt whose kid is not in the key set fails: the key set is the trust root, and nothing else vouches for a key.
/// </summary>
public static class ScittVerifier
{
    /// <param name="logged">The entry exactly as the log holds it (a statement with an empty unprotected header).</param>
    /// <param name="statement">The entry read as a Signed Statement, or null for another kind of entry.</param>
    /// <param name="receipts">The encoded receipts to check (at least one).</param>
    /// <param name="serviceKeys">The trusted transparency service keys (a COSE_KeySet).</param>
    /// <param name="issuerKey">The issuer's public key, to check the statement's own signature; null to skip that check.</param>
    public static ScittReport Verify(byte[] logged, SignedStatement? statement, IReadOnlyList<byte[]> receipts, IReadOnlyList<CoseKey> serviceKeys, CoseKey? issuerKey)
    {
        var checks = new List<CheckResult>();
        var findings = new List<ReceiptFinding>();
        Hash leaf = Rfc6962.HashLeaf(logged);
        checks.Add(new CheckResult("leaf hash", Outcome.Pass, $"SHA-256(0x00 || entry) = {leaf.ToHex()} (RFC 9162 §2.1.1), over {logged.Length} bytes"));

        if (statement is not null)
        {
            string kid = Printable(statement.Kid);
            checks.Add(new CheckResult("statement", Outcome.Pass,
                $"COSE_Sign1 by kid {kid} ({(statement.Alg == CoseKey.ES256 ? "ES256" : "EdDSA")}), iss {statement.Issuer}, sub {statement.Subject}" +
                (statement.IsHashEnvelope ? $", a SHA-256 hash envelope of {statement.PreimageContentType ?? "unstated content"}" : statement.ContentType is { } ct ? $", content type {ct}" : "")));
            if (issuerKey is null)
            {
                checks.Add(new CheckResult("issuer signature", Outcome.Skip, "no issuer key given (--issuer-key)"));
            }
            else if (issuerKey.Kid is { } k && !k.AsSpan().SequenceEqual(statement.Kid))
            {
                checks.Add(new CheckResult("issuer signature", Outcome.Fail, $"the statement's kid {kid} is not the given issuer key's kid {Printable(k)}"));
            }
            else if (issuerKey.Alg != statement.Alg)
            {
                checks.Add(new CheckResult("issuer signature", Outcome.Fail, $"the statement is signed with alg {statement.Alg}, the given issuer key is {issuerKey.AlgName}"));
            }
            else
            {
                checks.Add(statement.VerifySignature(issuerKey)
                    ? new CheckResult("issuer signature", Outcome.Pass, $"{issuerKey.AlgName} signature over the statement verifies with the issuer key")
                    : new CheckResult("issuer signature", Outcome.Fail, "the statement's signature does not verify with the issuer key: its payload, header or signature was altered, or another key signed it"));
            }
        }

        for (int i = 0; i < receipts.Count; i++)
        {
            string name = receipts.Count == 1 ? "receipt" : $"receipt {i + 1}";
            Receipt receipt;
            try
            {
                receipt = Receipt.Parse(CoseSign1.Decode(receipts[i]));
            }
            catch (CoseFormatException e)
            {
                checks.Add(new CheckResult(name, Outcome.Fail, "not an RFC 9942 RFC9162_SHA256 inclusion receipt: " + e.Message));
                continue;
            }
            string kid = Printable(receipt.Kid);
            checks.Add(new CheckResult(name, Outcome.Pass, $"RFC9162_SHA256 inclusion receipt by kid {kid}: leaf {receipt.LeafIndex} of tree size {receipt.TreeSize}, {receipt.Path.Count} path hashes" +
                (receipt.Issuer is { } iss ? $", iss {iss}" : "") + (receipt.IssuedAt is { } iat ? $", iat {DateTimeOffset.FromUnixTimeSeconds(iat):yyyy-MM-dd'T'HH:mm:ss'Z'}" : "")));

            var key = serviceKeys.FirstOrDefault(k => k.Kid is { } id && id.AsSpan().SequenceEqual(receipt.Kid));
            if (key is null)
            {
                checks.Add(new CheckResult($"{name} key", Outcome.Fail, $"no key with kid {kid} in the service key set: the receipt is not by a trusted transparency service key"));
                findings.Add(new ReceiptFinding(kid, receipt.Issuer, receipt.TreeSize, receipt.LeafIndex, null));
                continue;
            }
            checks.Add(new CheckResult($"{name} key", Outcome.Pass, $"kid {kid} is in the service key set ({key.AlgName})"));

            if (receipt.RootFrom(leaf) is not { } root)
            {
                checks.Add(new CheckResult($"{name} inclusion", Outcome.Fail,
                    $"the inclusion path of {receipt.Path.Count} hashes does not fit leaf {receipt.LeafIndex} of a tree of size {receipt.TreeSize} (RFC 9162 §2.1.3.2)"));
                findings.Add(new ReceiptFinding(kid, receipt.Issuer, receipt.TreeSize, receipt.LeafIndex, null));
                continue;
            }
            checks.Add(new CheckResult($"{name} inclusion", Outcome.Pass, $"the path leads from the leaf to root {root.ToHex()} at tree size {receipt.TreeSize} (RFC 9162 §2.1.3.2)"));
            findings.Add(new ReceiptFinding(kid, receipt.Issuer, receipt.TreeSize, receipt.LeafIndex, root.ToHex()));
            checks.Add(receipt.VerifySignature(key, root)
                ? new CheckResult($"{name} signature", Outcome.Pass, $"{key.AlgName} signature by kid {kid} over that root verifies (RFC 9942 §5.2.1)")
                : new CheckResult($"{name} signature", Outcome.Fail,
                    $"the signature by kid {kid} does not verify over the root computed from this entry and the receipt's path: the entry, the path, the tree size, the index or the signature was altered"));
        }
        if (receipts.Count == 0) checks.Add(new CheckResult("receipt", Outcome.Fail, "no receipt to verify"));
        return new ScittReport(checks, leaf.ToHex(), findings, statement is not null && issuerKey is not null);
    }

    /// <summary>
    /// A kid as text when it is printable ASCII (an issuer's kid), else in base64url (a binary kid, such as the RFC 9679
    /// thumbprint SCRAPI names keys by in <c>/.well-known/scitt-keys/{kid}</c>): a kid comes from an untrusted file.
    /// </summary>
    public static string Printable(byte[] kid) =>
        kid.Length > 0 && kid.All(b => b is >= 0x21 and <= 0x7E) ? System.Text.Encoding.ASCII.GetString(kid) : Base64Url.Encode(kid);
}
