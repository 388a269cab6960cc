using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using Attest.Merkle;

namespace Attest.Cli.Tests.Scitt;

/// <summary>
/// A transparency service of the test's own, to verify the CLI against without the server: a Merkle tree computed
/// by the recursive definitions of RFC 9162 §2.1.1 (MTH) and §2.1.3.1 (PATH), and RFC 9942 receipts signed with
/// .NET's own COSE library (System.Security.Cryptography.Cose), which shares no code with the CLI's parser. The
/// end-to-end test against a real server registers through the server and verifies what it answers.
/// </summary>
public sealed class TestReceipts : IDisposable
{
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] Kid { get; } = "test-service-key"u8.ToArray();

    public string Origin { get; } = "test.example/log";

    /// <summary>The service's COSE_KeySet (RFC 9052 §7): one EC2 P-256 key with its kid.</summary>
    public byte[] KeySet(ECDsa? key = null, byte[]? kid = null)
    {
        var q = (key ?? Key).ExportParameters(false).Q;
        var w = new CborWriter();
        w.WriteStartArray(1);
        w.WriteStartMap(6);
        w.WriteInt32(1); w.WriteInt32(2); // kty EC2
        w.WriteInt32(2); w.WriteByteString(kid ?? Kid);
        w.WriteInt32(3); w.WriteInt32(-7); // alg ES256
        w.WriteInt32(-1); w.WriteInt32(1); // crv P-256
        w.WriteInt32(-2); w.WriteByteString(q.X!);
        w.WriteInt32(-3); w.WriteByteString(q.Y!);
        w.WriteEndMap();
        w.WriteEndArray();
        return w.Encode();
    }

    public static Hash Leaf(byte[] entry) => Rfc6962.HashLeaf(entry);

    /// <summary>MTH(D[n]) of RFC 9162 §2.1.1.</summary>
    public static Hash Root(IReadOnlyList<byte[]> entries) => Mth(entries, 0, entries.Count);

    /// <summary>PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf-level first.</summary>
    public static List<Hash> Path(IReadOnlyList<byte[]> entries, int m) => PathOf(entries, m, 0, entries.Count);

    /// <summary>
    /// An RFC 9942 receipt for entry <paramref name="index"/>: the protected header has alg ES256, kid, vds 395 = 1 and
    /// CWT claims (iss, iat); the unprotected header has 396 {-1: [bstr .cbor [tree_size, leaf_index, path]]}; the
    /// detached payload is <paramref name="signedRoot"/> (the true root unless a test lies). <paramref name="treeSize"/>,
    /// <paramref name="leafIndex"/> and <paramref name="path"/> go into the header as given.
    /// </summary>
    public byte[] Receipt(Hash signedRoot, long treeSize, long leafIndex, IReadOnlyList<Hash> path, ECDsa? key = null, byte[]? kid = null)
    {
        var protectedHeaders = new CoseHeaderMap
        {
            [CoseHeaderLabel.Algorithm] = CoseHeaderValue.FromInt32(-7),
            [CoseHeaderLabel.KeyIdentifier] = CoseHeaderValue.FromBytes(kid ?? Kid),
            [new CoseHeaderLabel(395)] = CoseHeaderValue.FromInt32(1),
            [new CoseHeaderLabel(15)] = CoseHeaderValue.FromEncodedValue(Claims()),
        };
        var unprotectedHeaders = new CoseHeaderMap { [new CoseHeaderLabel(396)] = CoseHeaderValue.FromEncodedValue(Proofs(treeSize, leafIndex, path)) };
        var signer = new CoseSigner(key ?? Key, HashAlgorithmName.SHA256, protectedHeaders, unprotectedHeaders);
        return CoseSign1Message.SignDetached(signedRoot.ToArray(), signer);
    }

    /// <summary>The honest receipt of entry <paramref name="index"/> in the tree of <paramref name="entries"/>.</summary>
    public byte[] Receipt(IReadOnlyList<byte[]> entries, int index) => Receipt(Root(entries), entries.Count, index, Path(entries, index));

    /// <summary>The statement with <c>{394: [receipt]}</c> as its unprotected header, written here without the CLI's code.</summary>
    public static byte[] Transparent(byte[] statement, byte[] receipt)
    {
        var r = new CborReader(statement);
        r.ReadTag();
        r.ReadStartArray();
        byte[] @protected = r.ReadByteString();
        r.SkipValue();
        byte[] payload = r.ReadByteString();
        byte[] signature = r.ReadByteString();
        var w = new CborWriter();
        w.WriteTag((CborTag)18);
        w.WriteStartArray(4);
        w.WriteByteString(@protected);
        w.WriteStartMap(1);
        w.WriteInt32(394);
        w.WriteStartArray(1);
        w.WriteByteString(receipt);
        w.WriteEndArray();
        w.WriteEndMap();
        w.WriteByteString(payload);
        w.WriteByteString(signature);
        w.WriteEndArray();
        return w.Encode();
    }

    private byte[] Claims()
    {
        var w = new CborWriter();
        w.WriteStartMap(2);
        w.WriteInt32(1);
        w.WriteTextString(Origin);
        w.WriteInt32(6);
        w.WriteInt64(1_765_000_000);
        w.WriteEndMap();
        return w.Encode();
    }

    private static byte[] Proofs(long treeSize, long leafIndex, IReadOnlyList<Hash> path)
    {
        var inner = new CborWriter();
        inner.WriteStartArray(3);
        inner.WriteInt64(treeSize);
        inner.WriteInt64(leafIndex);
        inner.WriteStartArray(path.Count);
        foreach (var h in path) inner.WriteByteString(h.ToArray());
        inner.WriteEndArray();
        inner.WriteEndArray();
        var w = new CborWriter();
        w.WriteStartMap(1);
        w.WriteInt32(-1);
        w.WriteStartArray(1);
        w.WriteByteString(inner.Encode());
        w.WriteEndArray();
        w.WriteEndMap();
        return w.Encode();
    }

    private static Hash Mth(IReadOnlyList<byte[]> d, int lo, int hi)
    {
        if (hi - lo == 1) return Rfc6962.HashLeaf(d[lo]);
        int k = SplitPoint(hi - lo);
        return Rfc6962.HashChildren(Mth(d, lo, lo + k), Mth(d, lo + k, hi));
    }

    private static List<Hash> PathOf(IReadOnlyList<byte[]> d, int m, int lo, int hi)
    {
        if (hi - lo == 1) return [];
        int k = SplitPoint(hi - lo);
        return m < k ? [.. PathOf(d, m, lo, lo + k), Mth(d, lo + k, hi)] : [.. PathOf(d, m - k, lo + k, hi), Mth(d, lo, lo + k)];
    }

    // The largest power of two smaller than n (RFC 9162 §2.1.1).
    private static int SplitPoint(int n)
    {
        int k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    public void Dispose() => Key.Dispose();
}
