// In-browser verification of Attest proofs, with WebCrypto only (Ed25519, SHA-256): nothing here asks the server.
// The page's own verifier: the checks, their names, the key rule and the verdicts are those of docs/VERIFYING.md,
// in step with src/Verification/BundleVerifier.cs (the CLI's and the server's). Each format function cites its spec.
// Untrusted input (an uploaded bundle, a pasted policy) is parsed strictly: a malformed part fails the check that
// needs it, with the reason, and never the page.

const utf8 = new TextEncoder();

// ---- encodings (strict: canonical forms only) -------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** RFC 4648 §4 (padded base64) or §5 (base64url, unpadded as Attest writes it); rejects non-zero pad bits. */
function decodeBase(text, alphabet, padded) {
  if (typeof text !== 'string') throw new Error('expected a base64 string');
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
    if (v < 0) throw new Error(`invalid base64 character ${JSON.stringify(c)}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new Error('non-zero trailing bits (not canonical base64)');
  return out;
}

export const base64 = (text) => decodeBase(text, B64, true);
export const base64url = (text) => decodeBase(text, B64URL, false);
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
export const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export function fromHex(text) {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error('not hex');
  return Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A decimal without sign or leading zero, below 2^63 (c2sp.org/tlog-checkpoint, c2sp.org/tlog-proof). */
function decimal(text) {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const n = BigInt(text);
  if (n >= 1n << 63n) throw new Error('number too large');
  return n;
}

// ---- RFC 8785 (JCS) ---------------------------------------------------------------------------------------------

/**
 * RFC 8785 canonical JSON of a parsed value: object members sorted by their UTF-16 code units (§3.2.3), strings
 * and numbers serialized as ECMAScript JSON.stringify does (§3.2.2.2, §3.2.2.3), no whitespace. Lone surrogates
 * and non-finite numbers are not I-JSON (RFC 7493) and are refused.
 */
export function canonicalize(value) {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('JCS: a number is not finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new Error('JCS: a string holds a lone surrogate');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalize).join(',') + ']';
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return '{' + keys.map((k) => canonicalize(k) + ':' + canonicalize(value[k])).join(',') + '}';
  }
  throw new Error(`JCS: cannot canonicalize a ${typeof value}`);
}

// ---- WebCrypto ---------------------------------------------------------------------------------------------------

export const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

/** RFC 8032 Ed25519 verification through WebCrypto; a key WebCrypto refuses is a failed verification. */
async function ed25519Verify(publicKey, signature, message) {
  if (publicKey.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  if (signature.length !== 64) throw new Error('an Ed25519 signature is 64 bytes');
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    throw new Error(`the public key is not a valid Ed25519 key (${e.message})`);
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

// ---- RFC 6962 / RFC 9162 -----------------------------------------------------------------------------------------

/** RFC 6962 §2.1: the leaf hash SHA-256(0x00 || entry). */
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

/** RFC 9162 §2.1.3.2: verifies an inclusion proof of leaf `index` in a tree of `size` leaves with root `root`. */
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) throw new Error(`index ${index} is not below the tree size ${size}`);
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error('the proof is longer than the path');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('the proof is shorter than the path');
  if (!equal(r, root)) throw new Error(`the proof leads to root ${toBase64(r)}, not the checkpoint's root ${toBase64(root)}`);
}

// ---- C2SP tlog-proof, tlog-checkpoint, signed-note ---------------------------------------------------------------

/** c2sp.org/tlog-proof@v1: header, optional "extra", "index N", base64 hashes, an empty line, the signed checkpoint. */
export function parseTlogProof(text) {
  if (typeof text !== 'string') throw new Error('the tlog-proof is missing');
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error('the tlog-proof has no empty line before its checkpoint');
  const lines = text.slice(0, split).split('\n');
  const note = text.slice(split + 2);
  let i = 0;
  if (lines[i++] !== 'c2sp.org/tlog-proof@v1') throw new Error('the tlog-proof header is not c2sp.org/tlog-proof@v1');
  if (lines[i]?.startsWith('extra ')) base64(lines[i++].slice('extra '.length));
  if (!lines[i]?.startsWith('index ')) throw new Error('the tlog-proof has no index line');
  const index = decimal(lines[i++].slice('index '.length));
  const proof = lines.slice(i).map((line) => {
    const h = base64(line);
    if (h.length !== 32) throw new Error('a proof hash is not 32 bytes');
    return h;
  });
  return { index, proof, note };
}

/** c2sp.org/tlog-checkpoint: origin, decimal tree size, base64 root hash, optional extension lines; ends in "\n". */
export function parseCheckpoint(text) {
  if (!text.endsWith('\n')) throw new Error('the checkpoint does not end in a line break');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines[0] === '') throw new Error('the checkpoint has fewer than three lines');
  const root = base64(lines[2]);
  if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
  return { origin: lines[0], size: decimal(lines[1]), root };
}

/** c2sp.org/signed-note key names: non-empty, no "+", no white space, no control character, well-formed. */
function validKeyName(name) {
  return typeof name === 'string' && name !== '' && name.isWellFormed() && !/[+\s\p{Cc}]/u.test(name);
}

/**
 * A c2sp.org/signed-note verifier key: name "+" 8 hex digits of key id "+" base64(type || Ed25519 public key), the
 * type 0x01 for a note signer (a log) or 0x04 for a c2sp.org/tlog-cosignature witness. The key id must be the first
 * 4 bytes of SHA-256(name || "\n" || type || public key).
 */
export async function parseVerifierKey(text, type = 0x01) {
  if (typeof text !== 'string') throw new Error('the verifier key is missing');
  // Only the first two "+" separate: the base64 key may hold "+" itself.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new Error('the verifier key is not name+id+key');
  const [name, idHex, keyText] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (!validKeyName(name)) throw new Error('the verifier key name is invalid');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error('the verifier key id is not 8 lowercase hex digits');
  const key = base64(keyText);
  if (key.length !== 33 || key[0] !== type) throw new Error(`the verifier key is not an Ed25519 key of type 0x0${type}`);
  const derived = hex((await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a), key))).slice(0, 4));
  if (derived !== idHex) throw new Error(`the verifier key id ${idHex} is not the derived ${derived}`);
  return { text, name, id: fromHex(idHex), publicKey: key.slice(1), type };
}

/**
 * docs/VERIFYING.md "fingerprint": the first 16 bytes of SHA-256 over the vkey's UTF-8 text, lowercase hex in
 * groups of four joined by ":" (TrustPolicy.Fingerprint in src/Verification).
 */
export async function fingerprint(vkey) {
  const h = hex((await sha256(utf8.encode(vkey))).slice(0, 16));
  return h.match(/..../g).join(':');
}

/**
 * c2sp.org/signed-note: UTF-8 text free of control characters but newline, ending in "\n"; an empty line; then one
 * line per signature "— name base64(key id || signature)". A key may sign twice (a relay can copy a line): as Go's
 * note.Open and src/Merkle/Note.cs read it, openNote takes a key's first line only.
 */
export function parseNote(note) {
  if (typeof note !== 'string') throw new Error('the signed note is missing');
  if (!note.isWellFormed() || /[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new Error('the note holds a control character other than newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the note has no empty line before its signatures');
  const text = note.slice(0, split + 1);
  const rest = note.slice(split + 2);
  if (!rest.endsWith('\n')) throw new Error('the note signatures do not end in a line break');
  const signatures = rest.slice(0, -1).split('\n').map((line) => {
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m || !validKeyName(m[1])) throw new Error(`malformed note signature line ${JSON.stringify(line)}`);
    const blob = base64(m[2]);
    if (blob.length < 5) throw new Error('a note signature is too short');
    const signature = { name: m[1], id: blob.slice(0, 4), sig: blob.slice(4), base64: m[2] };
    return signature;
  });
  return { text, signatures };
}

const keyLabel = (key) => `${key.name}+${hex(key.id)}`;

/**
 * Opens a signed note with `keys` (as src/Merkle/Note.cs Note.Open): every signature line by one of them must verify,
 * and at least one must be there. `notSigned` on the error tells "no line by these keys" from "a line that fails".
 */
async function openNote(note, keys) {
  const { text, signatures } = parseNote(note);
  const verified = [];
  for (const s of signatures) {
    const key = keys.find((k) => k.name === s.name && equal(k.id, s.id));
    if (!key || verified.some((v) => v.key === key)) continue;
    let ok;
    if (key.type === 0x04) {
      // c2sp.org/tlog-cosignature: uint64_be timestamp || Ed25519 over "cosignature/v1\ntime <t>\n" || note text.
      if (s.sig.length !== 72) throw new Error(`the cosignature by ${keyLabel(key)} is not a timestamp and a signature`);
      const time = new DataView(s.sig.buffer, s.sig.byteOffset).getBigUint64(0);
      if (time >= 1n << 63n) throw new Error(`the cosignature by ${keyLabel(key)} has an impossible timestamp`);
      ok = await ed25519Verify(key.publicKey, s.sig.slice(8), concat(utf8.encode(`cosignature/v1\ntime ${time}\n`), utf8.encode(text)));
      s.time = time;
    } else {
      ok = await ed25519Verify(key.publicKey, s.sig, utf8.encode(text));
    }
    if (!ok) throw new Error(`the note's signature by ${keyLabel(key)} does not verify`);
    verified.push({ ...s, key });
  }
  if (verified.length === 0) {
    const e = new Error(`the note carries no signature by ${keys.map(keyLabel).join(' or ') || 'a trusted key'}`);
    e.notSigned = true;
    throw e;
  }
  return { text, verified };
}

/** The checkpoint of a signed note with a valid signature by one of the trusted log `keys` whose name is its origin. */
export async function signedCheckpoint(note, keys) {
  if (!keys?.length) throw new Error('no trusted log key, so no checkpoint can be trusted');
  let problem = '';
  for (const key of keys) {
    try {
      const { text } = await openNote(note, [key]);
      const checkpoint = parseCheckpoint(text);
      if (checkpoint.origin !== key.name) throw new Error(`the checkpoint's origin ${checkpoint.origin} is not the log key's name ${key.name}`);
      return { ...checkpoint, key };
    } catch (e) {
      problem = `the checkpoint is not signed by ${keyLabel(key)}: ${e.message}`;
    }
  }
  throw new Error(problem);
}

/** A note's text read as a checkpoint, its signatures aside. */
const noteCheckpoint = (note) => parseCheckpoint(parseNote(note).text);

/** A log entry {index, entry, tlog_proof}: the entry's leaf is in the tlog-proof's checkpoint (its signature aside). */
async function entryIncluded(logEntry) {
  if (typeof logEntry?.entry !== 'string') throw new Error('the log entry text is missing');
  const proof = parseTlogProof(logEntry.tlog_proof);
  if (!Number.isSafeInteger(logEntry.index) || BigInt(logEntry.index) !== proof.index)
    throw new Error(`the tlog-proof is for index ${proof.index}, the entry says ${logEntry.index}`);
  const checkpoint = noteCheckpoint(proof.note);
  await verifyInclusion(proof.index, checkpoint.size, await leafHash(utf8.encode(logEntry.entry)), proof.proof, checkpoint.root);
  return { proof, checkpoint };
}

/** An entry included in a checkpoint signed by a trusted log key: its parsed JSON and that checkpoint (stamps, leaves). */
async function provenEntry(logEntry, keys) {
  const { proof } = await entryIncluded(logEntry);
  const checkpoint = await signedCheckpoint(proof.note, keys);
  return { entry: parseEntry(logEntry.entry), checkpoint, index: proof.index };
}

function parseEntry(text) {
  let entry;
  try {
    entry = JSON.parse(text);
  } catch {
    throw new Error('the log entry is not JSON');
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error('the log entry is not a JSON object');
  return entry;
}

// ---- SCITT Signed Statements (docs/ENTRIES.md "Entry kinds") -------------------------------------------------------

/** A log entry that is a COSE_Sign1 begins with CBOR tag 18, the byte 0xD2 (RFC 9052 §4.2); a JSON entry with "{". */
export const isStatement = (bytes) => bytes.length > 0 && bytes[0] === 0xd2;

/**
 * A strict reader of the CBOR a statement's header needs (RFC 8949): definite lengths only, shortest heads, no
 * duplicate map keys, valid UTF-8, no floats or undefined; nesting at most 16 deep. Throws on anything else.
 */
function cborRead(bytes, at = 0, depth = 0) {
  if (depth > 16) throw new Error('CBOR nested too deeply');
  const need = (n) => {
    if (at + n > bytes.length) throw new Error('CBOR ends early');
  };
  need(1);
  const major = bytes[at] >> 5;
  const info = bytes[at] & 0x1f;
  at++;
  let arg;
  if (info < 24) arg = BigInt(info);
  else if (info <= 27) {
    const n = 1 << (info - 24);
    need(n);
    arg = 0n;
    for (let i = 0; i < n; i++) arg = (arg << 8n) | BigInt(bytes[at + i]);
    at += n;
    if (arg < (info === 24 ? 24n : 1n << BigInt(4 * n))) throw new Error('CBOR head not in its shortest form');
  } else throw new Error(major === 7 ? 'CBOR float or break' : 'CBOR indefinite length or reserved value');
  const length = () => {
    if (arg > BigInt(bytes.length - at)) throw new Error('CBOR ends early');
    return Number(arg);
  };
  switch (major) {
    case 0: return { value: arg, at };
    case 1: return { value: -1n - arg, at };
    case 2: {
      const n = length();
      return { value: bytes.slice(at, at + n), at: at + n };
    }
    case 3: {
      const n = length();
      // ignoreBOM keeps a leading U+FEFF, which the default decoder drops: the text is shown as the other readers show it.
      return { value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.slice(at, at + n)), at: at + n };
    }
    case 4: {
      const n = length();
      const items = [];
      for (let i = 0; i < n; i++) ({ value: items[i], at } = cborRead(bytes, at, depth + 1));
      return { value: items, at };
    }
    case 5: {
      const n = length();
      const map = new Map();
      const seen = new Set();
      for (let i = 0; i < n; i++) {
        const start = at;
        let key;
        let value;
        ({ value: key, at } = cborRead(bytes, at, depth + 1));
        const raw = hex(bytes.slice(start, at));
        if (seen.has(raw)) throw new Error('CBOR map with a duplicate key');
        seen.add(raw);
        ({ value, at } = cborRead(bytes, at, depth + 1));
        map.set(typeof key === 'bigint' ? key : raw, value);
      }
      return { value: map, at };
    }
    case 6: {
      const inner = cborRead(bytes, at, depth + 1);
      return { value: { tag: arg, value: inner.value }, at: inner.at };
    }
    default:
      if (arg === 20n || arg === 21n || arg === 22n) return { value: arg === 22n ? null : arg === 21n, at };
      throw new Error('CBOR simple value other than false, true and null');
  }
}

function cborWhole(bytes) {
  const { value, at } = cborRead(bytes);
  if (at !== bytes.length) throw new Error('bytes follow the CBOR item');
  return value;
}

/**
 * What a Signed Statement in the log says of itself, for display, never trusted (its signature is not checked here):
 * the protected header's alg (1), kid (4, bytes) and CWT claims (15, RFC 9597 §2) iss (1) and sub (2) (RFC 8392
 * §3.1), from a tagged COSE_Sign1 [protected bstr, unprotected map, payload bstr / nil, signature bstr] (RFC 9052 §4.2).
 */
export function parseStatement(bytes) {
  const top = cborWhole(bytes);
  if (top?.tag !== 18n || !Array.isArray(top.value) || top.value.length !== 4) throw new Error('not a tagged COSE_Sign1 of 4 elements');
  const [protectedBytes, unprotected, payload, signature] = top.value;
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map) || !(payload === null || payload instanceof Uint8Array) || !(signature instanceof Uint8Array))
    throw new Error('a COSE_Sign1 element has the wrong type');
  const header = protectedBytes.length ? cborWhole(protectedBytes) : new Map();
  if (!(header instanceof Map)) throw new Error('the protected header is not a map');
  const alg = header.get(1n);
  const kid = header.get(4n);
  const claims = header.get(15n);
  if (alg !== undefined && typeof alg !== 'bigint') throw new Error('alg is not an integer');
  if (kid !== undefined && !(kid instanceof Uint8Array)) throw new Error('kid is not a byte string');
  if (claims !== undefined && !(claims instanceof Map)) throw new Error('the CWT claims are not a map');
  const claim = (k) => {
    const v = claims?.get(k);
    if (v !== undefined && typeof v !== 'string') throw new Error(`CWT claim ${k} is not a text string`);
    return v ?? null;
  };
  let kidText = null;
  if (kid) {
    try {
      kidText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(kid);
      if (!kidText || /[\u0000-\u001f\u007f-\u009f]/.test(kidText)) kidText = null;
    } catch {
      kidText = null;
    }
  }
  return {
    alg: alg === undefined ? null : alg === -7n ? 'ES256' : alg === -8n ? 'EdDSA' : String(alg),
    kid: kid ? kidText ?? hex(kid) : null,
    iss: claim(1n),
    sub: claim(2n),
    unprotected: unprotected.size,
    payloadSize: payload === null ? null : payload.length,
    signatureSize: signature.length,
  };
}

/** docs/ANCHORING.md: the anchor calldata "ATST" || 0x01 || uint64_be(tree size) || root || SHA-256(origin). */
async function anchorCalldata(checkpoint) {
  const calldata = new Uint8Array(77);
  calldata.set(utf8.encode('ATST'), 0);
  calldata[4] = 1;
  new DataView(calldata.buffer).setBigUint64(5, checkpoint.size);
  calldata.set(checkpoint.root, 13);
  calldata.set(await sha256(utf8.encode(checkpoint.origin)), 45);
  return '0x' + hex(calldata);
}

// ---- trust roots (docs/VERIFYING.md "What a verifier trusts") -------------------------------------------------------

const POLICY_MAX_BYTES = 64 << 10;

/**
 * A trust root from text: a log's vkey (one line), or a policy file (docs/VERIFYING.md "Policy file", in the manner
 * of sigsum-go doc/policy.md), read as strictly as src/Verification/TrustPolicy.cs reads it. Throws naming the line.
 * Returns {kind, text, logKeys, witnesses: [{name, key}], quorum: rule | null, anchorRequired}.
 */
export async function parseTrustRoot(input) {
  if (typeof input !== 'string') throw new Error('the trust root is missing');
  const single = input.trim();
  if (single !== '' && !/\s/.test(single) && !single.startsWith('#')) {
    let key;
    try {
      key = await parseVerifierKey(single);
    } catch (e) {
      // A one-word text that is no vkey is not a policy either: no statement has one token.
      throw new Error(`not a log verifier key (name+hex8+base64 of 0x01 and an Ed25519 key): ${e.message}`);
    }
    return { kind: 'key', text: single, logKeys: [key], witnesses: [], quorum: null, anchorRequired: false };
  }
  return parsePolicy(input);
}

export async function parsePolicy(text) {
  if (utf8.encode(text).length > POLICY_MAX_BYTES) throw new Error(`a policy is at most ${POLICY_MAX_BYTES} bytes`);
  const logKeys = [];
  const witnesses = [];
  const names = new Map();
  let quorum = null;
  let quorumSeen = false;
  let anchorSeen = false;
  let anchorRequired = false;
  const declare = (name, at) => {
    if (name === 'none') throw new Error(`${at}: "none" is reserved`);
    if (names.has(name)) throw new Error(`${at}: "${name}" is defined twice`);
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    const t = line.split(/[ \t\r]/).filter((w) => w !== '');
    if (t.length === 0) continue;
    const at = `policy line ${n + 1}`;
    switch (t[0]) {
      case 'log': {
        if (t.length < 2 || t.length > 3) throw new Error(`${at}: "log <vkey> [url]"`);
        const key = await parseVerifierKey(t[1]).catch(() => null);
        if (!key) throw new Error(`${at}: "${t[1]}" is not a signed-note verifier key (name+hex8+base64 of 0x01 and an Ed25519 key)`);
        if (logKeys.some((k) => k.name === key.name && equal(k.id, key.id))) throw new Error(`${at}: the log key is named twice`);
        logKeys.push(key);
        break;
      }
      case 'witness': {
        if (t.length < 3 || t.length > 4) throw new Error(`${at}: "witness <name> <vkey> [url]"`);
        declare(t[1], at);
        const key = await parseVerifierKey(t[2], 0x04).catch(() => null);
        if (!key) throw new Error(`${at}: "${t[2]}" is not a cosignature verifier key (name+hex8+base64 of 0x04 and an Ed25519 key)`);
        if (witnesses.some((w) => w.key.name === key.name && equal(w.key.id, key.id))) throw new Error(`${at}: the witness key is named twice`);
        const witness = { name: t[1], key, witness: true };
        witnesses.push(witness);
        names.set(t[1], witness);
        break;
      }
      case 'group': {
        if (t.length < 4) throw new Error(`${at}: "group <name> <k|any|all> <member>..."`);
        declare(t[1], at);
        const members = [];
        for (const m of t.slice(3)) {
          const member = names.get(m);
          if (!member) throw new Error(`${at}: "${m}" is not a witness or group defined above`);
          if (members.includes(member)) throw new Error(`${at}: "${m}" is named twice in the group`);
          members.push(member);
        }
        let k;
        if (t[2] === 'any') k = 1;
        else if (t[2] === 'all') k = members.length;
        else if (/^[0-9]+$/.test(t[2]) && Number(t[2]) >= 1 && Number(t[2]) <= members.length) k = Number(t[2]);
        else throw new Error(`${at}: the threshold "${t[2]}" is not any, all or a number from 1 to ${members.length}`);
        names.set(t[1], { name: t[1], threshold: k, members });
        break;
      }
      case 'quorum':
        if (t.length !== 2) throw new Error(`${at}: "quorum <name|none>"`);
        if (quorumSeen) throw new Error(`${at}: a second quorum`);
        quorumSeen = true;
        if (t[1] === 'none') quorum = null;
        else if (names.has(t[1])) quorum = names.get(t[1]);
        else throw new Error(`${at}: "${t[1]}" is not a witness or group defined above`);
        break;
      case 'anchor':
        if (t.length !== 2 || !['required', 'optional'].includes(t[1])) throw new Error(`${at}: "anchor <required|optional>"`);
        if (anchorSeen) throw new Error(`${at}: a second anchor statement`);
        anchorSeen = true;
        anchorRequired = t[1] === 'required';
        break;
      default:
        throw new Error(`${at}: unknown statement "${t[0]}" (log, witness, group, quorum, anchor)`);
    }
  }
  if (logKeys.length === 0) throw new Error('the policy names no log ("log <vkey>")');
  return { kind: 'policy', text, logKeys, witnesses, quorum, anchorRequired };
}

// Each rule is judged once: groups may share members, and a policy of n groups each naming the two above it has about
// 1.6^n paths, hours of work for a 1 KiB policy if walked without remembering.
const quorumMet = (rule, passing, judged = new Map()) => {
  if (rule.witness) return passing.has(rule.name);
  if (!judged.has(rule)) judged.set(rule, rule.members.filter((m) => quorumMet(m, passing, judged)).length >= rule.threshold);
  return judged.get(rule);
};

// ---- checks ---------------------------------------------------------------------------------------------------------

class Checks {
  list = [];

  /**
   * Runs one check: `fn` returns a detail (pass), or {skip: reason}, or {fail: reason, policy: true} for a policy not
   * met; a throw fails it with the thrown reason.
   */
  async run(id, label, fn) {
    const check = { id, label, result: 'pass', detail: '', policy: false };
    try {
      const out = await fn();
      if (out && typeof out === 'object' && 'skip' in out) {
        check.result = 'skip';
        check.detail = out.skip;
      } else if (out && typeof out === 'object' && 'fail' in out) {
        check.result = 'fail';
        check.detail = out.fail;
        check.policy = Boolean(out.policy);
      } else {
        check.detail = out ?? '';
      }
    } catch (e) {
      check.result = 'fail';
      check.detail = e instanceof Error ? e.message : String(e);
    }
    this.list.push(check);
    return check;
  }

  get failed() {
    return this.list.filter((c) => c.result === 'fail').map((c) => c.id);
  }

  passed(...ids) {
    return ids.every((id) => this.list.some((c) => c.id === id && c.result === 'pass'));
  }
}

/** The trust root the page has: the served key (unpinned) or the pinned one, as {logKeys, ...}; null when none. */
export async function trustOfServedKey(logKey) {
  if (!logKey?.verifier_key) return null;
  return parseTrustRoot(logKey.verifier_key).catch(() => null);
}

async function logKeyCheck(checks, bundle, trust) {
  await checks.run('log_key', 'Bundle names a trusted log key', () => {
    if (!trust) throw new Error('no trust root: the log key could not be read and none is pinned');
    if (!trust.logKeys.some((k) => k.text === bundle?.log?.verifier_key))
      throw new Error(`the bundle names the log key ${JSON.stringify(bundle?.log?.verifier_key)}, not a trusted one (${trust.logKeys.map((k) => k.text).join(', ')})`);
    return bundle.log.verifier_key;
  });
}

/**
 * Stamp proofs: the anchor evidence (docs/ANCHORING.md) with every checkpoint signed by a trusted log key. The chain
 * side (that the transaction carries that calldata) needs a node: the page shows the reference.
 */
async function stampAnchorCheck(checks, anchor, logEntry, keys) {
  return checks.run('anchor', 'Anchor in the chain', async () => {
    if (anchor == null) return { skip: 'not anchored yet: no anchored checkpoint covers this entry' };
    await anchorEvidence(logEntry, anchor);
    for (const note of [anchor.checkpoint, parseTlogProof(anchor.tlog_proof).note, parseTlogProof(anchor.log_entry.tlog_proof).note])
      await signedCheckpoint(note, keys);
    return `checkpoint of size ${anchor.tree_size} anchored in chain ${anchor.chain_id}, transaction ${anchor.tx_hash}, block ${anchor.block_number}`;
  });
}

/**
 * The anchor evidence without signatures (src/Verification/EntryProofs.cs CheckAnchor, docs/ANCHORING.md): the entry is
 * included at the anchored size in the anchor's checkpoint, which is the anchor's size and root; the calldata is the
 * one that checkpoint implies; the anchor/v1 entry is included and says all of it.
 */
async function anchorEvidence(logEntry, anchor) {
  if (anchor === null || typeof anchor !== 'object') throw new Error('the anchor is not an object');
  let anchored;
  try {
    anchored = (await entryIncluded({ ...logEntry, tlog_proof: anchor.tlog_proof })).checkpoint;
  } catch (e) {
    throw new Error(`at the anchored size: ${e.message}`);
  }
  if (anchored.size !== BigInt(anchor.tree_size)) throw new Error(`the anchored checkpoint has size ${anchored.size}, the anchor says ${anchor.tree_size}`);
  if (toBase64(anchored.root) !== anchor.root_hash) throw new Error("the anchored checkpoint's root is not the anchor's root_hash");
  if (parseTlogProof(anchor.tlog_proof).note !== anchor.checkpoint) throw new Error("the entry's anchored proof is not against the anchor's checkpoint");
  const calldata = await anchorCalldata(anchored);
  if (String(anchor.calldata).toLowerCase() !== calldata) throw new Error(`the calldata ${anchor.calldata} is not the anchored checkpoint's ${calldata}`);
  try {
    await entryIncluded(anchor.log_entry);
  } catch (e) {
    throw new Error(`the anchor/v1 entry: ${e.message}`);
  }
  if (anchor.log_entry.index !== anchor.log_index) throw new Error(`the anchor/v1 entry is at ${anchor.log_entry.index}, the anchor says ${anchor.log_index}`);
  const a = parseEntry(anchor.log_entry.entry);
  const same = a.type === 'anchor/v1' && ['tree_size', 'root_hash', 'tx_hash', 'chain_id', 'block_number', 'block_hash', 'block_timestamp', 'from', 'to', 'checkpoint']
    .every((f) => a[f] === anchor[f]);
  if (!same) throw new Error('the logged anchor/v1 entry does not say what the anchor evidence says');
}

// ---- times (the key rule compares them exactly) ---------------------------------------------------------------------

/**
 * An RFC 3339 time as nanoseconds since 1970 (BigInt), to the 100 ns the C# verifier keeps; null when it is not one.
 * A "T" is required, as src/Verification reads times.
 */
function time(text) {
  if (typeof text !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  const offset = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  const fraction = BigInt(((m[7] ?? '') + '0000000').slice(0, 7)) * 100n;
  return (BigInt(ms) - BigInt(offset) * 60_000n) * 1_000_000n + fraction;
}

/** A time for a person: RFC 3339 UTC to the millisecond, as src/Verification formats it. */
const format = (ns) => new Date(Number(ns / 1_000_000n)).toISOString();

// ---- the status note (docs/VERIFYING.md "The proof bundle's evidence") ----------------------------------------------

const STATUSES = ['VALID', 'REVOKED', 'SUPERSEDED'];
const KEY_STATUSES = ['active', 'rotated', 'compromised'];

/** The 8 lines of an attest-status/v1 note text, each canonical (as src/Verification/StatusNote.cs TryParse); null if not. */
export function parseStatusNote(text) {
  if (!text.endsWith('\n')) return null;
  const l = text.slice(0, -1).split('\n');
  if (l.length !== 8 || l[0] !== 'attest-status/v1' || !validKeyName(l[1])) return null;
  if (!/^(0|[1-9][0-9]*)$/.test(l[2]) || BigInt(l[2]) >= 1n << 63n) return null;
  let root;
  try {
    root = base64(l[3]);
  } catch {
    return null;
  }
  if (root.length !== 32 || l[4] === '' || l[4].includes(' ') || !STATUSES.includes(l[5])) return null;
  const key = l[6].split(' ');
  if (key.length !== 2 || key[0] === '' || !KEY_STATUSES.includes(key[1])) return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(l[7]) || time(l[7]) === null) return null;
  return { origin: l[1], size: BigInt(l[2]), root, id: l[4], status: l[5], kid: key[0], keyStatus: key[1], time: l[7] };
}

// ---- the bundle's shape ---------------------------------------------------------------------------------------------

/** A bundle that is not of the attest-proof-bundle/v1 shape (src/Verification/ProofBundle.cs); the message names the field. */
export class BundleFormatError extends Error {}

/**
 * The first property named twice in one object of valid JSON text, or null. JSON.parse keeps the last of two and
 * other parsers the first (or refuse, as src/Verification does), so a bundle with one means different things to
 * different verifiers: the page refuses it too. Keys are compared decoded ("a" and "\u0061" are one name).
 */
export function duplicateProperty(text) {
  const stack = []; // per open object or array: the keys seen (objects) or null (arrays)
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        const keys = stack[stack.length - 1];
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return null;
}

function shape(b) {
  const fail = (why) => {
    throw new BundleFormatError(why);
  };
  const obj = (v, path) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : fail(`${path} is not a JSON object`));
  const str = (o, name, prefix) => (typeof o[name] === 'string' ? o[name] : fail(`${prefix}${name} is ${name in o ? 'not a string' : 'missing'}`));
  const int = (o, name, prefix) => (Number.isSafeInteger(o[name]) && o[name] >= 0 ? o[name] : fail(`${prefix}${name} is not a non-negative integer`));
  const entry = (e, path) => {
    obj(e, path);
    str(e, 'entry', `${path}.`);
    str(e, 'tlog_proof', `${path}.`);
    int(e, 'index', `${path}.`);
    if (utf8.encode(e.entry).length > 65535) fail(`${path}.entry is longer than 65535 bytes, more than a log entry can be`);
    return e;
  };
  const optEntry = (o, name, prefix = '') => (o[name] == null ? null : entry(o[name], prefix + name));
  obj(b, 'the bundle');
  if (b.format !== 'attest-proof-bundle/v1') fail(`"format" is ${JSON.stringify(b.format ?? null)}, not "attest-proof-bundle/v1": not an attest proof bundle`);
  // The server gives a reader who is not entitled to the payload the bundle without it (docs/SECURITY.md).
  const withheld = b.access === 'public' || b.attestation === null;
  if (!withheld) {
    obj(b.attestation, 'attestation');
    obj(b.attestation.payload, 'attestation.payload');
    str(b.attestation, 'signature', 'attestation.');
  }
  str(b, 'status', '');
  obj(b.issuer, 'issuer');
  str(b.issuer, 'id', 'issuer.');
  str(b.issuer, 'name', 'issuer.');
  obj(b.issuer_key, 'issuer_key');
  for (const f of ['kid', 'alg', 'public_key', 'status']) str(b.issuer_key, f, 'issuer_key.');
  const keyEntries = b.issuer_key.log_entries;
  if (!Array.isArray(keyEntries)) fail('issuer_key.log_entries is not an array');
  if (keyEntries.length === 0 || keyEntries.length > 16) fail(`issuer_key.log_entries has ${keyEntries.length} entries, not 1 to 16`);
  keyEntries.forEach((e, i) => entry(e, `issuer_key.log_entries[${i}]`));
  obj(b.log, 'log');
  for (const f of ['origin', 'verifier_key', 'checkpoint']) str(b.log, f, 'log.');
  entry(b.log_entry, 'log_entry');
  optEntry(b, 'revocation');
  optEntry(b, 'superseded_by');
  optEntry(b.issuer, 'log_entry', 'issuer.');
  if (b.status_note != null && typeof b.status_note !== 'string') fail('status_note is not a string or null');
  if (b.anchor != null) {
    const a = obj(b.anchor, 'anchor');
    for (const f of ['log_index', 'chain_id', 'block_number', 'block_timestamp', 'tree_size']) int(a, f, 'anchor.');
    for (const f of ['tx_hash', 'block_hash', 'root_hash', 'from', 'to', 'checkpoint', 'calldata', 'tlog_proof']) str(a, f, 'anchor.');
    entry(a.log_entry, 'anchor.log_entry');
  }
  return withheld;
}

// ---- attestation bundles (docs/VERIFYING.md "Checks", "The key rule", "Verdicts") -----------------------------------

// A failure of any of these means what was presented is not what was signed and logged.
const INTEGRITY = ['payload_signature', 'payload_key', 'log_entry', 'issuer', 'inclusion', 'checkpoint_signature', 'key_events', 'status_note', 'anchor',
  'anchor_chain', 'document', 'consistency'];

const text = (o, name) => (o !== null && typeof o === 'object' && typeof o[name] === 'string' ? o[name] : null);

/** Every entry a bundle carries with a proof against log.checkpoint (the anchor's at-size proof aside). */
function bundleEntries(b) {
  const entries = [['log_entry', b.log_entry]];
  if (b.issuer.log_entry != null) entries.push(['issuer.log_entry', b.issuer.log_entry]);
  b.issuer_key.log_entries.forEach((e, i) => entries.push([`issuer_key.log_entries[${i}]`, e]));
  if (b.revocation != null) entries.push(['revocation', b.revocation]);
  if (b.superseded_by != null) entries.push(['superseded_by', b.superseded_by]);
  if (b.anchor != null) entries.push(['anchor.log_entry', b.anchor.log_entry]);
  return entries;
}

async function parsedEntry(e) {
  await entryIncluded(e);
  return parseEntry(e.entry);
}

/**
 * The signing key's history from its key/v1 entries (docs/ENTRIES.md; src/Verification KeyHistory): created (or
 * created by a rotation from another key), rotated (another key replaced it), compromised (from a time).
 */
async function keyHistory(b) {
  const k = b.issuer_key;
  const h = { createdAt: null, createdIndex: 0, rotatedAt: null, rotatedIndex: 0, compromisedAt: null, compromisedIndex: 0 };
  for (const [i, entry] of k.log_entries.entries()) {
    const where = `issuer_key.log_entries[${i}] (entry ${entry.index})`;
    let e;
    try {
      e = await parsedEntry(entry);
    } catch (err) {
      throw new Error(`${where}: ${err.message}`);
    }
    if (e.type !== 'key/v1') throw new Error(`${where} is not a key/v1 entry`);
    if (e.issuer_id !== b.issuer.id) throw new Error(`${where} is of another issuer`);
    const at = time(text(e, 'at'));
    if (at === null) throw new Error(`${where} has no valid "at" time`);
    if ((e.event === 'created' || e.event === 'rotated') && e.kid === k.kid) {
      if (e.public_key !== k.public_key) throw new Error(`${where} logs another public key for ${k.kid} than the bundle's`);
      if (e.alg !== 'Ed25519') throw new Error(`${where} logs a key that is not Ed25519`);
      h.createdAt = at;
      h.createdIndex = entry.index;
    } else if (e.event === 'rotated' && e.rotated_from === k.kid) {
      h.rotatedAt = at;
      h.rotatedIndex = entry.index;
    } else if (e.event === 'compromised' && e.kid === k.kid) {
      const from = time(text(e, 'compromised_at'));
      if (from === null) throw new Error(`${where} has no valid compromised_at`);
      h.compromisedAt = from;
      h.compromisedIndex = entry.index;
    } else {
      throw new Error(`${where} is not an event of key ${k.kid}`);
    }
  }
  if (h.createdAt === null) throw new Error(`the bundle carries no logged creation of key ${k.kid}: its public key is not tied to the log`);
  h.status = h.compromisedAt !== null ? 'compromised' : h.rotatedAt !== null ? 'rotated' : 'active';
  return h;
}

/**
 * A proof bundle (GET /v1/attestations/{id}/proof-bundle) verified offline under `trust` (parseTrustRoot: the pinned
 * key or policy, or the key this server served; null: no trust root, UNVERIFIED). A public bundle ("access": "public",
 * "attestation": null) has no payload: the payload's checks are skipped and the logged entry speaks for it.
 * Throws BundleFormatError when it is not of the bundle's shape.
 */
export async function verifyAttestationBundle(bundle, trust) {
  const b = bundle;
  const withheld = shape(b);
  const checks = new Checks();
  const keys = trust?.logKeys ?? [];
  let entry = null;
  try {
    entry = parseEntry(b.log_entry.entry);
  } catch {
    entry = null;
  }
  // Without the payload, the logged entry (checked by the inclusion proof) says what the payload would:
  // id, issuer, key, schema and time; never the claims.
  const payload = withheld ? (entry ?? {}) : b.attestation.payload;
  const id = text(payload, 'id');
  let jcs = null;
  let jcsProblem = null;
  if (!withheld) {
    try {
      jcs = utf8.encode(canonicalize(payload));
    } catch (e) {
      jcsProblem = `the payload has no RFC 8785 (JCS) form: ${e.message}`;
    }
  }
  const withheldSkip = { skip: "withheld: only the issuer and the holder get the payload (open the holder's link or upload the holder's bundle)" };

  await checks.run('payload_signature', "Issuer's signature", async () => {
    if (withheld) return withheldSkip;
    if (!jcs) throw new Error(jcsProblem);
    if (b.issuer_key.alg !== 'Ed25519') throw new Error(`the key's alg is "${b.issuer_key.alg}", not Ed25519 (RFC 9864)`);
    let pk;
    let sig;
    try {
      pk = base64url(b.issuer_key.public_key);
    } catch {
      pk = null;
    }
    if (pk?.length !== 32) throw new Error('issuer_key.public_key is not the base64url of 32 bytes');
    try {
      sig = base64url(b.attestation.signature);
    } catch {
      sig = null;
    }
    if (sig?.length !== 64) throw new Error('attestation.signature is not the base64url of 64 bytes');
    if (!(await ed25519Verify(pk, sig, jcs))) throw new Error(`the Ed25519 signature does not verify over the JCS payload under key ${b.issuer_key.kid}`);
    return `Ed25519 signature of the JCS payload (RFC 8032, RFC 8785) verifies under key ${b.issuer_key.kid}`;
  });

  await checks.run('payload_key', 'Payload names this key and issuer', () => {
    if (withheld) return withheldSkip;
    if (payload.kid !== b.issuer_key.kid) throw new Error(`the payload names key ${JSON.stringify(payload.kid)}, the bundle carries ${JSON.stringify(b.issuer_key.kid)}`);
    if (payload.alg !== 'Ed25519') throw new Error('the payload\'s alg is not Ed25519');
    if (payload.issuer_id !== b.issuer.id) throw new Error(`the payload names issuer ${JSON.stringify(payload.issuer_id)}, the bundle ${JSON.stringify(b.issuer.id)}`);
    return `the payload names key ${b.issuer_key.kid} (Ed25519) of issuer ${b.issuer.id}`;
  });

  await checks.run('log_entry', 'Payload is the logged one', async () => {
    if (!entry) throw new Error('log_entry.entry is not a JSON object');
    if (entry.type !== 'attestation/v1') throw new Error('the log entry is not an attestation/v1 entry');
    if (withheld) {
      if (entry.issuer_id !== b.issuer.id || entry.kid !== b.issuer_key.kid) throw new Error("the logged entry's issuer or key is not the bundle's");
      return `log entry ${b.log_entry.index} is attestation/v1 of key ${entry.kid} (the payload is withheld: the logged entry speaks for it)`;
    }
    if (!jcs) throw new Error(jcsProblem);
    const digest = hex(await sha256(jcs));
    if (entry.payload_sha256 !== digest) throw new Error(`the logged payload_sha256 ${entry.payload_sha256} is not SHA-256(JCS(payload)) ${digest}`);
    if (entry.signature !== b.attestation.signature) throw new Error("the logged signature is not the attestation's signature");
    for (const field of ['id', 'issuer_id', 'kid', 'created_at', 'schema'])
      if (text(entry, field) !== text(payload, field)) throw new Error(`the logged ${field} is not the payload's`);
    return `log entry ${b.log_entry.index} is attestation/v1 with this payload's SHA-256 and signature`;
  });

  let issuerName = null;
  await checks.run('issuer', 'Issuer is the logged one', async () => {
    const logged = b.issuer.log_entry;
    if (logged == null) throw new Error("the bundle carries no issuer.log_entry: the issuer's name is not tied to the log");
    let e;
    try {
      e = await parsedEntry(logged);
    } catch (err) {
      throw new Error(`issuer.log_entry: ${err.message}`);
    }
    if (e.type !== 'issuer/v1') throw new Error(`entry ${logged.index} is not an issuer/v1 entry`);
    if (text(e, 'id') !== b.issuer.id || text(e, 'id') !== text(payload, 'issuer_id'))
      throw new Error(`the logged issuer/v1 entry ${logged.index} is of another issuer than the bundle's and the payload's`);
    // The bundle's own name is never repeated here: it is exactly what must not be shown unproven.
    if (text(e, 'name') !== b.issuer.name) throw new Error(`the bundle's issuer.name is not the name its logged issuer/v1 entry ${logged.index} gives`);
    issuerName = e.name;
    // Nor the logged name: it is shown (as the issuer) only when the verdict says the log holding it is trusted.
    return `issuer ${e.id} has the name its issuer/v1 entry ${logged.index} logs`;
  });

  let checkpoint = null;
  await checks.run('inclusion', 'Merkle inclusion in the checkpoint', async () => {
    let cp;
    try {
      cp = noteCheckpoint(b.log.checkpoint);
    } catch (e) {
      throw new Error(`log.checkpoint: ${e.message}`);
    }
    const entries = bundleEntries(b);
    for (const [name, e] of entries) {
      let at;
      try {
        at = (await entryIncluded(e)).checkpoint;
      } catch (err) {
        throw new Error(`${name}: ${err.message}`);
      }
      // The status note speaks of log.checkpoint: every entry must be proven against that very tree.
      if (at.size !== cp.size || !equal(at.root, cp.root) || at.origin !== cp.origin)
        throw new Error(`${name}: its proof is against the checkpoint of size ${at.size}, not the bundle's log.checkpoint (size ${cp.size})`);
    }
    checkpoint = cp;
    return `entry ${b.log_entry.index} and the bundle's ${entries.length - 1} other entries are in the tree of size ${cp.size} (RFC 9162 §2.1.3.2)`;
  });

  await checks.run('checkpoint_signature', 'Checkpoints signed by the trusted log key', async () => {
    if (!trust) return { skip: 'no trust root: checkpoints were not checked against a trusted log key (the key a bundle names vouches for nothing by itself)' };
    // log.origin is shown by attest verify: it must be the signed checkpoint's, as src/Verification requires.
    let own = null;
    try {
      own = parseCheckpoint(b.log.checkpoint.slice(0, b.log.checkpoint.lastIndexOf('\n\n') + 1));
    } catch {
      // An unreadable checkpoint fails the signature check below.
    }
    if (own !== null && own.origin !== b.log.origin) throw new Error(`log.origin "${b.log.origin}" is not the origin of log.checkpoint, "${own.origin}"`);
    const notes = [['log.checkpoint', b.log.checkpoint]];
    const proofs = bundleEntries(b).map(([name, e]) => [name, e.tlog_proof]);
    if (b.anchor != null) {
      notes.push(['anchor.checkpoint', b.anchor.checkpoint]);
      proofs.push(['anchor', b.anchor.tlog_proof]);
    }
    for (const [name, proof] of proofs) {
      try {
        notes.push([name, parseTlogProof(proof).note]);
      } catch {
        // A proof that does not parse fails the inclusion or anchor check.
      }
    }
    const sizes = new Set();
    const signers = new Set();
    const done = new Set();
    for (const [name, note] of notes) {
      if (done.has(note)) continue;
      done.add(note);
      let cp;
      try {
        cp = await signedCheckpoint(note, keys);
      } catch (e) {
        throw new Error(`${name}: ${e.message}`);
      }
      sizes.add(cp.size);
      signers.add(keyLabel(cp.key));
    }
    return `every checkpoint in the bundle (size ${[...sizes].sort((x, y) => (x < y ? -1 : 1)).join(', ')}) is signed by the trusted log key ${[...signers].sort().join(', ')}`;
  });

  // One check per policy witness (c2sp.org/tlog-cosignature on log.checkpoint), then the quorum.
  const passing = new Set();
  for (const w of trust?.witnesses ?? []) {
    await checks.run(`witness:${w.name}`, `Witness ${w.name}`, async () => {
      let opened;
      try {
        opened = await openNote(b.log.checkpoint, [w.key]);
      } catch (e) {
        if (e.notSigned) return { skip: `the bundle's checkpoint carries no cosignature by ${keyLabel(w.key)}` };
        throw new Error(`the bundle's checkpoint: ${e.message}`);
      }
      passing.add(w.name);
      const t = opened.verified[0].time;
      return `${keyLabel(w.key)} cosigned the bundle's checkpoint at ${new Date(Number(t) * 1000).toISOString()}`;
    });
  }
  await checks.run('witness_quorum', 'Witness quorum', () => {
    if (!trust?.quorum) return { skip: !trust || trust.kind === 'key' ? 'no policy' : 'the policy requires no witness (quorum none)' };
    const who = [...passing].sort().join(', ') || 'none';
    if (!quorumMet(trust.quorum, passing)) return { fail: `the cosigning witnesses (${who}) do not satisfy the policy's quorum ${trust.quorum.name}`, policy: true };
    return `the cosigning witnesses (${who}) satisfy the quorum ${trust.quorum.name}`;
  });

  let key = null;
  await checks.run('key_events', "Issuer key's logged events", async () => {
    key = await keyHistory(b);
    const events = `created ${format(key.createdAt)}` + (key.rotatedAt !== null ? `, rotated ${format(key.rotatedAt)}` : '')
      + (key.compromisedAt !== null ? `, compromised from ${format(key.compromisedAt)}` : '');
    return `key ${b.issuer_key.kid} with this public key is logged: ${events}`;
  });

  // docs/VERIFYING.md "The key rule": by the signer's time and by the log's order.
  await checks.run('key_status', 'Key valid when it signed', () => {
    if (!key) return { skip: "the key's log entries did not verify (key_events)" };
    const signedAt = time(text(payload, 'created_at'));
    if (signedAt === null) throw new Error("the payload's created_at is not an RFC 3339 time");
    const i = b.log_entry.index;
    const kid = b.issuer_key.kid;
    if (b.issuer_key.status !== key.status) throw new Error(`the bundle says the key is ${b.issuer_key.status}, its logged events say ${key.status}`);
    if (signedAt < key.createdAt || i < key.createdIndex)
      throw new Error(`signed at ${format(signedAt)} and logged at ${i}, before key ${kid} was logged at ${format(key.createdAt)} (entry ${key.createdIndex})`);
    if (key.compromisedAt !== null && (signedAt >= key.compromisedAt || i > key.compromisedIndex))
      throw new Error(`key ${kid} is compromised from ${format(key.compromisedAt)} (logged at entry ${key.compromisedIndex}); the attestation was signed at ${format(signedAt)} and logged at entry ${i}`);
    if (key.rotatedAt !== null && (signedAt > key.rotatedAt || i > key.rotatedIndex))
      throw new Error(`signed at ${format(signedAt)} and logged at entry ${i}, after key ${kid} was rotated at ${format(key.rotatedAt)} (entry ${key.rotatedIndex})`);
    const later = key.compromisedAt !== null ? `; compromised from ${format(key.compromisedAt)}, after it signed this`
      : key.rotatedAt !== null ? `; rotated at ${format(key.rotatedAt)}, after it signed this` : '';
    return `key ${kid} is ${key.status} (logged ${format(key.createdAt)}${later}); it signed at ${format(signedAt)}`;
  });

  let note = null;
  await checks.run('status_note', "The log's signed status", async () => {
    if (b.status_note == null) throw new Error("the bundle carries no status_note: the log's word on its status is missing");
    if (!trust) {
      // Unverified, but its time still says up to when the bundle claims to speak.
      try {
        note = parseStatusNote(parseNote(b.status_note).text);
      } catch {
        note = null;
      }
      return { skip: "no trust root: the status note's signature was not checked" };
    }
    let opened;
    try {
      opened = await openNote(b.status_note, keys);
    } catch (e) {
      throw new Error(`the status note is not signed by a trusted log key: ${e.message}`);
    }
    const n = parseStatusNote(opened.text);
    if (!n) throw new Error('the status note is not an attest-status/v1 statement');
    if (!opened.verified.some((s) => s.name === n.origin)) throw new Error(`the status note's origin "${n.origin}" is not the name of the key that signed it`);
    note = n;
    let cp = null;
    try {
      cp = noteCheckpoint(b.log.checkpoint);
    } catch {
      cp = null;
    }
    const disagree = (why) => new Error(`the log's signed status note disagrees with the bundle: ${why}`);
    if (!cp || n.origin !== cp.origin || n.size !== cp.size || !equal(n.root, cp.root))
      throw disagree(`it speaks of the checkpoint of size ${n.size}, not the bundle's log.checkpoint`);
    if (n.id !== id) throw disagree(`it is about attestation ${n.id}, not ${id}`);
    if (n.kid !== b.issuer_key.kid || (key && n.keyStatus !== key.status))
      throw disagree(`it says key ${n.kid} is ${n.keyStatus}; the bundle's key is ${b.issuer_key.kid}, ${key?.status ?? 'unknown'} by its logged events`);
    if ((n.status === 'REVOKED') !== (b.revocation != null))
      throw disagree(n.status === 'REVOKED' ? 'it says REVOKED, and the bundle carries no revocation entry' : `it says ${n.status}, and the bundle carries a revocation entry`);
    if (n.status === 'SUPERSEDED' && b.superseded_by == null) throw disagree('it says SUPERSEDED, and the bundle carries no superseding entry');
    if (n.status === 'VALID' && b.superseded_by != null) throw disagree('it says VALID, and the bundle carries a superseding entry');
    if (b.status !== n.status) throw disagree(`it says ${n.status}, the bundle's status field ${b.status}`);
    return `the log signed at ${n.time} that attestation ${n.id} is ${n.status} and key ${n.kid} ${n.keyStatus} at checkpoint ${n.size}`;
  });

  let revokedAt = null;
  await checks.run('revocation', 'Not revoked', async () => {
    if (b.revocation == null) {
      if (b.status === 'REVOKED') throw new Error("the bundle's status is REVOKED but it carries no revocation entry");
      return 'the bundle carries no revocation entry (the status note speaks for its checkpoint)';
    }
    let e;
    try {
      e = await parsedEntry(b.revocation);
    } catch (err) {
      throw new Error(`the bundle carries a revocation entry that does not verify: ${err.message}`);
    }
    if (e.type !== 'revocation/v1' || e.attestation_id !== id)
      throw new Error(`entry ${b.revocation.index} is not a revocation/v1 of attestation ${id}, yet the bundle calls it its revocation`);
    revokedAt = text(e, 'revoked_at');
    throw new Error(`REVOKED: revoked at ${revokedAt} (log entry ${b.revocation.index})`);
  });

  await checks.run('superseded', 'Not superseded', async () => {
    if (b.superseded_by == null) {
      if (b.status === 'SUPERSEDED') throw new Error("the bundle's status is SUPERSEDED but it carries no superseding entry");
      return 'the bundle carries no superseding attestation';
    }
    let e;
    try {
      e = await parsedEntry(b.superseded_by);
    } catch (err) {
      throw new Error(`the bundle carries a superseding entry that does not verify: ${err.message}`);
    }
    if (e.type !== 'attestation/v1' || e.supersedes !== id)
      throw new Error(`entry ${b.superseded_by.index} is not an attestation/v1 superseding ${id}, yet the bundle says so`);
    throw new Error(`SUPERSEDED by attestation ${e.id} at ${e.created_at} (log entry ${b.superseded_by.index})`);
  });

  const anchor = await checks.run('anchor', 'Anchor in the chain', async () => {
    if (b.anchor == null) {
      return trust?.anchorRequired
        ? { fail: 'the policy requires an anchor, and the bundle has none (the entry is not anchored yet, or the log does not anchor)', policy: true }
        : { skip: 'the bundle has no anchor (the entry is not anchored yet, or the log does not anchor)' };
    }
    await anchorEvidence(b.log_entry, b.anchor);
    // Signatures of the anchored checkpoint are part of checkpoint_signature.
    const a = b.anchor;
    return `entry ${b.log_entry.index} is in the checkpoint of size ${a.tree_size} that transaction ${a.tx_hash} anchors (chain ${a.chain_id}, block ${a.block_number}); `
      + `its calldata names that checkpoint; the anchor is logged as entry ${a.log_index}`;
  });
  await checks.run('anchor_chain', 'Anchor transaction on the chain', () => ({
    skip: b.anchor == null ? 'the bundle has no anchor' : 'the page asks no chain node: look the transaction up (its reference is below)',
  }));
  await checks.run('document', 'Document', () => ({ skip: 'no document given' }));
  await checks.run('consistency', 'Consistent with the latest checkpoint', () => ({ skip: "offline: the bundle's checkpoint was not compared with the log's latest" }));
  let asOf = null;
  try {
    const cp = noteCheckpoint(b.log.checkpoint);
    asOf = { size: String(cp.size), root: toBase64(cp.root), time: note?.time ?? null };
  } catch {
    asOf = null;
  }
  await checks.run('freshness', 'Freshness', () => ({
    skip: asOf === null ? 'offline, and the bundle has no readable checkpoint'
      : `offline: the status is known as of checkpoint ${asOf.size}${asOf.time ? ` (the log signed it at ${asOf.time})` : ''}; `
        + 'a revocation, supersession or key compromise logged since is not (attest verify --online asks the log)',
  }));

  const failed = (id) => checks.list.some((c) => c.id === id && c.result === 'fail');
  const verdict = checks.list.some((c) => c.result === 'fail' && !c.policy && INTEGRITY.includes(c.id)) ? 'ALTERED'
    : !trust || checks.list.some((c) => c.result === 'fail' && c.policy) ? 'UNVERIFIED'
      : failed('key_status') ? 'KEY_COMPROMISED'
        : failed('revocation') ? 'REVOKED'
          : failed('superseded') ? 'SUPERSEDED'
            : 'VALID';
  const sentence = verdict === 'ALTERED' || verdict === 'UNVERIFIED' || asOf === null ? verdict
    : `${verdict} as of checkpoint ${asOf.size}${asOf.time ? ` (status signed by the log at ${asOf.time})` : ''}; events logged since are not known offline`;

  // Only what the checks proved is shown (docs/VERIFYING.md "The proof bundle's evidence"): the payload's fields when
  // its signature and log entry hold, the issuer's name from its logged entry, the key's status from its events.
  const trusted = verdict !== 'ALTERED';
  const payloadProven = trusted && checks.passed('log_entry', 'inclusion') && (withheld || checks.passed('payload_signature', 'payload_key'));
  return {
    kind: 'attestation',
    verdict,
    sentence,
    failed: checks.failed,
    checks: checks.list,
    withheld,
    asOf: trusted ? asOf : null,
    subject: payloadProven
      ? { id, schema: text(payload, 'schema'), created_at: text(payload, 'created_at'), log_index: b.log_entry.index, claims: withheld ? undefined : payload.claims }
      : {},
    issuer: trusted && issuerName !== null ? { id: b.issuer.id, name: issuerName } : null,
    key: trusted && key ? { kid: b.issuer_key.kid, status: key.status } : null,
    revokedAt: trusted ? revokedAt : null,
    checkpoint: trusted && checkpoint && checks.passed('checkpoint_signature')
      ? { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) } : null,
    anchor: trusted && anchor.result === 'pass' ? anchorView(b.anchor, true) : null,
  };
}

// ---- stamps and log entries ------------------------------------------------------------------------------------------

/** A stamp's proof (GET /v1/stamps/{id}/proof); with `contentHash` (hex), the stamp must be of that content. */
export async function verifyStampProof(proofBundle, trust, contentHash = null) {
  const checks = new Checks();
  const keys = trust?.logKeys ?? [];
  const b = proofBundle ?? {};
  await checks.run('bundle_format', 'Proof format', () => {
    if (b.format !== 'attest-stamp-proof/v1') throw new Error(`format is ${JSON.stringify(b.format)}, not attest-stamp-proof/v1`);
    return 'attest-stamp-proof/v1';
  });
  await logKeyCheck(checks, b, trust);
  await checks.run('stamp_entry', 'Stamp is the logged one', () => {
    const e = parseEntry(b.log_entry?.entry);
    if (e.type !== 'stamp/v1') throw new Error(`the log entry is a ${e.type}, not stamp/v1`);
    for (const field of ['id', 'content_hash', 'created_at'])
      if (e[field] !== b.stamp?.[field]) throw new Error(`the log entry's ${field} ${e[field]} is not the stamp's ${b.stamp?.[field]}`);
    if ((e.sealed_until ?? null) !== (b.stamp?.sealed_until ?? null)) throw new Error(`the log entry's sealed_until ${e.sealed_until} is not the stamp's ${b.stamp?.sealed_until}`);
    if (contentHash !== null && e.content_hash !== contentHash) throw new Error(`the stamp is of ${e.content_hash}, not of the file's ${contentHash}`);
    return `content SHA-256 ${e.content_hash}, stamped at ${e.created_at}` + (e.sealed_until !== undefined ? `, sealed until ${unixTime(e.sealed_until)}` : '');
  });
  await checks.run('inclusion', 'Merkle inclusion in the checkpoint', async () => {
    const { proof, checkpoint } = await entryIncluded(b.log_entry);
    return `entry ${proof.index} in the tree of ${checkpoint.size} entries (RFC 9162 §2.1.3.2)`;
  });
  let checkpoint = null;
  await checks.run('checkpoint_signature', 'Checkpoint signed by the trusted log key', async () => {
    checkpoint = await signedCheckpoint(parseTlogProof(b.log_entry?.tlog_proof).note, keys);
    return `${checkpoint.origin}, size ${checkpoint.size}, signed by ${keyLabel(checkpoint.key)}`;
  });
  const revealed = await revealCheck(checks, b, keys);
  const anchor = await stampAnchorCheck(checks, b.anchor, b.log_entry, keys);
  const failed = checks.failed;
  const ok = failed.length === 0;
  return {
    kind: 'stamp',
    verdict: ok ? 'STAMPED' : 'NOT VERIFIED',
    failed,
    checks: checks.list,
    subject: ok ? {
      id: b.stamp?.id, content_hash: b.stamp?.content_hash, created_at: b.stamp?.created_at, log_index: b.log_entry?.index,
      sealed_until: Number.isSafeInteger(b.stamp?.sealed_until) ? unixTime(b.stamp.sealed_until) : null,
      revealed_at: revealed?.revealed_at ?? null, revealed_content: revealed?.content ?? null,
    } : {},
    issuer: null,
    checkpoint: ok ? { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) } : null,
    anchor: anchor.result === 'skip' ? null : anchorView(b.anchor, anchor.result === 'pass'),
  };
}

/** Unix seconds as RFC 3339 UTC (a sealed stamp's sealed_until). */
function unixTime(seconds) {
  return Number.isSafeInteger(seconds) && Math.abs(seconds) <= 8.64e12 ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : String(seconds);
}

/**
 * A sealed stamp (docs/ENTRIES.md "stamp-reveal/v1"): once revealed, the reveal entry is in a checkpoint signed by a
 * trusted log key, names the stamp, and its content hashes (SHA-256 of its UTF-8, computed here) to the content_hash
 * logged when the stamp was sealed. Not run for a stamp that was never sealed.
 */
async function revealCheck(checks, b, keys) {
  let stamp;
  try {
    stamp = parseEntry(b.log_entry?.entry);
  } catch {
    return null; // the stamp_entry check has failed already
  }
  if (stamp.sealed_until === undefined && (b.reveal === undefined || b.reveal === null)) return null;
  let revealed = null;
  await checks.run('reveal', 'Revealed content matches the sealed hash', async () => {
    if (b.reveal === undefined || b.reveal === null) return { skip: `sealed until ${unixTime(stamp.sealed_until)}; not revealed yet` };
    if (stamp.sealed_until === undefined) throw new Error('a reveal of a stamp that was not sealed');
    const { entry: r } = await provenEntry(b.reveal, keys);
    if (r.type !== 'stamp-reveal/v1') throw new Error(`the reveal entry is a ${r.type}, not stamp-reveal/v1`);
    if (r.stamp_id !== stamp.id) throw new Error(`the reveal is of stamp ${r.stamp_id}, not ${stamp.id}`);
    if (typeof r.content !== 'string') throw new Error('the reveal entry has no content');
    const digest = hex(await sha256(utf8.encode(r.content)));
    if (digest !== stamp.content_hash) throw new Error(`the revealed content hashes to ${digest}, not to the sealed ${stamp.content_hash}`);
    if (r.content_hash !== stamp.content_hash) throw new Error(`the reveal entry names the hash ${r.content_hash}, not the sealed ${stamp.content_hash}`);
    revealed = { content: r.content, revealed_at: r.revealed_at };
    return `SHA-256 of the revealed content, computed here, is the sealed ${digest}; revealed at ${r.revealed_at} (entry ${b.reveal.index})`;
  });
  return revealed;
}

/**
 * A log entry found by its leaf hash (GET /v1/log/entries?leaf_hash=): the leaf hash is the entry's, and it is included.
 * A JSON entry comes as its text (entry); a Signed Statement as base64 of its bytes (statement), whose header is shown
 * as it reads, unverified.
 */
export async function verifyLeafEntry(found, trust, wantedLeaf) {
  const checks = new Checks();
  const keys = trust?.logKeys ?? [];
  const f = found ?? {};
  let entry = null;
  let statement = null;
  let bytes = null;
  await logKeyCheck(checks, f, trust);
  await checks.run('leaf_hash', 'Leaf hash of the entry', async () => {
    if (typeof f.statement === 'string') {
      bytes = base64(f.statement);
      if (!isStatement(bytes)) throw new Error('the statement does not begin with CBOR tag 18 (COSE_Sign1)');
    } else if (typeof f.entry === 'string') {
      bytes = utf8.encode(f.entry);
    } else {
      throw new Error('the log entry is missing');
    }
    const leaf = await leafHash(bytes);
    if (!equal(leaf, wantedLeaf)) throw new Error(`the entry's leaf hash is ${toBase64(leaf)}, not the searched ${toBase64(wantedLeaf)}`);
    if (typeof f.statement === 'string') {
      statement = { size: bytes.length, hex: hex(bytes), id: hex(leaf) };
      try {
        Object.assign(statement, parseStatement(bytes));
      } catch (e) {
        statement.problem = e.message;
      }
    } else {
      entry = parseEntry(f.entry);
    }
    return `SHA-256(0x00 || entry) = ${toBase64(leaf)} (RFC 6962 §2.1)`;
  });
  await checks.run('inclusion', 'Merkle inclusion in the checkpoint', async () => {
    if (bytes === null) throw new Error('the log entry is missing');
    const proof = parseTlogProof(f.tlog_proof);
    if (!Number.isSafeInteger(f.index) || BigInt(f.index) !== proof.index) throw new Error(`the tlog-proof is for index ${proof.index}, the entry says ${f.index}`);
    const checkpoint = noteCheckpoint(proof.note);
    await verifyInclusion(proof.index, checkpoint.size, await leafHash(bytes), proof.proof, checkpoint.root);
    return `entry ${proof.index} in the tree of ${checkpoint.size} entries (RFC 9162 §2.1.3.2)`;
  });
  let checkpoint = null;
  await checks.run('checkpoint_signature', 'Checkpoint signed by the trusted log key', async () => {
    checkpoint = await signedCheckpoint(parseTlogProof(f.tlog_proof).note, keys);
    return `${checkpoint.origin}, size ${checkpoint.size}, signed by ${keyLabel(checkpoint.key)}`;
  });
  const failed = checks.failed;
  const ok = failed.length === 0;
  const subject = statement
    ? { type: 'SCITT Signed Statement (COSE_Sign1)', id: statement.id, log_index: f.index }
    : { type: entry?.type, id: entry?.id ?? entry?.attestation_id, log_index: f.index };
  return {
    kind: 'entry',
    verdict: ok ? 'IN THE LOG' : 'NOT VERIFIED',
    failed,
    checks: checks.list,
    entry: ok ? entry : null,
    statement: ok ? statement : null,
    subject: ok ? subject : {},
    issuer: null,
    checkpoint: ok ? { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) } : null,
    anchor: null,
  };
}

function anchorView(anchor, verified) {
  if (!anchor) return null;
  return {
    verified,
    chain_id: anchor.chain_id, tx_hash: anchor.tx_hash, block_number: anchor.block_number, block_timestamp: anchor.block_timestamp,
    tree_size: anchor.tree_size,
  };
}

/** The latest checkpoint (GET /checkpoint), its signature checked with the trusted log keys. */
export async function verifyCheckpointNote(note, trust) {
  const checkpoint = await signedCheckpoint(note, trust?.logKeys ?? []);
  return { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) };
}
