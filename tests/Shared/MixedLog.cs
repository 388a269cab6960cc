using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Storage;
using Attest.Merkle;

namespace Attest.Tests.Shared;

/// <summary>
/// A log whose entries are not all JSON (docs/ENTRIES.md "Entry kinds"): SCITT Signed Statements made here as an outside
/// issuer would, and appended to a stopped server's entry log with the server's own storage classes, as the sequencer
/// appends a committed record that a crash left unintegrated; the next start replays them into hashes, tiles and
/// indexes like any other.
/// </summary>
public static class MixedLog
{
    /// <summary>
    /// A Signed Statement (RFC 9943 §5.3): a tagged COSE_Sign1 (RFC 9052 §4.2) signed with ES256 (RFC 9053 §2.1,
    /// signature r || s), protected header <c>{1: -7, 3: content type, 4: kid, 15: {1: iss, 2: sub}}</c> (CWT claims,
    /// RFC 9597 §2), an EMPTY unprotected header, and the payload attached.
    /// </summary>
    public static byte[] Statement(ECDsa key, string iss, string sub, string kid, byte[] payload, string contentType = "application/json")
    {
        var h = new CborWriter(CborConformanceMode.Canonical);
        h.WriteStartMap(4);
        h.WriteInt32(1);
        h.WriteInt32(-7);
        h.WriteInt32(3);
        h.WriteTextString(contentType);
        h.WriteInt32(4);
        h.WriteByteString(Encoding.UTF8.GetBytes(kid));
        h.WriteInt32(15);
        h.WriteStartMap(2);
        h.WriteInt32(1);
        h.WriteTextString(iss);
        h.WriteInt32(2);
        h.WriteTextString(sub);
        h.WriteEndMap();
        h.WriteEndMap();
        byte[] protectedHeader = h.Encode();

        // Sig_structure = ["Signature1", body_protected, external_aad, payload] (RFC 9052 §4.4).
        var s = new CborWriter();
        s.WriteStartArray(4);
        s.WriteTextString("Signature1");
        s.WriteByteString(protectedHeader);
        s.WriteByteString([]);
        s.WriteByteString(payload);
        s.WriteEndArray();
        byte[] signature = key.SignData(s.Encode(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var w = new CborWriter();
        w.WriteTag((CborTag)18);
        w.WriteStartArray(4);
        w.WriteByteString(protectedHeader);
        w.WriteStartMap(0);
        w.WriteEndMap();
        w.WriteByteString(payload);
        w.WriteByteString(signature);
        w.WriteEndArray();
        return w.Encode();
    }

    /// <summary>A statement with a fresh P-256 key and a payload naming <paramref name="sub"/>.</summary>
    public static byte[] Statement(string iss, string sub, string kid = "issuer-key-1")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Statement(key, iss, sub, kid, Encoding.UTF8.GetBytes($"{{\"artifact\":\"{sub}\"}}"));
    }

    /// <summary>The SCRAPI entry id of a statement: the lowercase hex of its RFC 9162 leaf hash, SHA-256(0x00 || statement).</summary>
    public static string EntryId(byte[] statement) => Rfc6962.HashLeaf(statement).ToHex();

    /// <summary>
    /// Appends <paramref name="entries"/> (public bytes, no private data) to the entry log of <paramref name="dataDir"/>,
    /// whose server must be stopped, and commits them.
    /// </summary>
    public static async Task AppendOffline(string dataDir, params byte[][] entries)
    {
        using var log = new EntryLog(Path.Combine(dataDir, "entries"));
        foreach (var entry in entries) log.Enqueue(LogRecord.Encode(entry, default));
        await log.CommitAsync();
    }
}
