using System.Formats.Cbor;
using Attest.Verification.Scitt;

namespace Attest.LogServer.Scitt;

/// <summary>
/// <c>GET /.well-known/transparency-configuration</c>: a CBOR map of what a client needs to use this transparency
/// service. SCRAPI defined it in draft-ietf-scitt-scrapi-05 §2.1.1 ("Transparency Configuration": a CBOR map whose
/// content is vendor-specific, fields not understood MUST be ignored; its example has <c>issuer</c> and <c>jwks_uri</c>),
/// renamed it <c>/.well-known/scitt-configuration</c> in October 2025 and removed it in January 2026, before draft 07;
/// draft 10 has no configuration resource. It is kept at the draft-05 path for clients of those drafts, with
/// <c>issuer</c> as they named it; the other names are this service's. Text keys, so that any CBOR reader shows them.
/// </summary>
public static class TransparencyConfiguration
{
    public static byte[] Encode(string origin, string verifierKey, ServiceKey key, string? publicUrl)
    {
        // Absolute URLs only from the configured public URL: a Host header is the client's to choose.
        string baseUrl = publicUrl?.TrimEnd('/') ?? "";
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(8);
        // The receipts' CWT iss claim (RFC 9942 receipts, RFC 8392 §3.1.1): the log's origin.
        w.WriteTextString("issuer"); w.WriteTextString(origin);
        w.WriteTextString("scitt_keys_uri"); w.WriteTextString(baseUrl + "/.well-known/scitt-keys");
        w.WriteTextString("registration_endpoint"); w.WriteTextString(baseUrl + "/entries");
        w.WriteTextString("receipt_endpoint"); w.WriteTextString(baseUrl + "/v1/log/entries/{index}/receipt");
        w.WriteTextString("kid"); w.WriteByteString(key.Kid);
        // COSE algorithms of receipts (ES256) and the RFC 9942 verifiable data structures (1: RFC9162_SHA256).
        w.WriteTextString("signature_algorithms"); w.WriteStartArray(1); w.WriteInt64(CoseKey.ES256); w.WriteEndArray();
        w.WriteTextString("verifiable_data_structures"); w.WriteStartArray(1); w.WriteInt64(Rfc9942.Rfc9162Sha256); w.WriteEndArray();
        // The same tree's C2SP signed checkpoints (/checkpoint), under the log's note key.
        w.WriteTextString("checkpoint_verifier_key"); w.WriteTextString(verifierKey);
        w.WriteEndMap();
        return w.Encode();
    }
}
