// An independent reader of an anchor transaction: ethers (not our code) fetches it from the node, recovers its
// signer from the raw signed bytes, and decodes the ATST calldata (docs/ANCHORING.md).
// Usage: node read-anchor.mjs <rpc-url> <tx-hash>   → one JSON object on stdout.
import { JsonRpcProvider, Transaction, getBytes, hexlify, toUtf8String } from "ethers";

const [url, hash] = process.argv.slice(2);
const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
const raw = await provider.send("eth_getRawTransactionByHash", [hash]);
if (!raw) throw new Error(`the node has no transaction ${hash}`);
const tx = Transaction.from(raw);
if (tx.hash !== hash.toLowerCase()) throw new Error(`raw transaction hashes to ${tx.hash}, not ${hash}`);
const receipt = await provider.getTransactionReceipt(hash);
const block = receipt ? await provider.getBlock(receipt.blockHash) : null;

const data = getBytes(tx.data);
let calldata = null;
if (data.length === 77 && toUtf8String(data.slice(0, 4)) === "ATST") {
  const view = new DataView(data.buffer, data.byteOffset);
  calldata = {
    version: data[4],
    tree_size: view.getBigUint64(5).toString(),
    root_hash: Buffer.from(data.slice(13, 45)).toString("base64"),
    origin_sha256: hexlify(data.slice(45, 77)).slice(2),
  };
}

console.log(JSON.stringify({
  hash: tx.hash,
  type: tx.type,
  chain_id: tx.chainId.toString(),
  nonce: tx.nonce,
  from: tx.from,
  to: tx.to,
  data: tx.data,
  max_fee_per_gas: tx.maxFeePerGas?.toString() ?? null,
  gas_price: tx.gasPrice?.toString() ?? null,
  calldata,
  status: receipt?.status ?? null,
  block_number: receipt?.blockNumber ?? null,
  block_hash: receipt?.blockHash ?? null,
  block_timestamp: block?.timestamp ?? null,
}));
