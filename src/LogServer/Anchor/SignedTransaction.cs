namespace Attest.LogServer.Anchor;

/// <summary>
/// A signed transaction as sent with eth_sendRawTransaction. Per EIP-2718 the transaction hash is Keccak-256 of the
/// whole raw form, type byte included for typed transactions, so it is known before the node sees it and can be used
/// to look the transaction up however the submission went.
/// </summary>
/// <param name="Raw">The raw transaction: an EIP-2718 typed envelope, or a legacy RLP list.</param>
/// <param name="Hash">"0x" and the lowercase hex of Keccak-256(Raw).</param>
public sealed record SignedTransaction(byte[] Raw, string Hash);
