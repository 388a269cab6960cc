using System.Security.Cryptography;
using System.Text;

namespace Attest.LogServer.Service.Mail;

/// <summary>
/// The secrets a mail to a holder carries, derived rather than stored. A mailed attestation's holder token is
/// <c>attest_holder_</c> + base64url(HMAC-SHA256(K, "holder\n" + id)), with K derived from the key-encryption key:
/// the mail can be sent, or sent again after a crash, without the token being written anywhere (the attestation keeps
/// only its SHA-256, as every attestation does), and the mint's answer does not carry it, so only the mailbox gets it.
/// The inbox token, <c>attest_inbox_</c> + base64url(inbox(16) || tag(16)), opens the list of every attestation sent
/// to one address; the inbox is HMAC(K, "inbox\n" + address)[..16], a pseudonym of the address that only this server
/// can compute, and the tag proves the server made the token.
/// </summary>
public sealed class HolderLinks(KeyVault vault)
{
    public const string InboxPrefix = "attest_inbox_";
    public const int InboxLength = 16;

    private readonly byte[] key = vault.DeriveKey("attest/mail/holder-links/v1");

    public string HolderToken(Guid attestationId)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("holder\n" + attestationId), mac);
        return Service.HolderToken.Prefix + Secrets.Base64Url(mac);
    }

    /// <summary>The inbox of a normalized address (<see cref="Commands.EmailAddress.Normalize"/>).</summary>
    public byte[] Inbox(string normalizedAddress) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("inbox\n" + normalizedAddress))[..InboxLength];

    public string InboxToken(ReadOnlySpan<byte> inbox)
    {
        Span<byte> token = stackalloc byte[2 * InboxLength];
        inbox.CopyTo(token);
        Tag(inbox, token[InboxLength..]);
        return InboxPrefix + Secrets.Base64Url(token);
    }

    /// <summary>The inbox a presented token opens, if this server made it; the tag is compared in constant time.</summary>
    public bool TryOpenInbox(string? token, out byte[] inbox)
    {
        inbox = [];
        if (token is null || !token.StartsWith(InboxPrefix, StringComparison.Ordinal)) return false;
        Span<byte> bytes = stackalloc byte[2 * InboxLength + 2];
        if (!System.Buffers.Text.Base64Url.TryDecodeFromChars(token.AsSpan(InboxPrefix.Length), bytes, out int n) || n != 2 * InboxLength) return false;
        Span<byte> tag = stackalloc byte[InboxLength];
        Tag(bytes[..InboxLength], tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, bytes[InboxLength..n])) return false;
        inbox = bytes[..InboxLength].ToArray();
        return true;
    }

    // Each input starts with its own label ("holder\n", "inbox\n", "tag\n"), so no two uses of K can collide.
    private void Tag(ReadOnlySpan<byte> inbox, Span<byte> tag)
    {
        Span<byte> input = stackalloc byte[4 + InboxLength];
        "tag\n"u8.CopyTo(input);
        inbox.CopyTo(input[4..]);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, input, mac);
        mac[..InboxLength].CopyTo(tag);
    }
}
