// Independent, fully offline verifier of an Attest proof bundle (GET /v1/attestations/{id}/proof-bundle, format
// attest-proof-bundle/v1), used by tests/LogServer.Tests/Verification/IndependentVerifierTests.cs and the shared bundle vectors.
//
// It is written from docs/VERIFYING.md (trust roots, policy file, checks, key rule, verdicts), docs/ENTRIES.md and
// docs/ANCHORING.md, and the specs: RFC 8785 (JCS), RFC 8032 (Ed25519), RFC 9162 §2.1.3.2 (inclusion proofs),
// c2sp.org/signed-note, c2sp.org/tlog-checkpoint, c2sp.org/tlog-proof and c2sp.org/tlog-cosignature. It shares no
// code with the project's other verifiers (the C# library and the web page): RFC 8785 comes from the npm package
// "canonicalize", Ed25519 from "@noble/ed25519", SHA-256/SHA-512 from "@noble/hashes"; everything else is here.
//
// Usage: node verify-bundle.mjs <bundle.json> [--log-key <vkey | file>]… [--policy <file>]
//
// Prints one JSON line
//   {"verdict", "as_of": {"tree_size", "status_time"}, "issuer_name", "checks": {"<name>": "pass" | "fail" | "skip"}}
// and exits 0 only for VALID, 1 for every other verdict, 2 when the arguments, the bundle, a log key or the policy
// cannot be read. Each check's reason (why it failed or was skipped, or what passed) goes to stderr as one JSON line.
import { existsSync, readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2';

ed.etc.sha512Sync = (...messages) => sha512(ed.etc.concatBytes(...messages));

const utf8 = new TextEncoder();

/** An input the verifier cannot run on (exit 2), as opposed to evidence that does not hold (a failed check). */
class UsageError extends Error {}

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

/** A decimal without sign or leading zero, below 2^63 (C2SP checkpoint, tlog-proof and cosignature timestamps). */
function decimal(text) {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const n = BigInt(text);
  if (n >= 1n << 63n) throw new Error('number too large');
  return n;
}

/** RFC 3339 UTC ("Z") with optional fraction, as milliseconds since the epoch (the entries' and payload's times). */
function rfc3339(text, what) {
  if (typeof text !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(text))
    throw new Error(`${what} is not an RFC 3339 UTC time: ${JSON.stringify(text)}`);
  const ms = Date.parse(text.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  if (Number.isNaN(ms)) throw new Error(`${what} is not a valid time: ${text}`);
  return ms;
}

/**
 * A name that occurs twice in one object of the (already parsed, so valid) JSON text, or null: JSON.parse would keep
 * the last silently, where another parser keeps the first. Names are compared as decoded strings.
 */
function repeatedName(text) {
  const open = []; // for each open container: a Set of its names (object) or false (array)
  let nameNext = false;
  for (let at = 0; at < text.length; at++) {
    switch (text[at]) {
      case '"': {
        let end = at + 1;
        for (; text[end] !== '"'; end++) if (text[end] === '\\') end++;
        if (nameNext) {
          const name = JSON.parse(text.slice(at, end + 1));
          if (open.at(-1).has(name)) return name;
          open.at(-1).add(name);
          nameNext = false;
        }
        at = end;
        break;
      }
      case '{': open.push(new Set()); nameNext = true; break;
      case '[': open.push(false); break;
      case '}': case ']': open.pop(); break;
      case ',': nameNext = open.at(-1) !== false; break;
      default: break;
    }
  }
  return null;
}

/** A log entry's JSON object. Entries are RFC 8785 bytes (docs/ENTRIES.md): anything else (a duplicate key, say,
 * which JSON.parse would quietly resolve one way and another parser another) is refused. */
function entryObject(text, what) {
  if (typeof text !== 'string') throw new Error(`${what} has no entry text`);
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not a JSON object`);
  if (canonicalize(value) !== text) throw new Error(`${what} is not in RFC 8785 canonical form`);
  return value;
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

// ---- C2SP signed-note, tlog-checkpoint, tlog-proof, tlog-cosignature ------------------------------------------

/** c2sp.org/tlog-proof@v1: header, optional extra, index, base64 hashes, an empty line, then the signed checkpoint. */
function parseTlogProof(text) {
  if (typeof text !== 'string') throw new Error('no tlog-proof');
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

/** c2sp.org/tlog-checkpoint: origin, decimal size, base64 root hash, optional non-empty extension lines. */
function parseCheckpoint(text) {
  if (!text.endsWith('\n')) throw new Error('checkpoint text does not end in a line break');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines[0] === '') throw new Error('checkpoint has fewer than three lines');
  if (lines.some((l) => l === '')) throw new Error('checkpoint has an empty line');
  const root = base64(lines[2]);
  if (root.length !== 32) throw new Error('checkpoint root is not 32 bytes');
  return { origin: lines[0], size: decimal(lines[1]), root, text };
}

/**
 * c2sp.org/signed-note verifier key "name+hexid+base64(type || public key)". Type 0x01 is an Ed25519 note key (the
 * log's), 0x04 an Ed25519 cosignature/v1 key (a witness's, c2sp.org/tlog-cosignature). The key ID must be the one
 * the spec derives: the first 4 bytes of SHA-256(name || "\n" || type || public key).
 */
function parseVerifierKey(text, type) {
  if (typeof text !== 'string') throw new Error('verifier key is not a string');
  // Split at the first two "+" only: the base64 key may itself hold "+".
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new Error('verifier key is not name+id+key');
  const [name, idHex, keyText] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (name === '' || /[\s+\u2014]/u.test(name) || /\p{Cc}/u.test(name)) throw new Error('verifier key name is invalid');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error('verifier key id is not 8 lowercase hex digits');
  const key = base64(keyText);
  if (key.length !== 33 || key[0] !== type) throw new Error(`verifier key is not an Ed25519 key of type 0x0${type}`);
  const derived = hex(sha256(concat(utf8.encode(name), Uint8Array.of(0x0a), key)).slice(0, 4));
  if (derived !== idHex) throw new Error(`verifier key id ${idHex} is not the derived ${derived}`);
  return { name, id: Uint8Array.from(idHex.match(/../g), (b) => parseInt(b, 16)), idHex, publicKey: key.slice(1), text };
}

/** c2sp.org/signed-note: the text (ending in "\n"), an empty line, then signature lines "— name base64(id || sig)". */
function parseNote(note) {
  if (typeof note !== 'string') throw new Error('note is not a string');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('note has no empty line before its signatures');
  const text = note.slice(0, split + 1);
  const rest = note.slice(split + 2);
  if (!rest.endsWith('\n')) throw new Error('note signatures do not end in a line break');
  const signatures = rest.slice(0, -1).split('\n').map((line) => {
    const m = /^\u2014 ([^ +]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line ${JSON.stringify(line)}`);
    const blob = base64(m[2]);
    if (blob.length < 5) throw new Error('signature is too short');
    return { name: m[1], id: blob.slice(0, 4), sig: blob.slice(4) };
  });
  return { text, signatures };
}

/**
 * The note's text after checking that one of the trusted keys signed it: a signature line whose name and key ID are
 * a trusted key's verifies (Ed25519 over the text). A line by a trusted key that does not verify is a failure even
 * when another line verifies; lines by keys not trusted are ignored (c2sp.org/signed-note).
 */
function openNote(note, keys) {
  const { text, signatures } = parseNote(note);
  let by = null;
  for (const s of signatures) {
    const key = keys.find((k) => k.name === s.name && equal(k.id, s.id));
    if (!key) continue;
    if (s.sig.length !== 64 || !ed.verify(s.sig, utf8.encode(text), key.publicKey, { zip215: false }))
      throw new Error(`the signature by ${key.name}+${key.idHex} does not verify`);
    by ??= key;
  }
  if (!by) throw new Error(`no signature by a trusted log key (${keys.map((k) => `${k.name}+${k.idHex}`).join(', ')})`);
  return { text, key: by };
}

/** A checkpoint note opened with the trusted log keys; its origin must be the signing key's name (c2sp.org/tlog-checkpoint). */
function openCheckpoint(note, keys) {
  const { text, key } = openNote(note, keys);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== key.name) throw new Error(`checkpoint origin ${checkpoint.origin} is not the key name ${key.name}`);
  return checkpoint;
}

/**
 * c2sp.org/tlog-cosignature v1: the witness's lines on the note (its name and key ID), each of 8 bytes of big-endian
 * POSIX time then a 64-byte Ed25519 signature over "cosignature/v1\ntime <t>\n" || note text. Returns the verified
 * time, or null when the note carries no line of this witness; throws when a line of it does not verify.
 */
function cosignatureTime(note, witness) {
  const { text, signatures } = parseNote(note);
  let time = null;
  for (const s of signatures) {
    if (s.name !== witness.name || !equal(s.id, witness.id)) continue;
    if (s.sig.length !== 72) throw new Error('a cosignature is not 8 + 64 bytes');
    const t = new DataView(s.sig.buffer, s.sig.byteOffset, 8).getBigUint64(0);
    if (t >= 1n << 63n) throw new Error('a cosignature time is too large');
    const message = utf8.encode(`cosignature/v1\ntime ${t}\n${text}`);
    if (!ed.verify(s.sig.slice(8), message, witness.publicKey, { zip215: false })) throw new Error('a cosignature does not verify');
    time ??= t;
  }
  return time;
}

// ---- the policy file (docs/VERIFYING.md, in the manner of sigsum-go doc/policy.md) --------------------------

function parsePolicy(bytes) {
  if (bytes.length > 64 * 1024) throw new UsageError('policy file is over 64 KiB');
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError('policy file is not UTF-8');
  }
  const policy = { logs: [], witnesses: new Map(), groups: new Map(), quorum: null, anchorRequired: false };
  let quorumSeen = false;
  let anchorSeen = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, n) => {
    const fail = (why) => {
      throw new UsageError(`policy line ${n + 1}: ${why}`);
    };
    const tokens = raw.replace(/#.*$/, '').split(/[ \t]+/).filter((t) => t !== '');
    if (tokens.length === 0) return;
    const [keyword, ...args] = tokens;
    const newName = (name) => {
      if (name === 'none') fail('"none" is reserved');
      if (policy.witnesses.has(name) || policy.groups.has(name)) fail(`name ${name} is defined twice`);
    };
    const vkey = (text, type) => {
      try {
        return parseVerifierKey(text, type);
      } catch (e) {
        return fail(e.message);
      }
    };
    switch (keyword) {
      case 'log':
        if (args.length < 1 || args.length > 2) fail('log takes <vkey> [url]');
        policy.logs.push(vkey(args[0], 0x01));
        break;
      case 'witness':
        if (args.length < 2 || args.length > 3) fail('witness takes <name> <vkey> [url]');
        newName(args[0]);
        policy.witnesses.set(args[0], vkey(args[1], 0x04));
        break;
      case 'group': {
        if (args.length < 3) fail('group takes <name> <k | any | all> <member>…');
        const [name, threshold, ...members] = args;
        newName(name);
        if (new Set(members).size !== members.length) fail('a member is named twice');
        for (const m of members) if (!policy.witnesses.has(m) && !policy.groups.has(m)) fail(`member ${m} is not defined above`);
        let k;
        if (threshold === 'any') k = 1;
        else if (threshold === 'all') k = members.length;
        else if (/^[1-9][0-9]*$/.test(threshold) && Number(threshold) <= members.length) k = Number(threshold);
        else fail(`threshold ${threshold} is not any, all or a number between 1 and ${members.length}`);
        policy.groups.set(name, { k, members });
        break;
      }
      case 'quorum':
        if (quorumSeen) fail('quorum is given twice');
        quorumSeen = true;
        if (args.length !== 1) fail('quorum takes <name | none>');
        if (args[0] !== 'none' && !policy.witnesses.has(args[0]) && !policy.groups.has(args[0])) fail(`quorum ${args[0]} is not defined above`);
        policy.quorum = args[0] === 'none' ? null : args[0];
        break;
      case 'anchor':
        if (anchorSeen) fail('anchor is given twice');
        anchorSeen = true;
        if (args.length !== 1 || !['required', 'optional'].includes(args[0])) fail('anchor takes required or optional');
        policy.anchorRequired = args[0] === 'required';
        break;
      default:
        fail(`unknown keyword ${JSON.stringify(keyword)}`);
    }
  });
  if (policy.logs.length === 0) throw new UsageError('policy file names no log');
  return policy;
}

// ---- arguments ----------------------------------------------------------------------------------------------

function readArguments(argv) {
  let bundlePath = null;
  const logKeys = [];
  let policy = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--log-key' || a === '--policy') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value`);
      if (a === '--policy') {
        if (policy) throw new UsageError('--policy is given twice');
        let bytes;
        try {
          bytes = readFileSync(value);
        } catch (e) {
          throw new UsageError(`cannot read the policy: ${e.message}`);
        }
        policy = parsePolicy(bytes);
      } else {
        // A vkey or a file holding one (its surrounding white space is not part of it).
        const text = existsSync(value) ? readFileSync(value, 'utf8').trim() : value;
        try {
          logKeys.push(parseVerifierKey(text, 0x01));
        } catch (e) {
          throw new UsageError(`--log-key: ${e.message}`);
        }
      }
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`);
    } else if (bundlePath === null) {
      bundlePath = a;
    } else {
      throw new UsageError('more than one bundle');
    }
  }
  if (bundlePath === null) throw new UsageError('usage: node verify-bundle.mjs <bundle.json> [--log-key <vkey | file>] [--policy <file>]');
  let bundle, text;
  try {
    text = readFileSync(bundlePath, 'utf8');
    bundle = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`cannot read the bundle: ${e.message}`);
  }
  const twice = repeatedName(text);
  if (twice !== null) throw new UsageError(`the bundle names the property ${JSON.stringify(twice)} twice in one object (RFC 8259 §4: names SHOULD be unique)`);
  if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle)) throw new UsageError('the bundle is not a JSON object');
  if (bundle.format !== 'attest-proof-bundle/v1') throw new UsageError(`the bundle's format is not attest-proof-bundle/v1: ${JSON.stringify(bundle.format)}`);
  return { bundle, trusted: [...logKeys, ...(policy?.logs ?? [])], policy };
}

let args;
try {
  args = readArguments(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof UsageError ? '' : 'unexpected: '}${e.message}\n`);
  process.exit(2);
}
const { bundle, trusted, policy } = args;

// ---- the checks (docs/VERIFYING.md "Checks"), in its order ---------------------------------------------------

const checks = {};
const reasons = {};
/** Runs a check: it returns 'pass' or 'skip' with a sentence, or throws (fail) with the reason. */
function check(name, fn) {
  try {
    const [result, why] = fn();
    checks[name] = result;
    reasons[name] = why;
  } catch (e) {
    checks[name] = 'fail';
    reasons[name] = e.message;
  }
  return checks[name];
}
const pass = (why) => ['pass', why];
const skip = (why) => ['skip', why];
const must = (condition, why) => {
  if (!condition) throw new Error(why);
};
/** A failure that is not a check of its own but means the bundle was altered (a revocation of another attestation). */
const alteredBy = [];

const hasPayload = bundle.attestation != null;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const payload = isObject(bundle.attestation?.payload) ? bundle.attestation.payload : {};
const payloadBytes = () => {
  const canonical = canonicalize(payload);
  if (typeof canonical !== 'string') throw new Error('attestation.payload cannot be canonicalized');
  return utf8.encode(canonical);
};
const attestationEntry = (() => {
  try {
    return entryObject(bundle.log_entry?.entry, 'log_entry');
  } catch {
    return null;
  }
})();
// The attestation's id, issuer and time: from the signed payload, or (a public bundle has none) from the logged entry.
const subject = hasPayload ? payload : attestationEntry ?? {};
if (!isObject(bundle.issuer_key)) bundle.issuer_key = {};
if (!isObject(bundle.issuer)) bundle.issuer = {};

check('payload_signature', () => {
  if (!hasPayload) return skip('a public bundle carries no payload');
  const sig = base64url(bundle.attestation.signature);
  const pub = base64url(bundle.issuer_key?.public_key);
  must(sig.length === 64, 'signature is not 64 bytes');
  must(pub.length === 32, 'issuer public key is not 32 bytes');
  must(ed.verify(sig, payloadBytes(), pub, { zip215: false }), 'Ed25519 signature over the RFC 8785 payload does not verify under issuer_key.public_key');
  return pass('Ed25519 over the RFC 8785 payload verifies under the issuer key');
});

check('payload_key', () => {
  if (!hasPayload) return skip('a public bundle carries no payload');
  must(payload.kid === bundle.issuer_key.kid, `payload kid ${payload?.kid} is not the bundle's key ${bundle.issuer_key?.kid}`);
  must(payload.alg === 'Ed25519', `payload alg ${payload.alg} is not Ed25519`);
  must(bundle.issuer_key?.alg === undefined || bundle.issuer_key.alg === 'Ed25519', 'issuer_key alg is not Ed25519');
  must(payload.issuer_id === bundle.issuer?.id, `payload issuer ${payload.issuer_id} is not the bundle's issuer ${bundle.issuer?.id}`);
  return pass('the payload names the bundle key, Ed25519 and the issuer');
});

check('log_entry', () => {
  const e = entryObject(bundle.log_entry?.entry, 'log_entry');
  must(e.type === 'attestation/v1', `log entry type ${e.type} is not attestation/v1`);
  must(e.kid === bundle.issuer_key?.kid, `log entry kid ${e.kid} is not the bundle's key`);
  must(e.issuer_id === bundle.issuer?.id, `log entry issuer ${e.issuer_id} is not the bundle's issuer`);
  if (!hasPayload) return pass('the logged entry is an attestation/v1 of this issuer and key (no payload to compare)');
  const digest = hex(sha256(payloadBytes()));
  must(e.payload_sha256 === digest, `entry payload_sha256 ${e.payload_sha256} is not SHA-256(JCS(payload)) ${digest}`);
  must(e.signature === bundle.attestation.signature, 'entry signature is not the bundle signature');
  for (const field of ['id', 'issuer_id', 'kid', 'created_at', 'schema', 'supersedes'])
    must(e[field] === payload[field], `entry ${field} ${JSON.stringify(e[field])} is not the payload's ${JSON.stringify(payload[field])}`);
  return pass('the logged attestation/v1 entry holds this payload hash, signature, id, issuer, key, time and schema');
});

let issuerName = null;
check('issuer', () => {
  const e = entryObject(bundle.issuer?.log_entry?.entry, 'issuer.log_entry');
  must(e.type === 'issuer/v1', `issuer entry type ${e.type} is not issuer/v1`);
  must(typeof subject.issuer_id === 'string' && e.id === subject.issuer_id, `issuer entry id ${e.id} is not the attestation's issuer ${subject.issuer_id}`);
  must(bundle.issuer.id === undefined || bundle.issuer.id === e.id, `issuer.id ${bundle.issuer.id} is not the logged issuer ${e.id}`);
  must(typeof e.name === 'string' && e.name === bundle.issuer.name, `issuer.name ${JSON.stringify(bundle.issuer.name)} is not the logged name ${JSON.stringify(e.name)}`);
  issuerName = e.name;
  return pass(`the issuer/v1 entry names ${JSON.stringify(e.name)}`);
});

// Every entry of the bundle with its tlog-proof, all against log.checkpoint (only anchor.tlog_proof is not).
const keyEntries = Array.isArray(bundle.issuer_key?.log_entries) ? bundle.issuer_key.log_entries : [];
const provenEntries = [
  ['log_entry', bundle.log_entry],
  ['issuer.log_entry', bundle.issuer?.log_entry],
  ...keyEntries.map((e, i) => [`issuer_key.log_entries[${i}]`, e]),
  ...(bundle.revocation != null ? [['revocation', bundle.revocation]] : []),
  ...(bundle.superseded_by != null ? [['superseded_by', bundle.superseded_by]] : []),
  ...(bundle.anchor?.log_entry != null ? [['anchor.log_entry', bundle.anchor.log_entry]] : []),
];
let logCheckpoint = null;
try {
  logCheckpoint = parseCheckpoint(parseNote(bundle.log?.checkpoint).text);
} catch (e) {
  reasons.log_checkpoint = e.message;
}

check('inclusion', () => {
  must(logCheckpoint, `log.checkpoint: ${reasons.log_checkpoint}`);
  for (const [where, item] of provenEntries) {
    try {
      must(item && typeof item === 'object', 'missing');
      const proof = parseTlogProof(item.tlog_proof);
      must(Number.isSafeInteger(item.index) && BigInt(item.index) === proof.index, `index ${item.index} is not the tlog-proof's index ${proof.index}`);
      must(parseNote(proof.note).text === logCheckpoint.text, 'its tlog-proof is not against log.checkpoint');
      must(typeof item.entry === 'string', 'no entry text');
      verifyInclusion(proof.index, logCheckpoint.size, leafHash(utf8.encode(item.entry)), proof.proof, logCheckpoint.root);
    } catch (e) {
      throw new Error(`${where}: ${e.message}`);
    }
  }
  return pass(`${provenEntries.length} entries are included in checkpoint ${logCheckpoint.size}`);
});

// Every checkpoint note the bundle carries: log.checkpoint, each tlog-proof's, the anchored one and the anchor entry's.
const checkpointNotes = () => {
  const notes = [['log.checkpoint', bundle.log?.checkpoint]];
  for (const [where, item] of provenEntries) notes.push([where, parseTlogProof(item?.tlog_proof).note]);
  if (bundle.anchor != null) {
    notes.push(['anchor.tlog_proof', parseTlogProof(bundle.anchor.tlog_proof).note]);
    const anchorEntry = entryObject(bundle.anchor.log_entry?.entry, 'anchor.log_entry');
    notes.push(['anchor/v1 checkpoint', anchorEntry.checkpoint]);
  }
  return notes;
};

check('checkpoint_signature', () => {
  if (trusted.length === 0) return skip('no trust root (--log-key or --policy): the checkpoint is signed by a key the bundle names itself');
  must(bundle.log?.origin === undefined || (logCheckpoint && bundle.log.origin === logCheckpoint.origin), `log.origin ${bundle.log?.origin} is not the checkpoint's origin`);
  const notes = checkpointNotes();
  for (const [where, note] of notes) {
    try {
      openCheckpoint(note, trusted);
    } catch (e) {
      throw new Error(`${where}: ${e.message}`);
    }
  }
  return pass(`${notes.length} checkpoints are signed by a trusted log key`);
});

const witnessPasses = new Set();
for (const [name, witness] of policy?.witnesses ?? []) {
  check(`witness:${name}`, () => {
    const time = cosignatureTime(bundle.log?.checkpoint, witness);
    if (time === null) return skip(`log.checkpoint carries no cosignature by ${witness.name}+${witness.idHex}`);
    witnessPasses.add(name);
    return pass(`cosigned at ${new Date(Number(time) * 1000).toISOString()}`);
  });
}

check('witness_quorum', () => {
  if (!policy || policy.quorum === null) return skip(policy ? 'the policy requires no witness' : 'no policy');
  // Each group is judged once: groups may share members, and n groups each naming the two above it have ~1.6^n paths.
  const judged = new Map();
  const satisfied = (name) => {
    if (policy.witnesses.has(name)) return witnessPasses.has(name);
    if (!judged.has(name)) {
      const group = policy.groups.get(name);
      judged.set(name, group.members.filter(satisfied).length >= group.k);
    }
    return judged.get(name);
  };
  must(satisfied(policy.quorum), `the cosigning witnesses (${[...witnessPasses].join(', ') || 'none'}) do not satisfy quorum ${policy.quorum}`);
  return pass(`quorum ${policy.quorum} is met by ${[...witnessPasses].join(', ')}`);
});

// The key's logged events (docs/ENTRIES.md key/v1), as key_events found them, for key_status and status_note.
let keyEvents = null;
check('key_events', () => {
  const key = bundle.issuer_key;
  must(key && typeof key.kid === 'string', 'the bundle has no issuer key');
  must(typeof subject.issuer_id === 'string', 'the attestation names no issuer');
  const events = { created: null, rotated: null, compromised: null };
  for (const [i, item] of keyEntries.entries()) {
    const e = entryObject(item?.entry, `issuer_key.log_entries[${i}]`);
    const where = `issuer_key.log_entries[${i}]`;
    must(e.type === 'key/v1', `${where} is not key/v1`);
    must(e.issuer_id === subject.issuer_id, `${where} is of issuer ${e.issuer_id}, not ${subject.issuer_id}`);
    must(e.alg === 'Ed25519', `${where} alg is not Ed25519`);
    const at = rfc3339(e.at, `${where} at`);
    const event = { index: item.index, at, entry: e };
    if (e.kid === key.kid) {
      must(e.public_key === key.public_key, `${where} logs public key ${e.public_key}, not the bundle's ${key.public_key}`);
      // A key is created by a "created" event, or by the "rotated" event of the key that replaced another.
      if (e.event === 'created' || e.event === 'rotated') {
        must(events.created === null, `${where}: the key is created twice`);
        events.created = event;
      } else if (e.event === 'compromised') {
        event.compromisedAt = rfc3339(e.compromised_at, `${where} compromised_at`);
        if (events.compromised === null || event.index < events.compromised.index) events.compromised = event;
      } else {
        throw new Error(`${where}: unknown event ${e.event}`);
      }
    } else if (e.event === 'rotated' && e.rotated_from === key.kid) {
      if (events.rotated === null || event.index < events.rotated.index) events.rotated = event;
    } else {
      throw new Error(`${where} is not an event of key ${key.kid}`);
    }
  }
  must(events.created !== null, `the bundle carries no logged creation of key ${key.kid}`);
  keyEvents = events;
  const names = ['created', 'rotated', 'compromised'].filter((n) => events[n]);
  return pass(`key ${key.kid} of this issuer logged with this public key (${names.join(', ')})`);
});
const derivedKeyStatus = () => (keyEvents.compromised ? 'compromised' : keyEvents.rotated ? 'rotated' : 'active');

check('key_status', () => {
  must(keyEvents, 'the key events do not hold');
  const signed = rfc3339(subject.created_at, 'the attestation created_at');
  const i = bundle.log_entry?.index;
  must(Number.isSafeInteger(i), 'the attestation has no log index');
  const { created, rotated, compromised } = keyEvents;
  must(signed >= created.at && i > created.index, 'signed before its key existed (by time or by log order)');
  if (compromised)
    must(signed < compromised.compromisedAt && i < compromised.index,
      `signed at or after the key's compromise (${compromised.entry.compromised_at}) or logged after it was (index ${i} > ${compromised.index})`);
  if (rotated)
    must(signed <= rotated.at && i < rotated.index,
      `signed after the key was rotated (${rotated.entry.at}) or logged after it was (index ${i} > ${rotated.index})`);
  must(bundle.issuer_key.status === derivedKeyStatus(), `issuer_key.status ${bundle.issuer_key.status} is not ${derivedKeyStatus()}, the status its logged events give`);
  return pass(`signed while key ${bundle.issuer_key.kid} was valid (now ${derivedKeyStatus()})`);
});

// c2sp.org/signed-note text of exactly eight lines (docs/VERIFYING.md "status_note"), parsed strictly.
let statusTime = null;
const statusNote = (() => {
  try {
    const { text } = parseNote(bundle.status_note);
    const lines = text.split('\n');
    if (lines.length !== 9 || lines[8] !== '') throw new Error('the status note is not eight lines');
    const [header, origin, size, root, id, status, key, time] = lines;
    if (header !== 'attest-status/v1') throw new Error('the status note does not start with attest-status/v1');
    const rootBytes = base64(root);
    if (rootBytes.length !== 32) throw new Error('the status note root is not 32 bytes');
    if (!['VALID', 'REVOKED', 'SUPERSEDED'].includes(status)) throw new Error(`unknown status ${status}`);
    const km = /^([^ ]+) (active|rotated|compromised)$/.exec(key);
    if (!km) throw new Error(`malformed key line ${JSON.stringify(key)}`);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(time) || Number.isNaN(Date.parse(time))) throw new Error(`malformed time ${JSON.stringify(time)}`);
    if (origin === '' || id === '') throw new Error('empty origin or id');
    return { origin, size: decimal(size), root: rootBytes, id, status, kid: km[1], keyStatus: km[2], time };
  } catch (e) {
    reasons.status_note_parse = e.message;
    return null;
  }
})();

check('status_note', () => {
  if (trusted.length === 0) return skip('no trust root: the status note is signed by a key the bundle names itself');
  must(bundle.status_note != null, 'the bundle carries no status note');
  must(statusNote, reasons.status_note_parse);
  const { key } = openNote(bundle.status_note, trusted);
  const n = statusNote;
  must(n.origin === key.name, `status note origin ${n.origin} is not the signing key's name ${key.name}`);
  must(logCheckpoint && n.origin === logCheckpoint.origin && n.size === logCheckpoint.size && equal(n.root, logCheckpoint.root),
    'the status note is not about log.checkpoint (origin, size and root)');
  must(n.id === subject.id, `the status note is about ${n.id}, not ${subject.id}`);
  must(n.kid === bundle.issuer_key?.kid, `the status note names key ${n.kid}, not ${bundle.issuer_key?.kid}`);
  must(keyEvents && n.keyStatus === derivedKeyStatus(), `the status note says key ${n.keyStatus}, its logged events say ${keyEvents ? derivedKeyStatus() : 'nothing'}`);
  const revoked = bundle.revocation != null;
  const superseded = bundle.superseded_by != null;
  must((n.status === 'REVOKED') === revoked, `the log signed ${n.status}, the bundle ${revoked ? 'carries' : 'carries no'} revocation`);
  must(n.status !== 'SUPERSEDED' || superseded, 'the log signed SUPERSEDED, the bundle carries no superseding entry');
  must(n.status !== 'VALID' || (!revoked && !superseded), 'the log signed VALID, the bundle carries a revocation or superseding entry');
  must(bundle.status === n.status, `the bundle says ${bundle.status}, the log signed ${n.status}`);
  statusTime = n.time;
  return pass(`the log signed ${n.status} at ${n.time}`);
});

check('revocation', () => {
  if (bundle.revocation == null) return pass('the bundle carries no revocation entry');
  let e;
  try {
    e = entryObject(bundle.revocation.entry, 'revocation');
    must(e.type === 'revocation/v1', `the revocation entry is ${e.type}`);
    must(e.attestation_id === subject.id, `the revocation is of ${e.attestation_id}, not ${subject.id}`);
    must(e.issuer_id === subject.issuer_id, `the revocation is by issuer ${e.issuer_id}`);
  } catch (err) {
    alteredBy.push(`revocation: ${err.message}`);
    throw err;
  }
  throw new Error(`revoked at ${e.revoked_at} (log index ${bundle.revocation.index})`);
});

check('superseded', () => {
  if (bundle.superseded_by == null) return pass('the bundle carries no superseding entry');
  let e;
  try {
    e = entryObject(bundle.superseded_by.entry, 'superseded_by');
    must(e.type === 'attestation/v1', `the superseding entry is ${e.type}`);
    must(e.supersedes === subject.id, `the superseding entry supersedes ${e.supersedes}, not ${subject.id}`);
    must(e.issuer_id === subject.issuer_id, `the superseding entry is by issuer ${e.issuer_id}`);
  } catch (err) {
    alteredBy.push(`superseded_by: ${err.message}`);
    throw err;
  }
  throw new Error(`superseded by ${e.id} (log index ${bundle.superseded_by.index})`);
});

// docs/ANCHORING.md "Verifying an anchor offline", log side; the chain side needs a node (anchor_chain).
let anchorMissingByPolicy = false;
check('anchor', () => {
  const a = bundle.anchor;
  if (a == null) {
    if (policy?.anchorRequired) {
      anchorMissingByPolicy = true;
      throw new Error('the policy requires an anchor and the bundle carries none');
    }
    return skip('the bundle carries no anchor');
  }
  const anchored = parseTlogProof(a.tlog_proof);
  const checkpoint = trusted.length > 0 ? openCheckpoint(anchored.note, trusted) : parseCheckpoint(parseNote(anchored.note).text);
  must(checkpoint.size === BigInt(a.tree_size), `anchored checkpoint size ${checkpoint.size} is not tree_size ${a.tree_size}`);
  must(equal(checkpoint.root, base64(a.root_hash)), 'anchored checkpoint root is not root_hash');
  must(logCheckpoint && checkpoint.origin === logCheckpoint.origin && checkpoint.size <= logCheckpoint.size, 'the anchored checkpoint is not an earlier checkpoint of this log');
  must(Number.isSafeInteger(bundle.log_entry?.index) && anchored.index === BigInt(bundle.log_entry.index), `anchor proof is for index ${anchored.index}`);
  verifyInclusion(anchored.index, checkpoint.size, leafHash(utf8.encode(bundle.log_entry.entry)), anchored.proof, checkpoint.root);
  const calldata = new Uint8Array(77);
  calldata.set(utf8.encode('ATST'), 0);
  calldata[4] = 1;
  new DataView(calldata.buffer).setBigUint64(5, checkpoint.size);
  calldata.set(checkpoint.root, 13);
  calldata.set(sha256(utf8.encode(checkpoint.origin)), 45);
  must(a.calldata === '0x' + hex(calldata), `calldata ${a.calldata} is not 0x${hex(calldata)}`);
  // The anchor/v1 entry (included in log.checkpoint, see inclusion) is what the log recorded of the transaction.
  const e = entryObject(a.log_entry?.entry, 'anchor.log_entry');
  must(e.type === 'anchor/v1', `the anchor entry is ${e.type}`);
  must(BigInt(e.tree_size) === checkpoint.size && e.root_hash === a.root_hash, 'the anchor entry is of another tree size or root');
  must(parseCheckpoint(parseNote(e.checkpoint).text).text === checkpoint.text, 'the anchor entry holds another checkpoint');
  for (const field of ['chain_id', 'tx_hash', 'block_hash', 'block_number', 'block_timestamp', 'from', 'to'])
    must(a[field] === undefined || a[field] === e[field], `anchor.${field} is not the logged ${field}`);
  return pass(`included in checkpoint ${checkpoint.size}, anchored by transaction ${e.tx_hash} on chain ${e.chain_id}`);
});
check('anchor_chain', () => skip('the chain side of the anchor needs a node; this verifier is offline'));
check('document', () => skip('no document given'));
check('consistency', () => skip('offline: no later checkpoint consulted'));
check('freshness', () =>
  skip(`offline: status known only up to checkpoint ${logCheckpoint?.size ?? '?'}${statusTime ? ` (status signed by the log at ${statusTime})` : ''}`));

// ---- the verdict (docs/VERIFYING.md "Verdicts"): the first that applies --------------------------------------

const ALTERING = ['payload_signature', 'payload_key', 'log_entry', 'issuer', 'inclusion', 'checkpoint_signature', 'key_events',
  'status_note', 'anchor_chain', 'document', 'consistency'];
const failed = (name) => checks[name] === 'fail';
let verdict;
if (ALTERING.some(failed) || (failed('anchor') && !anchorMissingByPolicy) || alteredBy.length > 0) verdict = 'ALTERED';
else if (checks.checkpoint_signature === 'skip' || failed('witness_quorum') || anchorMissingByPolicy) verdict = 'UNVERIFIED';
else if (failed('key_status')) verdict = 'KEY_COMPROMISED';
else if (failed('revocation')) verdict = 'REVOKED';
else if (failed('superseded')) verdict = 'SUPERSEDED';
else verdict = 'VALID';

// The name is shown only when it is proven: the issuer/v1 entry, included in a checkpoint signed by a trusted log key.
const nameProven = ['issuer', 'inclusion', 'checkpoint_signature'].every((name) => checks[name] === 'pass');
const result = {
  verdict,
  as_of: { tree_size: logCheckpoint ? Number(logCheckpoint.size) : null, status_time: statusTime },
  issuer_name: nameProven ? issuerName : null,
  checks,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.stderr.write(JSON.stringify({ verdict, reasons: { ...reasons, ...(alteredBy.length ? { altered: alteredBy } : {}) } }) + '\n');
process.exit(verdict === 'VALID' ? 0 : 1);
