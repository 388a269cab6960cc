// Independent check of C2SP tlog-cosignature v1 (Ed25519) cosignatures, used by tests/LogServer.Tests. It shares no
// code with the server: Ed25519 is "@noble/ed25519", SHA-256/SHA-512 "@noble/hashes"; signed-note parsing, vkeys,
// key IDs and the cosignature/v1 signed message are written here from c2sp.org/signed-note and c2sp.org/tlog-cosignature.
//
//   node cosignatures.mjs verify <note-file> <log-vkey> <witness-vkey>...
//     Prints one JSON line {"log": bool, "origin": str, "size": int, "witnesses": {<name>: {"ok": bool, "timestamp": int}}}
//     for the checkpoint note in <note-file>: "log" is whether a line by the log's vkey (type 0x01) verifies over the
//     note text; each witness vkey (type 0x04) that has a line gets an entry. Exits 0 only when the log signature and
//     every present witness line verify, else 1 (2 on unreadable input).
//
//   node cosignatures.mjs sign <seed-hex> <name> <timestamp> <text-file>
//     Prints the cosignature line a witness with that Ed25519 seed and key name makes over the note text at that
//     time, and its vkey: the known-answer vector tests/testdata/cosignature/vectors.json is checked against this.
import { readFileSync } from 'node:fs';
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2';

ed.etc.sha512Sync = (...m) => sha512(ed.etc.concatBytes(...m));

const utf8 = new TextEncoder();
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
function unb64(text) {
  const bytes = Uint8Array.from(Buffer.from(text, 'base64'));
  if (b64(bytes) !== text) throw new Error(`not canonical base64: ${text}`);
  return bytes;
}
const u32be = (n) => new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const readU32 = (b) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;

// c2sp.org/signed-note "Signatures": key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian.
const keyId = (name, type, pub) => readU32(sha256(concat(utf8.encode(name), new Uint8Array([0x0a, type]), pub)));

// c2sp.org/signed-note "Verifier keys": name+hex8+base64(type || key).
function parseVkey(vkey, wantType) {
  const [name, hex, key] = [vkey.slice(0, vkey.indexOf('+')), vkey.split('+')[1], vkey.split('+').slice(2).join('+')];
  const raw = unb64(key);
  if (raw.length !== 33 || raw[0] !== wantType) throw new Error(`${vkey}: not a type 0x0${wantType} Ed25519 vkey`);
  const pub = raw.slice(1);
  const id = keyId(name, wantType, pub);
  if (id.toString(16).padStart(8, '0') !== hex) throw new Error(`${vkey}: key ID ${hex} is not ${id.toString(16)}`);
  return { name, id, pub };
}

// c2sp.org/tlog-cosignature "Ed25519 signed message".
const cosignedMessage = (timestamp, text) => concat(utf8.encode(`cosignature/v1\ntime ${timestamp}\n`), utf8.encode(text));

function readTimestamp(sig) {
  let t = 0n;
  for (let i = 0; i < 8; i++) t = (t << 8n) | BigInt(sig[i]);
  if (t > 2n ** 63n - 1n) throw new Error('timestamp above 2^63 - 1');
  return t;
}

function verify(notePath, logVkey, witnessVkeys) {
  const note = readFileSync(notePath, 'utf8');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n').map((line) => {
    if (!line.startsWith('\u2014 ')) throw new Error(`bad signature line: ${line}`);
    const [name, sig] = line.slice(2).split(' ');
    const raw = unb64(sig);
    return { name, id: readU32(raw), sig: raw.slice(4) };
  });
  const [origin, size] = text.split('\n');
  const log = parseVkey(logVkey, 0x01);
  const logLine = lines.find((l) => l.name === log.name && l.id === log.id);
  const result = { log: !!logLine && logLine.sig.length === 64 && ed.verify(logLine.sig, utf8.encode(text), log.pub), origin, size: Number(size), witnesses: {} };
  let ok = result.log;
  for (const vkey of witnessVkeys) {
    const w = parseVkey(vkey, 0x04);
    const line = lines.find((l) => l.name === w.name && l.id === w.id);
    if (!line) continue;
    let good = false;
    let timestamp = null;
    if (line.sig.length === 72) {
      timestamp = readTimestamp(line.sig);
      good = ed.verify(line.sig.slice(8), cosignedMessage(timestamp, text), w.pub);
    }
    result.witnesses[w.name] = { ok: good, timestamp: timestamp === null ? null : Number(timestamp) };
    ok &&= good;
  }
  console.log(JSON.stringify(result));
  return ok ? 0 : 1;
}

function sign(seedHex, name, timestamp, textPath) {
  const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
  const pub = ed.getPublicKey(seed);
  const id = keyId(name, 0x04, pub);
  const text = readFileSync(textPath, 'utf8');
  const t = BigInt(timestamp);
  const ts = new Uint8Array(8);
  for (let i = 0; i < 8; i++) ts[i] = Number((t >> BigInt(8 * (7 - i))) & 0xffn);
  const sig = ed.sign(cosignedMessage(t, text), seed);
  console.log(JSON.stringify({
    vkey: `${name}+${id.toString(16).padStart(8, '0')}+${b64(concat(new Uint8Array([0x04]), pub))}`,
    line: `\u2014 ${name} ${b64(concat(u32be(id), ts, sig))}\n`,
  }));
  return 0;
}

try {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'verify' && args.length >= 2) process.exit(verify(args[0], args[1], args.slice(2)));
  if (mode === 'sign' && args.length === 4) process.exit(sign(...args));
  console.error('usage: cosignatures.mjs verify <note> <log-vkey> <witness-vkey>... | sign <seed-hex> <name> <timestamp> <text-file>');
  process.exit(2);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
