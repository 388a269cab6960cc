using Attest.Merkle;

namespace Attest.LogServer.Witnessing;

/// <summary>One configured witness: where to send checkpoints and the key its cosignatures verify with.</summary>
public sealed record ConfiguredWitness(string Name, Uri AddCheckpointUrl, CosignatureVerifier Verifier)
{
    /// <summary>The URL as shown in /readyz: scheme, host, port and path, never user information.</summary>
    public string DisplayUrl => $"{AddCheckpointUrl.Scheme}://{AddCheckpointUrl.Authority}{AddCheckpointUrl.AbsolutePath}";
}

/// <summary>The checked <c>Attest:Witnesses</c> and <c>Attest:WitnessPolicy</c>; <see cref="TryCreate"/> gives null when there are no witnesses.</summary>
public sealed record WitnessSetup(IReadOnlyList<ConfiguredWitness> Witnesses, int Quorum, TimeSpan Timeout, bool Hold)
{
    public static bool TryCreate(AttestOptions options, out WitnessSetup? setup, out string problem)
    {
        setup = null;
        problem = "";
        var policy = options.WitnessPolicy;
        if (options.Witnesses.Count == 0)
        {
            if (policy.Quorum is > 0) problem = "Attest:WitnessPolicy:Quorum is set but Attest:Witnesses lists no witness";
            return problem.Length == 0;
        }
        var witnesses = new List<ConfiguredWitness>();
        for (int i = 0; i < options.Witnesses.Count; i++)
        {
            var w = options.Witnesses[i];
            string at = $"Attest:Witnesses:{i}";
            if (!Uri.TryCreate(w.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Query.Length > 0 || url.Fragment.Length > 0)
                problem = $"{at}:Url must be an absolute http or https URL (the witness's submission prefix, without query)";
            else if (w.VerifierKey is null || !CosignatureVerifier.TryParse(w.VerifierKey, out var verifier))
                problem = $"{at}:VerifierKey must be the witness's cosignature verifier key, name+<8 hex key ID>+base64(0x04 || 32-byte Ed25519 key)";
            else if (w.Name is not null && w.Name != verifier!.Name)
                problem = $"{at}:Name is \"{w.Name}\" but {at}:VerifierKey is named \"{verifier.Name}\"";
            else if (witnesses.Any(o => o.Verifier.Name == verifier!.Name && o.Verifier.KeyId == verifier.KeyId))
                problem = $"{at}:VerifierKey is listed twice";
            else
            {
                witnesses.Add(new ConfiguredWitness(verifier!.Name, new Uri(url.AbsoluteUri.TrimEnd('/') + "/add-checkpoint"), verifier));
                continue;
            }
            return false;
        }
        int quorum = policy.Quorum ?? witnesses.Count;
        if (quorum < 1 || quorum > witnesses.Count)
            problem = $"Attest:WitnessPolicy:Quorum must be between 1 and the {witnesses.Count} witnesses of Attest:Witnesses";
        else if (policy.Timeout <= TimeSpan.Zero || policy.Timeout > TimeSpan.FromMinutes(5))
            problem = "Attest:WitnessPolicy:Timeout must be positive and at most 5 minutes";
        else if (!string.Equals(policy.Mode, "FailOpen", StringComparison.OrdinalIgnoreCase) && !string.Equals(policy.Mode, "Hold", StringComparison.OrdinalIgnoreCase))
            problem = "Attest:WitnessPolicy:Mode must be FailOpen or Hold";
        else
        {
            setup = new WitnessSetup(witnesses, quorum, policy.Timeout, string.Equals(policy.Mode, "Hold", StringComparison.OrdinalIgnoreCase));
            return true;
        }
        return false;
    }
}
