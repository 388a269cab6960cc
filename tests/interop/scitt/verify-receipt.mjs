// Verifies COSE receipts (RFC 9942) of an Attest log with @transmute/cose, a COSE library nobody here wrote:
//
//   node verify-receipt.mjs --keys <scitt-keys.cbor> --receipt <receipt.cbor> --entry <entry file>
//   node verify-receipt.mjs --keys <scitt-keys.cbor> --receipt <receipt.cbor> --consistency --old-root <hex> --new-root <hex>
//   node verify-receipt.mjs --keys <scitt-keys.cbor> --transparent <statement.cbor> --issuer-key <jwk.json>
//
// A Transparent Statement (RFC 9943 §7) is checked whole by @transmute/cose's receipt verifier: the issuer's ES256
// signature under the issuer's JWK, then each receipt in header 394 with the statement without 394 as the leaf.
// The keys are the COSE Key Set of GET /.well-known/scitt-keys; the receipt's kid picks the key. For an inclusion
// receipt, the entry's bytes are the leaf: @transmute/cose hashes them (SHA-256(0x00 || entry), RFC 9162 §2.1.1),
// recomputes the root from the receipt's proof and checks the ES256 signature over it. Prints
// {"verified": true, "root": hex, "tree_size", "leaf_index"} and exits 0, or prints why and exits 1.
import { readFileSync } from 'node:fs';
import * as cose from '@transmute/cose';

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--consistency') out.consistency = true;
    else if (['--keys', '--receipt', '--entry', '--old-root', '--new-root', '--transparent', '--issuer-key'].includes(a)) out[a.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!out.keys || !(out.receipt || out.transparent)) throw new Error('--keys and --receipt (or --transparent) are required');
  return out;
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

async function main() {
  const opt = args(process.argv.slice(2));
  const keySet = cose.cbor.decode(readFileSync(opt.keys));
  if (!Array.isArray(keySet)) throw new Error('the key set is not a CBOR array (RFC 9052 §7)');
  const issuerKey = opt['issuer-key'] ? JSON.parse(readFileSync(opt['issuer-key'], 'utf8')) : null;

  // The protected kid (a bstr) against each COSE_Key's kid (label 2); the issuer's kid against its JWK's.
  const resolver = {
    resolve: async (coseSign1) => {
      const { value } = cose.cbor.decodeFirstSync(coseSign1);
      const kid = cose.cbor.decode(value[0]).get(4);
      const bytes = (b) => (b instanceof Uint8Array ? Buffer.from(b) : null);
      const match = keySet.find((k) => k instanceof Map && bytes(k.get(2)) && bytes(kid) && bytes(k.get(2)).equals(bytes(kid)));
      if (match) return cose.key.convertCoseKeyToJsonWebKey(match);
      if (issuerKey && bytes(kid) && bytes(kid).toString('utf8') === issuerKey.kid) return issuerKey;
      throw new Error(`no key has the kid ${kid ? hex(kid) : '(none)'}`);
    },
  };

  if (opt.transparent) {
    const transparent = readFileSync(opt.transparent);
    const { tag, value } = cose.cbor.decode(transparent);
    if (tag !== 18) throw new Error('not a tagged COSE_Sign1');
    const receipts = value[1] instanceof Map ? value[1].get(394) ?? [] : [];
    if (receipts.length === 0) throw new Error('no receipt in header 394');
    const verification = await (await cose.receipt.verifier({ resolve: resolver.resolve })).verify({ coseSign1: transparent, payload: value[2] });
    console.log(JSON.stringify({ verified: true, payload: Buffer.from(verification.payload).toString('utf8'), roots: verification.receipts.map(hex) }));
    return;
  }

  const receipt = readFileSync(opt.receipt);
  const verifier = cose.detached.verifier({ resolver });
  const { value } = cose.cbor.decode(receipt);
  const proofs = value[1].get(396);

  if (opt.consistency) {
    const [size1, size2] = cose.cbor.decode(proofs.get(-2)[0]);
    const ok = await cose.receipt.consistency.verify({
      oldRoot: Buffer.from(opt['old-root'], 'hex'),
      newRoot: Buffer.from(opt['new-root'], 'hex'),
      receipt,
      verifier,
    });
    if (ok !== true) throw new Error('the consistency proof does not verify');
    console.log(JSON.stringify({ verified: true, tree_size_1: size1, tree_size_2: size2 }));
    return;
  }

  if (!opt.entry) throw new Error('--entry is required for an inclusion receipt');
  const leaf = await cose.receipt.leaf(new Uint8Array(readFileSync(opt.entry)));
  const root = await cose.receipt.inclusion.verify({ entry: leaf, receipt, verifier });
  const [treeSize, leafIndex] = cose.cbor.decode(proofs.get(-1)[0]);
  console.log(JSON.stringify({ verified: true, root: hex(root), tree_size: treeSize, leaf_index: leafIndex }));
}

main().catch((e) => {
  console.log(JSON.stringify({ verified: false, error: String(e?.message ?? e) }));
  process.exit(1);
});
