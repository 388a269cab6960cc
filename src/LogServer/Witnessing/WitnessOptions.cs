namespace Attest.LogServer.Witnessing;

/// <summary>One entry of <c>Attest:Witnesses</c>: a C2SP tlog-witness the log asks for cosignatures.</summary>
public sealed class WitnessOptions
{
    /// <summary>Optional; when set, it must be the name in <see cref="VerifierKey"/>.</summary>
    public string? Name { get; set; }

    /// <summary>The witness's submission prefix: requests go to <c>&lt;Url&gt;/add-checkpoint</c>.</summary>
    public string? Url { get; set; }

    /// <summary>The witness's cosignature vkey, <c>name+hex8+base64(0x04||public key)</c> (c2sp.org/tlog-cosignature).</summary>
    public string? VerifierKey { get; set; }
}

/// <summary>The <c>Attest:WitnessPolicy</c> section: how many cosignatures a checkpoint needs, and what happens without them.</summary>
public sealed class WitnessPolicyOptions
{
    /// <summary>Cosignatures needed (k of the n witnesses); by default all of them.</summary>
    public int? Quorum { get; set; }

    /// <summary>How long one add-checkpoint request may take before that witness counts as failed for this checkpoint.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>FailOpen</c>: a checkpoint short of the quorum is published anyway, with the cosignatures it has, a warning
    /// and a status in <c>/readyz</c>. <c>Hold</c>: it is not published until the quorum cosigns (entries are still
    /// accepted and durable; only the checkpoint, and so proofs and bundles of new entries, wait).
    /// </summary>
    public string Mode { get; set; } = "FailOpen";
}
