using Nethereum.Util;

namespace Attest.LogServer.Anchor;

/// <summary>
/// Ethereum addresses in text, with EIP-55's mixed-case checksum: a letter digit is upper case when the matching
/// nibble of Keccak-256(lowercase hex) is 8 or more, so a typo in a checksummed address is caught before funds move.
/// </summary>
public static class EvmAddress
{
    /// <summary>
    /// Parses "0x" followed by 40 hex digits. All-lowercase and all-uppercase forms carry no checksum and are taken as
    /// they are (EIP-55 keeps them valid for compatibility); a mixed-case form must match its checksum exactly.
    /// </summary>
    public static bool TryParse(string text, out byte[] address)
    {
        address = [];
        if (text is null || text.Length != 42 || !text.StartsWith("0x", StringComparison.Ordinal)) return false;
        var digits = text.AsSpan(2);
        foreach (var c in digits)
            if (!char.IsAsciiHexDigit(c)) return false;
        var bytes = Convert.FromHexString(digits);
        bool lower = false, upper = false;
        foreach (var c in digits)
        {
            lower |= c is >= 'a' and <= 'f';
            upper |= c is >= 'A' and <= 'F';
        }
        if (lower && upper && !digits.SequenceEqual(Format(bytes).AsSpan(2))) return false;
        address = bytes;
        return true;
    }

    /// <summary>The EIP-55 checksummed form of a 20-byte address.</summary>
    public static string Format(ReadOnlySpan<byte> address20)
    {
        if (address20.Length != 20) throw new ArgumentException("An Ethereum address is 20 bytes.", nameof(address20));
        return AddressUtil.Current.ConvertToChecksumAddress(address20.ToArray());
    }
}
