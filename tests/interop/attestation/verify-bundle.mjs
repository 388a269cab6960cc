// Independent, fully offline verifier of an Attest proof bundle (GET /v1/attestations/{id}/proof-bundle), used by
// tests/LogServer.Tests/IndependentVerifierTests.cs. It shares no code with the server: RFC 8785 comes from the npm
// package "canonicalize", Ed25519 from "@noble/ed25519", SHA-256/SHA-512 from "@noble/hashes"; base64, the
// RFC 9162 inclusion proof walk, C2SP tlog-proof, checkpoint and signed-note parsing are written here from the specs.
//
// Usage: node verify-bundle.mjs <bundle.json>
// Prints one JSON line {"signature","payload_hash","inclusion","checkpoint_signature","anchor"} (booleans; anchor is
// null when the bundle has none) and exits 0 only when none is false, else 1 (2 when the file cannot be read or
// parsed as JSON). The reason of each failed check goes to stderr.
//
//   signature             Ed25519 (RFC 8032, strict) of canonicalize(attestation.payload) under issuer_key.public_key
//                         (base64url), signature attestation.signature (base64url, 64 bytes).
//   payload_hash          hex SHA-256 of canonicalize(attestation.payload) == JSON.parse(log_entry.entry).payload_sha256.
//   inclusion             log_entry.tlog_proof (c2sp.org/tlog-proof@v1): leaf SHA-256(0x00 || entry) walked up its
//                         proof (RFC 9162 §2.1.3.2) with its index and the checkpoint's size gives the checkpoint's root.
//   checkpoint_signature  the checkpoint note embedded in the tlog-proof carries a signature line by log.verifier_key
//                         (C2SP signed-note, Ed25519 type 0x01: same name, same key id, and the key id is the one the
//                         spec derives from name and key) that verifies over the note text, and the checkpoint's
//                         origin is the key's name.
//   anchor                (docs/ANCHORING.md) anchor.tlog_proof's checkpoint is signed by the log key, is the anchor's
//                         tree_size and root_hash, and includes the entry; anchor.calldata is exactly
//                         "ATST" || 0x01 || uint64_be(size) || root || SHA-256(origin). The chain side (that the
//                         transaction carries that calldata) is the caller's: it needs a node.
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2';

ed.etc.sha512Sync = (...messages) => sha512(ed.etc.concatBytes(...messages));

const utf8 = new TextEncoder();

// ---- encodings (strict: canonical form only) ------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** RFC 4648 decoding with the given alphabet; padded (§4) or unpadded (§5 as used here); rejects non-zero pad bits. */
function decodeBase(text, alphabet, padded) {
  if (typeof text !== 'string') throw new Error('not a string');
  let body = text;
  if (padded) {
    if (text.length % 4 !== 0) throw new Error('base64 length is not a multiple of 4');
    body = text.replace(/={1,2}$/, '');
  } else if (text.length % 4 === 1) {
    throw new Error('base64url length is impossible');
  }
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const c of body) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`invalid character ${JSON.stringify(c)}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new Error('non-zero trailing bits (not canonical)');
  return out;
}

const base64 = (text) => decodeBase(text, B64, true);
const base64url = (text) => decodeBase(text, B64URL, false);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** A decimal without sign or leading zero (C2SP checkpoint and tlog-proof). */
function decimal(text) {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const n = BigInt(text);
  if (n >= 1n << 63n) throw new Error('number too large');
  return n;
}

// ---- RFC 6962 / RFC 9162 -------------------------------------------------------------------------------------

const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

/** RFC 9162 §2.1.3.2: verifies an inclusion proof of leaf `index` in a tree of `size` leaves with root `root`. */
function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) throw new Error(`index ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error('proof is longer than the path');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('proof is shorter than the path');
  if (!equal(r, root)) throw new Error(`computed root ${hex(r)} is not the checkpoint's root ${hex(root)}`);
}

// ---- C2SP tlog-proof, tlog-checkpoint, signed-note -----------------------------------------------------------

/** c2sp.org/tlog-proof@v1: header, optional extra, index, base64 hashes, an empty line, then the signed checkpoint. */
function parseTlogProof(text) {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error('tlog-proof has no empty line before the checkpoint');
  const lines = text.slice(0, split).split('\n');
  const note = text.slice(split + 2);
  let i = 0;
  if (lines[i++] !== 'c2sp.org/tlog-proof@v1') throw new Error('tlog-proof header is not c2sp.org/tlog-proof@v1');
  if (lines[i]?.startsWith('extra ')) base64(lines[i++].slice('extra '.length));
  if (!lines[i]?.startsWith('index ')) throw new Error('tlog-proof has no index line');
  const index = decimal(lines[i++].slice('index '.length));
  const proof = lines.slice(i).map((line) => {
    const h = base64(line);
    if (h.length !== 32) throw new Error('a proof hash is not 32 bytes');
    return h;
  });
  return { index, proof, note };
}

/** c2sp.org/tlog-checkpoint: origin, decimal size, base64 root hash, optional extension lines; text ends in "\n". */
function parseCheckpoint(text) {
  if (!text.endsWith('\n')) throw new Error('checkpoint text does not end in a line break');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines[0] === '') throw new Error('checkpoint has fewer than three lines');
  const root = base64(lines[2]);
  if (root.length !== 32) throw new Error('checkpoint root is not 32 bytes');
  return { origin: lines[0], size: decimal(lines[1]), root };
}

/** C2SP signed-note verifier key: name "+" hex key id (8 digits) "+" base64(type || public key); type 0x01 is Ed25519. */
function parseVerifierKey(text) {
  // Split at the first two "+" only: the base64 key may itself hold "+".
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new Error('verifier key is not name+id+key');
  const [name, idHex, keyText] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (name === '' || /[\s+]/.test(name)) throw new Error('verifier key name is invalid');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error('verifier key id is not 8 lowercase hex digits');
  const key = base64(keyText);
  if (key.length !== 33 || key[0] !== 0x01) throw new Error('verifier key is not an Ed25519 (type 0x01) key');
  // Key id: the first 4 bytes of SHA-256(name || "\n" || type || public key).
  const derived = hex(sha256(concat(utf8.encode(name), Uint8Array.of(0x0a), key)).slice(0, 4));
  if (derived !== idHex) throw new Error(`verifier key id ${idHex} is not the derived ${derived}`);
  return { name, id: Uint8Array.from(idHex.match(/../g), (b) => parseInt(b, 16)), publicKey: key.slice(1) };
}

/** Splits a signed note into its text (ending in "\n") and its signature lines "— name base64(id || sig)". */
function parseNote(note) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('note has no empty line before its signatures');
  const text = note.slice(0, split + 1);
  const rest = note.slice(split + 2);
  if (!rest.endsWith('\n')) throw new Error('note signatures do not end in a line break');
  const signatures = rest.slice(0, -1).split('\n').map((line) => {
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line ${JSON.stringify(line)}`);
    const blob = base64(m[2]);
    if (blob.length < 5) throw new Error('signature is too short');
    return { name: m[1], id: blob.slice(0, 4), sig: blob.slice(4) };
  });
  return { text, signatures };
}

// ---- the four checks ---------------------------------------------------------------------------------------

const reasons = {};
function check(name, fn) {
  try {
    const ok = fn();
    if (ok !== true) throw new Error('check failed');
    return true;
  } catch (e) {
    reasons[name] = e.message;
    return false;
  }
}

let bundle;
try {
  bundle = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (e) {
  process.stderr.write(`cannot read the bundle: ${e.message}\n`);
  process.exit(2);
}

const payloadBytes = () => {
  const canonical = canonicalize(bundle.attestation.payload);
  if (typeof canonical !== 'string') throw new Error('attestation.payload cannot be canonicalized');
  return utf8.encode(canonical);
};

const signature = check('signature', () => {
  const sig = base64url(bundle.attestation.signature);
  const pub = base64url(bundle.issuer_key.public_key);
  if (sig.length !== 64) throw new Error('signature is not 64 bytes');
  if (pub.length !== 32) throw new Error('issuer public key is not 32 bytes');
  if (!ed.verify(sig, payloadBytes(), pub, { zip215: false })) throw new Error('Ed25519 signature does not verify');
  return true;
});

const payload_hash = check('payload_hash', () => {
  const logged = JSON.parse(bundle.log_entry.entry).payload_sha256;
  const computed = hex(sha256(payloadBytes()));
  if (logged !== computed) throw new Error(`entry payload_sha256 ${logged} is not SHA-256(JCS(payload)) ${computed}`);
  return true;
});

const proof = (() => {
  try {
    return parseTlogProof(bundle.log_entry.tlog_proof);
  } catch (e) {
    reasons.tlog_proof = e.message;
    return null;
  }
})();

const inclusion = check('inclusion', () => {
  if (!proof) throw new Error('no tlog-proof: ' + reasons.tlog_proof);
  const { text } = parseNote(proof.note);
  const checkpoint = parseCheckpoint(text);
  const entry = utf8.encode(bundle.log_entry.entry);
  if (typeof bundle.log_entry.index === 'number' && BigInt(bundle.log_entry.index) !== proof.index)
    throw new Error(`log_entry.index ${bundle.log_entry.index} is not the tlog-proof's index ${proof.index}`);
  verifyInclusion(proof.index, checkpoint.size, leafHash(entry), proof.proof, checkpoint.root);
  return true;
});

/** The checkpoint of a signed note, after checking the note carries a valid signature by the log's key. */
function signedCheckpoint(note) {
  const key = parseVerifierKey(bundle.log.verifier_key);
  const { text, signatures } = parseNote(note);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== key.name) throw new Error(`checkpoint origin ${checkpoint.origin} is not the key name ${key.name}`);
  const mine = signatures.filter((s) => s.name === key.name && equal(s.id, key.id));
  if (mine.length === 0) throw new Error(`no signature line by ${key.name}+${hex(key.id)}`);
  for (const s of mine) {
    if (s.sig.length !== 64) throw new Error('note signature is not 64 bytes');
    if (!ed.verify(s.sig, utf8.encode(text), key.publicKey, { zip215: false })) throw new Error('note signature does not verify');
  }
  return checkpoint;
}

const checkpoint_signature = check('checkpoint_signature', () => {
  if (!proof) throw new Error('no tlog-proof: ' + reasons.tlog_proof);
  signedCheckpoint(proof.note);
  return true;
});

const anchor = bundle.anchor == null ? null : check('anchor', () => {
  const a = bundle.anchor;
  const anchored = parseTlogProof(a.tlog_proof);
  const checkpoint = signedCheckpoint(anchored.note);
  if (checkpoint.size !== BigInt(a.tree_size)) throw new Error(`anchored checkpoint size ${checkpoint.size} is not tree_size ${a.tree_size}`);
  if (!equal(checkpoint.root, base64(a.root_hash))) throw new Error('anchored checkpoint root is not root_hash');
  if (anchored.index !== BigInt(bundle.log_entry.index)) throw new Error(`anchor proof is for index ${anchored.index}`);
  verifyInclusion(anchored.index, checkpoint.size, leafHash(utf8.encode(bundle.log_entry.entry)), anchored.proof, checkpoint.root);
  const calldata = new Uint8Array(77);
  calldata.set(utf8.encode('ATST'), 0);
  calldata[4] = 1;
  new DataView(calldata.buffer).setBigUint64(5, checkpoint.size);
  calldata.set(checkpoint.root, 13);
  calldata.set(sha256(utf8.encode(checkpoint.origin)), 45);
  if (a.calldata !== '0x' + hex(calldata)) throw new Error(`calldata ${a.calldata} is not 0x${hex(calldata)}`);
  return true;
});

const result = { signature, payload_hash, inclusion, checkpoint_signature, anchor };
process.stdout.write(JSON.stringify(result) + '\n');
if (Object.keys(reasons).length > 0) process.stderr.write(JSON.stringify(reasons) + '\n');
process.exit(signature && payload_hash && inclusion && checkpoint_signature && anchor !== false ? 0 : 1);
