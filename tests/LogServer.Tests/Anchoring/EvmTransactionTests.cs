using System.Numerics;
using Attest.LogServer.Anchor;

namespace Attest.LogServer.Tests.Anchoring;

/// <summary>
/// EIP-55 addresses, strict key parsing and EIP-155 / EIP-1559 transactions (signed through Nethereum), against
/// public vectors and against transactions signed independently by ethers 6.17.0.
/// </summary>
public sealed class EvmTransactionTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.StartsWith("0x") ? hex[2..] : hex);

    private static string ToHex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);

    // ---- EIP-155's own example -----------------------------------------------------------------------------------

    private const string Eip155Key = "0x4646464646464646464646464646464646464646464646464646464646464646";
    private static readonly byte[] To3535 = Hex("0x3535353535353535353535353535353535353535");

    [Fact]
    public void Eip155_example_transaction_signs_byte_for_byte()
    {
        // EIP-155, "Example": nonce 9, gasPrice 20 gwei, gas 21000, to 0x3535…35, value 1 ether, no data, chain id 1.
        var tx = EvmTransaction.Legacy(EvmKey.FromHex(Eip155Key), chainId: 1, nonce: 9, gasPrice: 20_000_000_000,
            gasLimit: 21000, To3535, value: BigInteger.Pow(10, 18), data: []);
        Assert.Equal(
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
            ToHex(tx.Raw));
        // Keccak-256 of the raw transaction, as ethers 6.17.0 gives it: Transaction.from(raw).hash.
        Assert.Equal("0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788", tx.Hash);
    }

    // ---- Keys and EIP-55 addresses -------------------------------------------------------------------------------

    private const string AnvilKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    [Fact]
    public void Anvil_and_hardhat_first_dev_key_has_its_published_address()
    {
        // Account #0 printed by `anvil` and `npx hardhat node` (the "test test … junk" mnemonic).
        var key = EvmKey.FromHex(AnvilKey0);
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", key.Address);
        Assert.Equal(Hex("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), key.AddressBytes);
    }

    [Fact]
    public void Eip155_example_key_has_the_sender_address_ethers_recovers()
    {
        // ethers 6.17.0: new Wallet("0x4646…46").address (the sender of EIP-155's example transaction).
        Assert.Equal("0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", EvmKey.FromHex(Eip155Key).Address);
    }

    [Fact]
    public void Key_ToString_shows_the_address_and_not_the_secret()
    {
        var key = EvmKey.FromHex(AnvilKey0);
        Assert.Equal(key.Address, key.ToString());
        Assert.DoesNotContain(AnvilKey0[2..], key.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ac0974", $"{key}", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AddressBytes_is_a_copy_callers_cannot_corrupt()
    {
        var key = EvmKey.FromHex(AnvilKey0);
        key.AddressBytes[0] ^= 0xff;
        Assert.Equal(0xf3, key.AddressBytes[0]);
    }

    [Theory]
    // EIP-55, "Test Cases": all caps, all lower, and normal (mixed case) addresses, each its own checksummed form.
    [InlineData("0x52908400098527886E0F7030069857D2E4169EE7")]
    [InlineData("0x8617E340B3D01FA5F11F306F4090FD50E238070D")]
    [InlineData("0xde709f2102306220921060314715629080e2fb77")]
    [InlineData("0x27b1fdb04752bbc536007a920d24acb045561c26")]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")]
    [InlineData("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB")]
    [InlineData("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")]
    public void Eip55_test_case_formats_and_parses_as_itself(string address)
    {
        Assert.True(EvmAddress.TryParse(address, out var bytes));
        Assert.Equal(Hex(address), bytes);
        Assert.Equal(address, EvmAddress.Format(bytes));
        // The unchecksummed forms of a checksummed address are accepted too.
        Assert.True(EvmAddress.TryParse("0x" + address[2..].ToLowerInvariant(), out var lower));
        Assert.Equal(bytes, lower);
        Assert.True(EvmAddress.TryParse("0x" + address[2..].ToUpperInvariant(), out var upper));
        Assert.Equal(bytes, upper);
    }

    [Theory]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")] // EIP-55 example with its last letter's case flipped
    [InlineData("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] // … and its first
    [InlineData("0xfb6916095ca1df60bB79Ce92cE3Ea74c37c5d359")]
    [InlineData("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] // no 0x
    [InlineData("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] // 0X
    [InlineData("005aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae")] // 39 digits
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed0")] // 41 digits
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00")] // 21 bytes
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg")] // not hex
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea d")]
    [InlineData(" 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")]
    [InlineData("0x")]
    [InlineData("")]
    public void Address_parsing_rejects_bad_checksums_lengths_and_prefixes(string text)
    {
        Assert.False(EvmAddress.TryParse(text, out var address));
        Assert.Empty(address);
    }

    [Fact]
    public void Address_formatting_needs_exactly_20_bytes()
    {
        Assert.Throws<ArgumentException>(() => EvmAddress.Format(new byte[19]));
        Assert.Throws<ArgumentException>(() => EvmAddress.Format(new byte[21]));
    }

    // secp256k1 group order n (SEC 2 v2 §2.4.1).
    private const string N = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8")] // 63 digits
    [InlineData("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff800")] // 65 digits
    [InlineData("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8")]
    [InlineData("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff800")]
    [InlineData("zc0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")] // not hex
    [InlineData("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8 ")]
    [InlineData(" ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")]
    [InlineData("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n")]
    [InlineData("0X" + "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")]
    [InlineData("0x0x" + "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")] // zero
    [InlineData("0x" + N)] // n
    [InlineData("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142")] // n + 1
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    public void Private_key_parsing_is_strict(string hex)
    {
        Assert.Throws<FormatException>(() => EvmKey.FromHex(hex));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000001")]
    [InlineData("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")] // n - 1
    [InlineData("0xAC0974BEC39A17E36BA4A6B4D238FF944BACB478CBED5EFCAE784D7BF4F2FF80")]
    public void Private_key_parsing_accepts_the_whole_valid_range_in_either_case(string hex)
    {
        Assert.Equal(40 + 2, EvmKey.FromHex(hex).Address.Length);
    }

    [Fact]
    public void Private_key_one_has_the_address_of_the_generator()
    {
        // 1·G is the generator itself; its address is the well-known 0x7E5F…BdF (e.g. ethers, web3 test suites).
        Assert.Equal("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            EvmKey.FromHex("0000000000000000000000000000000000000000000000000000000000000001").Address);
    }

    // ---- Transactions signed independently by ethers 6.17.0 ------------------------------------------------------
    //
    // Produced by tests/interop/evm/signing-vectors.mjs (cd tests/interop/evm && node signing-vectors.mjs), which for
    // each vector runs:
    //     const tx = Transaction.from(fields);
    //     tx.signature = wallet.signingKey.sign(tx.unsignedHash);
    //     console.log(tx.serialized, tx.hash);
    // with the fields repeated in each test below. ethers signs with RFC 6979 nonces (@noble/curves), so the output
    // is reproducible.

    // Transaction.from({ type: 2, chainId: 1n, nonce: 0, maxPriorityFeePerGas: 1_500_000_000n,
    //   maxFeePerGas: 30_000_000_000n, gasLimit: 60_000n, to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    //   value: 0n, data: <77 bytes, byte i = (i*37 + 11) & 0xff>, accessList: [] }), signed with anvil key #0
    [Fact]
    public void Eip1559_transaction_with_77_bytes_of_calldata_matches_ethers()
    {
        var data = Enumerable.Range(0, 77).Select(i => (byte)((i * 37 + 11) & 0xff)).ToArray();
        Assert.Equal("0x0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc01264b7095badf04294e7398bde207", ToHex(data));
        Assert.True(EvmAddress.TryParse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", out var to));

        var tx = EvmTransaction.Eip1559(EvmKey.FromHex(AnvilKey0), chainId: 1, nonce: 0, maxPriorityFeePerGas: 1_500_000_000,
            maxFeePerGas: 30_000_000_000, gasLimit: 60_000, to, value: 0, data);

        Assert.Equal(
            "0x02f8b901808459682f008506fc23ac0082ea609470997970c51812dc3a010c7d01b50e0d17dc79c880b84d0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc01264b7095badf04294e7398bde207c001a083ae1902132eef6c109a0a854296d79ab3a14d8655e06708f06ea8dad24a64fba02140b941e9feac054e0833cf98a4e714a6eaa3ff03dd40a02ff13904062a6107",
            ToHex(tx.Raw));
        Assert.Equal("0x20e2eab9fde3d35efd9dab4f00c4520d42bfd0391740e9e29a9f52f1d42b7aad", tx.Hash);
    }

    // Transaction.from({ type: 2, chainId: 31337n, nonce: 1_234_567, maxPriorityFeePerGas: (1n << 64n) + 5n,
    //   maxFeePerGas: (1n << 72n) + 12345n, gasLimit: 30_000_000n, to: "0x3535353535353535353535353535353535353535",
    //   value: 10n ** 24n, data: "0x", accessList: [] }), signed with the EIP-155 example key 0x4646…46
    [Fact]
    public void Eip1559_transaction_with_fees_above_2_to_the_64_and_a_large_nonce_matches_ethers()
    {
        var tx = EvmTransaction.Eip1559(EvmKey.FromHex(Eip155Key), chainId: 31337, nonce: 1_234_567,
            maxPriorityFeePerGas: (BigInteger.One << 64) + 5, maxFeePerGas: (BigInteger.One << 72) + 12345,
            gasLimit: 30_000_000, To3535, value: BigInteger.Pow(10, 24), data: []);

        Assert.Equal(
            "0x02f886827a698312d687890100000000000000058a010000000000000030398401c9c3809435353535353535353535353535353535353535358ad3c21bcecceda100000080c080a07382c88ee04b74ba12c8b552530785b6004c635bbcc663d67e15636be600af26a03f578dbc0b3f79bcfb41020c929760e7cba1efeb3c8398efaf3cae6f4503ce8e",
            ToHex(tx.Raw));
        Assert.Equal("0x01e4008a3a6f8cea65b2a419a71b805074fb5b83534713f6840267c6085b8b66", tx.Hash);
    }

    // Transaction.from({ type: 2, chainId: 11155111n, nonce: 42, maxPriorityFeePerGas: 0n, maxFeePerGas: 1n,
    //   gasLimit: 21_000n, to: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", value: 1n, data: "0x00ff",
    //   accessList: [] }), signed with anvil key #0
    [Fact]
    public void Eip1559_transaction_with_a_zero_tip_on_sepolia_matches_ethers()
    {
        var key = EvmKey.FromHex(AnvilKey0);
        var tx = EvmTransaction.Eip1559(key, chainId: 11155111, nonce: 42, maxPriorityFeePerGas: 0, maxFeePerGas: 1,
            gasLimit: 21_000, key.AddressBytes, value: 1, data: [0x00, 0xff]);

        Assert.Equal(
            "0x02f86783aa36a72a800182520894f39fd6e51aad88f6f4ce6ab8827279cfffb92266018200ffc080a070a9714704c9e8a4922362d39434cf52f6a1b370ee0035cec6c033eb6a7513c6a032352a8855fab4f48a5625c4f003657692da54b74d94acb18df3a7ddf091c684",
            ToHex(tx.Raw));
        Assert.Equal("0xf5b8f634d3797660c9611eb224158dfe3b4a1a18b1f09173cce0e94de1145e32", tx.Hash);
    }

    // Transaction.from({ type: 0, chainId: 31337n, nonce: 7, gasPrice: 2_000_000_000n, gasLimit: 21_000n,
    //   to: "0x3535353535353535353535353535353535353535", value: 1n, data: keccak256(toUtf8Bytes("anchor")) }),
    //   signed with anvil key #0
    [Fact]
    public void Eip155_legacy_transaction_on_anvils_chain_31337_matches_ethers()
    {
        var data = Hex("0x17cc2a1f1be69bd92df3c38728af7a244d8aa76f0a6489d95271004fde8aac75"); // keccak256(toUtf8Bytes("anchor"))
        var tx = EvmTransaction.Legacy(EvmKey.FromHex(AnvilKey0), chainId: 31337, nonce: 7, gasPrice: 2_000_000_000,
            gasLimit: 21_000, To3535, value: 1, data);

        Assert.Equal(
            "0xf88507847735940082520894353535353535353535353535353535353535353501a017cc2a1f1be69bd92df3c38728af7a244d8aa76f0a6489d95271004fde8aac7582f4f6a0827d72099e3de06733fc4e70645e1341fd6427aaf4e8fe6a3128bac943cd1e4da02e718062930e304d073e852685430166cf29055b34aa773ec82fc6d9181ffc47",
            ToHex(tx.Raw));
        Assert.Equal("0xbc88375c8c694009b67d27dc8785fcf267e103406f8ce106febd79ef8686c84f", tx.Hash);
    }

    // ---- Arguments a node would reject ---------------------------------------------------------------------------

    [Fact]
    public void Transactions_refuse_arguments_no_node_would_accept()
    {
        var key = EvmKey.FromHex(AnvilKey0);
        Assert.Throws<ArgumentException>(() => EvmTransaction.Eip1559(key, 1, 0, 1, 1, 21000, new byte[19], 0, []));
        Assert.Throws<ArgumentException>(() => EvmTransaction.Eip1559(key, 1, 0, 1, 1, 21000, [], 0, []));
        Assert.Throws<ArgumentException>(() => EvmTransaction.Eip1559(key, 1, 0, 2, 1, 21000, To3535, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Eip1559(key, 0, 0, 1, 1, 21000, To3535, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Eip1559(key, 1, -1, 1, 1, 21000, To3535, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Eip1559(key, 1, 0, 1, 1, -1, To3535, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Eip1559(key, 1, 0, 1, 1, 21000, To3535, -1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Eip1559(key, 1, 0, 1, BigInteger.One << 256, 21000, To3535, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Legacy(key, 0, 0, 1, 21000, To3535, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvmTransaction.Legacy(key, 1, 0, -1, 21000, To3535, 0, []));
        Assert.Throws<ArgumentException>(() => EvmTransaction.Legacy(key, 1, 0, 1, 21000, new byte[21], 0, []));
        Assert.Throws<ArgumentNullException>(() => EvmTransaction.Legacy(null!, 1, 0, 1, 21000, To3535, 0, []));
    }
}
