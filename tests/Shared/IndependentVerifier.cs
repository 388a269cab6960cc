using System.Text;

namespace Attest.Tests.Shared;

/// <summary>
/// The independent offline verifier of proof bundles: tests/interop/attestation/verify-bundle.mjs under Node.js, written
/// from docs/VERIFYING.md and the specs with the npm packages canonicalize, @noble/ed25519 and @noble/hashes only.
/// </summary>
public static class IndependentVerifier
{
    /// <summary>Runs <c>node verify-bundle.mjs bundleFile options…</c> (after <c>npm ci</c> when node_modules is missing).</summary>
    public static async Task<ProcessResult> RunFile(string bundleFile, params string[] options)
    {
        string folder = ExternalTools.Interop("attestation");
        await ExternalTools.NpmCi(folder, "canonicalize", "@noble/ed25519", "@noble/hashes");
        return await ExternalTools.Run("node", [Path.Combine(folder, "verify-bundle.mjs"), bundleFile, .. options], folder, TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Writes the bundle to a temp file and runs the verifier on it. <paramref name="logKey"/> is a vkey or a file holding
    /// one; <paramref name="policy"/> a policy file's path.
    /// </summary>
    public static async Task<ProcessResult> Run(string bundleText, string? logKey = null, string? policy = null)
    {
        string file = Path.Combine(Path.GetTempPath(), $"attest-bundle-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(file, bundleText, new UTF8Encoding(false));
            List<string> options = [];
            if (logKey is not null) options.AddRange(["--log-key", logKey]);
            if (policy is not null) options.AddRange(["--policy", policy]);
            return await RunFile(file, [.. options]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
