namespace Attest.LogServer.Scitt;

/// <summary>
/// PLACEHOLDER, replaced at merge by the receipts part's file of the same name (same signatures): RFC 9942 receipts of
/// log entries. Until then no entry has a receipt, so registrations answer 303 and stay pending.
/// </summary>
public sealed class Receipts
{
    /// <summary>The RFC 9942 receipt of the entry at <paramref name="index"/> over the newest signed checkpoint covering it, or null while none does.</summary>
    public byte[]? For(long index) => null;

    /// <summary>The statement with <c>394: [receipt]</c> in its unprotected header (RFC 9942 §3).</summary>
    public static byte[] TransparentStatement(ReadOnlySpan<byte> statement, ReadOnlySpan<byte> receipt) => throw new NotImplementedException();
}
