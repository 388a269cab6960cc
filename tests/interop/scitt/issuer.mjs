// An outside SCITT issuer: makes its own key pair (ES256 with WebCrypto, EdDSA with node:crypto's Ed25519) and signs
// Signed Statements as RFC 9052 §4.2 COSE_Sign1 over the §4.4 Sig_structure, with a CBOR encoder written here (RFC 8949
// §3, preferred serialization). Nothing of the server's code is used.
//
// node issuer.mjs '<request JSON>' prints {"jwk": <public JWK>, "statements": [<base64>...]}.
// The request: {"alg": "ES256" | "EdDSA", "statements": [{"kid", "iss"?, "sub"?, "payload" (text), "claims"?: false,
// "unprotected"?: {label: text}, "detached"?: true, "cty"?: text, "hash_envelope"?: true}]}.
import { webcrypto, generateKeyPairSync, sign as nodeSign } from 'node:crypto';

const subtle = webcrypto.subtle;

function head(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

// Values: numbers (integers), Uint8Array (bstr), string (tstr), Array, Map (keys in insertion order), {tag, value}.
function encode(v) {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v];
  if (typeof v === 'string') { const b = new TextEncoder().encode(v); return [...head(3, b.length), ...b]; }
  if (Array.isArray(v)) return [...head(4, v.length), ...v.flatMap(encode)];
  if (v instanceof Map) return [...head(5, v.size), ...[...v].flatMap(([k, x]) => [...encode(k), ...encode(x)])];
  if (v === null) return [0xf6];
  if (v && typeof v.tag === 'number') return [...head(6, v.tag), ...encode(v.value)];
  throw new Error('cannot encode ' + typeof v);
}

const bytes = (a) => Uint8Array.from(a);

const request = JSON.parse(process.argv[2]);
let signer, jwk;
if (request.alg === 'ES256') {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  jwk = await subtle.exportKey('jwk', pair.publicKey);
  // WebCrypto's ECDSA signature is r || s, 64 bytes: what RFC 9053 §2.1 asks of ES256.
  signer = async (tbs) => new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, tbs));
} else {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  jwk = publicKey.export({ format: 'jwk' });
  signer = async (tbs) => new Uint8Array(nodeSign(null, tbs, privateKey));
}

const statements = [];
for (const s of request.statements) {
  const header = new Map();
  header.set(1, request.alg === 'ES256' ? -7 : -8);
  header.set(4, new TextEncoder().encode(s.kid));
  if (s.cty) header.set(3, s.cty);
  if (s.hash_envelope) { header.set(258, -16); header.set(259, 'application/octet-stream'); header.set(260, 'https://artifacts.example/a.bin'); }
  if (s.claims !== false) {
    const claims = new Map();
    if (s.iss !== undefined) claims.set(1, s.iss);
    if (s.sub !== undefined) claims.set(2, s.sub);
    claims.set(6, 1765000000);
    header.set(15, claims);
  }
  const protectedBytes = bytes(encode(header));
  const payload = new TextEncoder().encode(s.payload);
  const tbs = bytes(encode(['Signature1', protectedBytes, new Uint8Array(0), payload]));
  const signature = await signer(tbs);
  const unprotected = new Map(Object.entries(s.unprotected ?? {}).map(([k, v]) => [Number(k), v]));
  const sign1 = { tag: 18, value: [protectedBytes, unprotected, s.detached ? null : payload, signature] };
  statements.push(Buffer.from(bytes(encode(sign1))).toString('base64'));
}
process.stdout.write(JSON.stringify({ jwk, statements }));
