// In-browser verification of Attest proofs, with WebCrypto only (Ed25519, SHA-256): nothing here asks the server.
// The checks are those of src/LogServer/Service/VerifyService.cs and tests/interop/attestation/verify-bundle.mjs;
// each format function cites its spec. Untrusted input (an uploaded bundle) is parsed strictly: a malformed part
// fails the check that needs it, with the reason, and never the page.

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

/** c2sp.org/signed-note verifier key: name "+" 8 hex digits of key id "+" base64(0x01 || Ed25519 public key). */
export async function parseVerifierKey(text) {
  if (typeof text !== 'string') throw new Error('the verifier key is missing');
  // Only the first two "+" separate: the base64 key may hold "+" itself.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new Error('the verifier key is not name+id+key');
  const [name, idHex, keyText] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (name === '' || /[\s+]/.test(name)) throw new Error('the verifier key name is invalid');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error('the verifier key id is not 8 lowercase hex digits');
  const key = base64(keyText);
  if (key.length !== 33 || key[0] !== 0x01) throw new Error('the verifier key is not an Ed25519 (type 0x01) key');
  // The key id is the first 4 bytes of SHA-256(name || "\n" || type || public key).
  const derived = hex((await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a), key))).slice(0, 4));
  if (derived !== idHex) throw new Error(`the verifier key id ${idHex} is not the derived ${derived}`);
  return { text, name, id: fromHex(idHex), publicKey: key.slice(1) };
}

/** c2sp.org/signed-note: the text (ending in "\n"), an empty line, then lines "— name base64(key id || signature)". */
export function parseNote(note) {
  if (typeof note !== 'string') throw new Error('the signed note is missing');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the note has no empty line before its signatures');
  const text = note.slice(0, split + 1);
  const rest = note.slice(split + 2);
  if (!rest.endsWith('\n')) throw new Error('the note signatures do not end in a line break');
  const signatures = rest.slice(0, -1).split('\n').map((line) => {
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`malformed note signature line ${JSON.stringify(line)}`);
    const blob = base64(m[2]);
    if (blob.length < 5) throw new Error('a note signature is too short');
    return { name: m[1], id: blob.slice(0, 4), sig: blob.slice(4) };
  });
  return { text, signatures };
}

/** The checkpoint of a signed note, after checking a signature line by `key` that verifies, and origin = key name. */
export async function signedCheckpoint(note, key) {
  if (!key) throw new Error("no trusted log key: /v1/log/key could not be read, so no checkpoint can be trusted");
  const { text, signatures } = parseNote(note);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== key.name) throw new Error(`the checkpoint origin ${checkpoint.origin} is not the log key's name ${key.name}`);
  const mine = signatures.filter((s) => s.name === key.name && equal(s.id, key.id));
  if (mine.length === 0) throw new Error(`the checkpoint carries no signature by ${key.name}+${hex(key.id)}`);
  for (const s of mine)
    if (!(await ed25519Verify(key.publicKey, s.sig, utf8.encode(text)))) throw new Error('the checkpoint signature does not verify under the log key');
  return checkpoint;
}

/** A log entry {index, entry, tlog_proof}: the entry's leaf is in the tlog-proof's checkpoint (its signature aside). */
async function entryIncluded(logEntry) {
  const proof = parseTlogProof(logEntry?.tlog_proof);
  if (typeof logEntry.entry !== 'string') throw new Error('the log entry text is missing');
  if (logEntry.index !== undefined && BigInt(logEntry.index) !== proof.index)
    throw new Error(`the entry's index ${logEntry.index} is not the tlog-proof's index ${proof.index}`);
  const checkpoint = parseCheckpoint(parseNote(proof.note).text);
  await verifyInclusion(proof.index, checkpoint.size, await leafHash(utf8.encode(logEntry.entry)), proof.proof, checkpoint.root);
  return { proof, checkpoint };
}

/** An entry included in a checkpoint signed by the log: its parsed JSON and that checkpoint. */
async function provenEntry(logEntry, key) {
  const { proof } = await entryIncluded(logEntry);
  const checkpoint = await signedCheckpoint(proof.note, key);
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

// ---- checks ---------------------------------------------------------------------------------------------------------

class Checks {
  list = [];

  /** Runs one check: `fn` returns a detail (pass), or {skip: reason}; a throw fails it with the thrown reason. */
  async run(id, label, fn) {
    const check = { id, label, result: 'pass', detail: '' };
    try {
      const out = await fn();
      if (out && typeof out === 'object' && 'skip' in out) {
        check.result = 'skip';
        check.detail = out.skip;
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
}

/** The log key the page trusts (from /v1/log/key), parsed, or null when it could not be read. */
export async function trustedKey(logKey) {
  if (!logKey?.verifier_key) return null;
  return parseVerifierKey(logKey.verifier_key);
}

async function logKeyCheck(checks, bundle, key) {
  await checks.run('log_key', "Bundle names this log's key", () => {
    if (!key) throw new Error('/v1/log/key could not be read');
    if (bundle?.log?.verifier_key !== key.text)
      throw new Error(`the bundle names the log key ${JSON.stringify(bundle?.log?.verifier_key)}, this log's key is ${key.text}`);
    return key.text;
  });
}

/**
 * The anchor evidence of a proof (VerifyService.AnchorProofOk, docs/ANCHORING.md): the anchored checkpoint is
 * signed by the log, is the anchor's size and root, and includes the entry; the calldata is the one that checkpoint
 * implies; and the anchor/v1 entry that logs the transaction is itself in a signed checkpoint and says the same.
 * The chain side (that the transaction carries that calldata) needs a node: the page shows the reference.
 */
async function anchorCheck(checks, anchor, entryText, entryIndex, key) {
  return checks.run('anchor', 'Anchor in the chain', async () => {
    if (anchor == null) return { skip: 'not anchored yet: no anchored checkpoint covers this entry' };
    const anchored = parseTlogProof(anchor.tlog_proof);
    const checkpoint = await signedCheckpoint(anchored.note, key);
    if (checkpoint.size !== BigInt(anchor.tree_size)) throw new Error(`the anchored checkpoint's size ${checkpoint.size} is not the anchor's tree_size ${anchor.tree_size}`);
    if (!equal(checkpoint.root, base64(anchor.root_hash))) throw new Error("the anchored checkpoint's root is not the anchor's root_hash");
    if (anchored.index !== BigInt(entryIndex)) throw new Error(`the anchor's proof is for index ${anchored.index}, not ${entryIndex}`);
    await verifyInclusion(anchored.index, checkpoint.size, await leafHash(utf8.encode(entryText)), anchored.proof, checkpoint.root);
    const calldata = await anchorCalldata(checkpoint);
    if (anchor.calldata !== calldata) throw new Error(`the calldata ${anchor.calldata} is not the anchored checkpoint's ${calldata}`);
    const logged = await provenEntry(anchor.log_entry, key);
    const a = logged.entry;
    if (a.type !== 'anchor/v1') throw new Error(`the anchor's log entry is a ${a.type}, not anchor/v1`);
    for (const field of ['chain_id', 'tx_hash', 'block_number', 'tree_size', 'root_hash'])
      if (a[field] !== anchor[field]) throw new Error(`the logged anchor/v1 entry's ${field} ${a[field]} is not the anchor's ${anchor[field]}`);
    return `checkpoint of size ${checkpoint.size} anchored in chain ${a.chain_id}, transaction ${a.tx_hash}, block ${a.block_number}`;
  });
}

/**
 * A proof bundle (GET /v1/attestations/{id}/proof-bundle), verified with `logKey` (GET /v1/log/key) as the trust root.
 * A public bundle ("access": "public", "attestation": null: what the server gives anyone but the issuer and the holder)
 * has no payload: its signature and payload checks are skipped, and the rest is checked against the log entry itself.
 */
export async function verifyAttestationBundle(bundle, logKey) {
  const checks = new Checks();
  const key = await trustedKey(logKey).catch(() => null);
  const b = bundle ?? {};
  const withheld = b.access === 'public' && b.attestation === null;
  let payload = b.attestation?.payload;
  let jcs = null;
  let entry = null;

  await checks.run('bundle_format', 'Bundle format', () => {
    if (b.format !== 'attest-proof-bundle/v1') throw new Error(`format is ${JSON.stringify(b.format)}, not attest-proof-bundle/v1`);
    if (!withheld && (payload === null || typeof payload !== 'object' || Array.isArray(payload))) throw new Error('attestation.payload is not an object');
    for (const part of ['issuer_key', 'log', 'log_entry']) if (typeof b[part] !== 'object' || b[part] === null) throw new Error(`"${part}" is missing`);
    return withheld ? 'attest-proof-bundle/v1, public part: the payload is withheld' : 'attest-proof-bundle/v1';
  });
  try {
    jcs = withheld ? null : utf8.encode(canonicalize(payload));
  } catch {
    jcs = null;
  }
  try {
    entry = parseEntry(b.log_entry?.entry);
  } catch {
    entry = null;
  }
  // Without the payload, the logged entry (checked by the inclusion proof below) says what the payload would:
  // id, issuer, key, schema and time; never the claims.
  if (withheld && entry) payload = { id: entry.id, issuer_id: entry.issuer_id, kid: entry.kid, schema: entry.schema, created_at: entry.created_at };
  await logKeyCheck(checks, b, key);

  const withheldSkip = { skip: 'withheld: only the issuer and the holder get the payload (open the holder\'s link or upload the bundle)' };
  await checks.run('signature', "Issuer's signature", async () => {
    if (withheld) return withheldSkip;
    if (!jcs) throw new Error('the payload cannot be canonicalized (RFC 8785)');
    const ok = await ed25519Verify(base64url(b.issuer_key?.public_key), base64url(b.attestation?.signature), jcs);
    if (!ok) throw new Error(`the Ed25519 signature does not verify over the RFC 8785 payload under key ${b.issuer_key?.kid}`);
    if (entry && entry.signature !== b.attestation.signature) throw new Error('the signature is not the one the log entry records');
    return `Ed25519 over the RFC 8785 payload, key ${b.issuer_key.kid}`;
  });

  await checks.run('payload', 'Payload is the logged one', async () => {
    if (withheld) return withheldSkip;
    if (!jcs) throw new Error('the payload cannot be canonicalized (RFC 8785)');
    if (!entry) throw new Error('the log entry is not JSON');
    if (entry.type !== 'attestation/v1') throw new Error(`the log entry is a ${entry.type}, not attestation/v1`);
    const digest = hex(await sha256(jcs));
    if (entry.payload_sha256 !== digest) throw new Error(`the log entry records payload_sha256 ${entry.payload_sha256}, the payload hashes to ${digest}`);
    for (const [field, logged, given] of [
      ['id', entry.id, payload.id], ['issuer_id', entry.issuer_id, payload.issuer_id], ['kid', entry.kid, payload.kid],
      ['kid', entry.kid, b.issuer_key?.kid], ['schema', entry.schema, payload.schema],
    ])
      if (logged !== given) throw new Error(`the log entry's ${field} ${logged} is not the bundle's ${given}`);
    return `SHA-256(JCS(payload)) = ${digest}`;
  });

  let included = null;
  await checks.run('inclusion', 'Merkle inclusion in the checkpoint', async () => {
    included = await entryIncluded(b.log_entry);
    return `entry ${included.proof.index} in the tree of ${included.checkpoint.size} entries (RFC 9162 §2.1.3.2)`;
  });

  let checkpoint = null;
  await checks.run('checkpoint_signature', 'Checkpoint signed by the log', async () => {
    checkpoint = await signedCheckpoint(parseTlogProof(b.log_entry?.tlog_proof).note, key);
    return `${checkpoint.origin}, size ${checkpoint.size}, signed by ${key.name}+${hex(key.id)}`;
  });

  // The key's history as the log holds it: created (or rotated in), then perhaps rotated out or compromised.
  const keyHistory = { status: null, compromisedAt: null, rotatedAt: null };
  await checks.run('issuer_key', 'Issuer key is the logged one', async () => {
    const entries = b.issuer_key?.log_entries;
    if (!Array.isArray(entries) || entries.length === 0) throw new Error("the bundle carries no log entry of the issuer's key");
    const kid = b.issuer_key.kid;
    const first = (await provenEntry(entries[0], key)).entry;
    if (first.type !== 'key/v1' || !['created', 'rotated'].includes(first.event) || first.kid !== kid)
      throw new Error(`the first key entry is not the creation of key ${kid}`);
    if (first.public_key !== b.issuer_key.public_key) throw new Error(`the logged public key of ${kid} is not the bundle's`);
    if (first.alg !== 'Ed25519') throw new Error(`the logged key's alg is ${first.alg}`);
    if (payload && first.issuer_id !== payload.issuer_id) throw new Error(`key ${kid} belongs to issuer ${first.issuer_id}, not ${payload.issuer_id}`);
    keyHistory.status = 'active';
    for (const later of entries.slice(1)) {
      const e = (await provenEntry(later, key)).entry;
      if (e.type === 'key/v1' && e.event === 'rotated' && e.rotated_from === kid) {
        keyHistory.status = 'rotated';
        keyHistory.rotatedAt = e.at;
      } else if (e.type === 'key/v1' && e.event === 'compromised' && e.kid === kid) {
        keyHistory.status = 'compromised';
        keyHistory.compromisedAt = e.compromised_at;
      } else {
        throw new Error(`a key entry of the bundle is not an event of key ${kid}`);
      }
    }
    return `key ${kid} of issuer ${first.issuer_id}, logged at index ${entries[0].index}`;
  });

  let compromised = false;
  await checks.run('key_status', 'Key not compromised before signing', () => {
    if (keyHistory.status === null) return { skip: "unknown: the key's log entries do not verify (see the issuer key check)" };
    if (b.issuer_key.status !== keyHistory.status) throw new Error(`the bundle says the key is ${b.issuer_key.status}, its log entries say ${keyHistory.status}`);
    if (keyHistory.compromisedAt !== null) {
      const signedAt = Date.parse(payload?.created_at);
      const at = Date.parse(keyHistory.compromisedAt);
      if (!(signedAt <= at)) {
        compromised = true;
        throw new Error(`key ${b.issuer_key.kid} was compromised at ${keyHistory.compromisedAt}, before the attestation was signed (${payload?.created_at})`);
      }
      return `compromised at ${keyHistory.compromisedAt}, after this attestation was signed (${payload.created_at})`;
    }
    return keyHistory.status === 'rotated' ? `rotated at ${keyHistory.rotatedAt}; what it signed before stays valid` : 'active';
  });

  let status = null;
  await checks.run('revocation', 'Revocation and supersession', async () => {
    const derived = [];
    const notes = [];
    if (b.revocation != null) {
      const r = (await provenEntry(b.revocation, key)).entry;
      if (r.type !== 'revocation/v1' || r.attestation_id !== payload?.id) throw new Error('the revocation entry is not a revocation of this attestation');
      derived.push('REVOKED');
      notes.push(`revoked at ${r.revoked_at} (log index ${b.revocation.index})`);
    }
    if (b.superseded_by != null) {
      const s = (await provenEntry(b.superseded_by, key)).entry;
      if (s.type !== 'attestation/v1' || s.supersedes !== payload?.id) throw new Error('the superseding entry does not supersede this attestation');
      derived.push('SUPERSEDED');
      notes.push(`superseded by ${s.id} (log index ${b.superseded_by.index})`);
    }
    if (derived.length === 0) derived.push('VALID');
    if (!derived.includes(b.status)) throw new Error(`the bundle says ${b.status}, its log entries say ${derived.join(' or ')}`);
    status = b.status;
    return notes.length ? notes.join('; ') : 'neither revoked nor superseded in the bundle\'s checkpoint';
  });

  const anchor = await anchorCheck(checks, b.anchor, b.log_entry?.entry, b.log_entry?.index, key);

  const failed = checks.failed;
  const verdict = failed.some((id) => id !== 'key_status') ? 'NOT VERIFIED' : compromised ? 'KEY_COMPROMISED' : status;
  return {
    kind: 'attestation',
    verdict,
    failed,
    checks: checks.list,
    withheld,
    subject: { id: payload?.id, schema: payload?.schema, created_at: payload?.created_at, log_index: b.log_entry?.index, claims: payload?.claims },
    issuer: { id: b.issuer?.id ?? payload?.issuer_id, name: b.issuer?.name, kid: b.issuer_key?.kid, key_status: b.issuer_key?.status },
    checkpoint: checkpoint ? { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) } : null,
    anchor: anchor.result === 'skip' ? null : anchorView(b.anchor, anchor.result),
  };
}

/** A stamp's proof (GET /v1/stamps/{id}/proof); with `contentHash` (hex), the stamp must be of that content. */
export async function verifyStampProof(proofBundle, logKey, contentHash = null) {
  const checks = new Checks();
  const key = await trustedKey(logKey).catch(() => null);
  const b = proofBundle ?? {};
  await checks.run('bundle_format', 'Proof format', () => {
    if (b.format !== 'attest-stamp-proof/v1') throw new Error(`format is ${JSON.stringify(b.format)}, not attest-stamp-proof/v1`);
    return 'attest-stamp-proof/v1';
  });
  await logKeyCheck(checks, b, key);
  await checks.run('stamp_entry', 'Stamp is the logged one', () => {
    const e = parseEntry(b.log_entry?.entry);
    if (e.type !== 'stamp/v1') throw new Error(`the log entry is a ${e.type}, not stamp/v1`);
    for (const field of ['id', 'content_hash', 'created_at'])
      if (e[field] !== b.stamp?.[field]) throw new Error(`the log entry's ${field} ${e[field]} is not the stamp's ${b.stamp?.[field]}`);
    if (contentHash !== null && e.content_hash !== contentHash) throw new Error(`the stamp is of ${e.content_hash}, not of the file's ${contentHash}`);
    return `content SHA-256 ${e.content_hash}, stamped at ${e.created_at}`;
  });
  await checks.run('inclusion', 'Merkle inclusion in the checkpoint', async () => {
    const { proof, checkpoint } = await entryIncluded(b.log_entry);
    return `entry ${proof.index} in the tree of ${checkpoint.size} entries (RFC 9162 §2.1.3.2)`;
  });
  let checkpoint = null;
  await checks.run('checkpoint_signature', 'Checkpoint signed by the log', async () => {
    checkpoint = await signedCheckpoint(parseTlogProof(b.log_entry?.tlog_proof).note, key);
    return `${checkpoint.origin}, size ${checkpoint.size}, signed by ${key.name}+${hex(key.id)}`;
  });
  const anchor = await anchorCheck(checks, b.anchor, b.log_entry?.entry, b.log_entry?.index, key);
  const failed = checks.failed;
  return {
    kind: 'stamp',
    verdict: failed.length ? 'NOT VERIFIED' : 'STAMPED',
    failed,
    checks: checks.list,
    subject: { id: b.stamp?.id, content_hash: b.stamp?.content_hash, created_at: b.stamp?.created_at, log_index: b.log_entry?.index },
    issuer: null,
    checkpoint: checkpoint ? { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) } : null,
    anchor: anchor.result === 'skip' ? null : anchorView(b.anchor, anchor.result),
  };
}

/** A log entry found by its leaf hash (GET /v1/log/entries?leaf_hash=): the leaf hash is the entry's, and it is included. */
export async function verifyLeafEntry(found, logKey, wantedLeaf) {
  const checks = new Checks();
  const key = await trustedKey(logKey).catch(() => null);
  const f = found ?? {};
  let entry = null;
  await logKeyCheck(checks, f, key);
  await checks.run('leaf_hash', 'Leaf hash of the entry', async () => {
    if (typeof f.entry !== 'string') throw new Error('the log entry text is missing');
    const leaf = await leafHash(utf8.encode(f.entry));
    if (!equal(leaf, wantedLeaf)) throw new Error(`the entry's leaf hash is ${toBase64(leaf)}, not the searched ${toBase64(wantedLeaf)}`);
    entry = parseEntry(f.entry);
    return `SHA-256(0x00 || entry) = ${toBase64(leaf)} (RFC 6962 §2.1)`;
  });
  await checks.run('inclusion', 'Merkle inclusion in the checkpoint', async () => {
    const { proof, checkpoint } = await entryIncluded(f);
    return `entry ${proof.index} in the tree of ${checkpoint.size} entries (RFC 9162 §2.1.3.2)`;
  });
  let checkpoint = null;
  await checks.run('checkpoint_signature', 'Checkpoint signed by the log', async () => {
    checkpoint = await signedCheckpoint(parseTlogProof(f.tlog_proof).note, key);
    return `${checkpoint.origin}, size ${checkpoint.size}, signed by ${key.name}+${hex(key.id)}`;
  });
  const failed = checks.failed;
  return {
    kind: 'entry',
    verdict: failed.length ? 'NOT VERIFIED' : 'IN THE LOG',
    failed,
    checks: checks.list,
    entry,
    subject: { type: entry?.type, id: entry?.id ?? entry?.attestation_id, log_index: f.index },
    issuer: null,
    checkpoint: checkpoint ? { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) } : null,
    anchor: null,
  };
}

function anchorView(anchor, result) {
  if (!anchor) return null;
  return {
    verified: result === 'pass',
    chain_id: anchor.chain_id, tx_hash: anchor.tx_hash, block_number: anchor.block_number, block_timestamp: anchor.block_timestamp,
    tree_size: anchor.tree_size,
  };
}

/** The latest checkpoint (GET /checkpoint), its signature checked with the log key. */
export async function verifyCheckpointNote(note, logKey) {
  const key = await trustedKey(logKey);
  const checkpoint = await signedCheckpoint(note, key);
  return { origin: checkpoint.origin, size: String(checkpoint.size), root: toBase64(checkpoint.root) };
}
