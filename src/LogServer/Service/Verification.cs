using Attest.Verification;

namespace Attest.LogServer.Service;

/// <summary>The checkpoint a verdict was reached at: origin, size and root (base64).</summary>
public sealed record CheckpointRef(string Origin, long Size, string RootHash);

/// <summary>
/// The answer to <c>POST /v1/verify</c> for an attestation (<see cref="VerifyService"/>): the verdict, the reasons
/// for it, and the log's state of the attestation.
/// </summary>
public sealed record Verification(
    bool Success, string Verdict, IReadOnlyList<string> Reasons, Guid? AttestationId, Guid? IssuerId, string? Kid, string? Status,
    long? LogIndex, CheckpointRef Checkpoint, string? RevokedAt, Guid? SupersededByAttestationId, string? KeyStatus)
{
    /// <summary>The bundle form only: every check of docs/VERIFYING.md "Checks", by its stable name.</summary>
    public IReadOnlyList<VerifyCheck>? Checks { get; init; }

    /// <summary>The bundle form only: the checkpoint and status time the verdict holds as of.</summary>
    public VerifyAsOf? AsOf { get; init; }

    /// <summary>The bundle form only: the name of the issuer's logged issuer/v1 entry, the only issuer name to show.</summary>
    public string? IssuerName { get; init; }
}

/// <summary>One check as the answer names it: <c>result</c> is pass, fail or skip.</summary>
public sealed record VerifyCheck(string Name, string Result, string Detail)
{
    public static VerifyCheck Of(CheckResult c) => new(c.Name, c.Outcome.ToString().ToLowerInvariant(), c.Detail);
}

/// <summary>Up to where the verdict holds: the checkpoint, the time the log signed the status note, and whether the log was asked.</summary>
public sealed record VerifyAsOf(long TreeSize, string RootHash, string? StatusTime, bool Online);
