// Independent signing vectors for tests/LogServer.Tests/Anchoring/EvmTransactionTests.cs, produced by ethers 6.17.0
// (pinned in package.json). Run: cd tests/interop/evm && node signing-vectors.mjs
// The output is pasted into the test as constants; re-running must print the same bytes, since ethers
// (via @noble/curves) signs with RFC 6979 deterministic nonces.
import { Transaction, Wallet, keccak256, toUtf8Bytes } from "ethers";

const anvil0 = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const eip155 = new Wallet("0x4646464646464646464646464646464646464646464646464646464646464646");

// 77 bytes of calldata: a 32-byte root, an 8-byte size and a 37-byte origin, roughly what an anchor carries.
const calldata77 = "0x" + Buffer.from(Array.from({ length: 77 }, (_, i) => (i * 37 + 11) & 0xff)).toString("hex");

const vectors = [
  ["type2_calldata77", anvil0, {
    type: 2, chainId: 1n, nonce: 0, maxPriorityFeePerGas: 1_500_000_000n, maxFeePerGas: 30_000_000_000n,
    gasLimit: 60_000n, to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", value: 0n, data: calldata77, accessList: [],
  }],
  ["type2_large_fees", eip155, {
    type: 2, chainId: 31337n, nonce: 1_234_567, maxPriorityFeePerGas: (1n << 64n) + 5n, maxFeePerGas: (1n << 72n) + 12345n,
    gasLimit: 30_000_000n, to: "0x3535353535353535353535353535353535353535", value: 10n ** 24n, data: "0x", accessList: [],
  }],
  ["type2_sepolia", anvil0, {
    type: 2, chainId: 11155111n, nonce: 42, maxPriorityFeePerGas: 0n, maxFeePerGas: 1n,
    gasLimit: 21_000n, to: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", value: 1n, data: "0x00ff", accessList: [],
  }],
  ["legacy_31337", anvil0, {
    type: 0, chainId: 31337n, nonce: 7, gasPrice: 2_000_000_000n, gasLimit: 21_000n,
    to: "0x3535353535353535353535353535353535353535", value: 1n, data: keccak256(toUtf8Bytes("anchor")),
  }],
];

for (const [name, wallet, fields] of vectors) {
  const tx = Transaction.from(fields);
  tx.signature = wallet.signingKey.sign(tx.unsignedHash);
  console.log(JSON.stringify({ name, from: wallet.address, data: fields.data, raw: tx.serialized, hash: tx.hash }));
}
