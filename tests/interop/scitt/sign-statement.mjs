// Signs a SCITT Signed Statement (RFC 9943 §6) as an outside issuer would: a fresh ES256 key from node's WebCrypto,
// a COSE_Sign1 (RFC 9052 §4.2, tagged 18) whose protected header has alg -7, kid (bytes) and CWT claims (label 15,
// RFC 9597) iss and sub, an attached payload and an empty unprotected header. The CBOR encoder is @transmute/cose's.
//
//   node sign-statement.mjs --out-dir <dir> --kid <kid> --iss <issuer> --sub <subject> --payload <text>
//
// Writes <dir>/statement.cbor and <dir>/issuer-key.json (the public JWK, with kid and alg).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cose from '@transmute/cose';

const opt = {};
for (let i = 2; i < process.argv.length; i += 2) opt[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const name of ['out-dir', 'kid', 'iss', 'sub', 'payload']) if (opt[name] === undefined) throw new Error(`--${name} is required`);

const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
const protectedHeader = cose.cbor.encode(new Map([
  [1, -7],
  [4, Buffer.from(opt.kid, 'utf8')],
  [15, new Map([[1, opt.iss], [2, opt.sub]])],
]));
const payload = Buffer.from(opt.payload, 'utf8');
// RFC 9052 §4.4: the Sig_structure, then ECDSA with SHA-256; WebCrypto's signature is r || s, as COSE wants it.
const toBeSigned = cose.cbor.encode(['Signature1', protectedHeader, Buffer.alloc(0), payload]);
const signature = Buffer.from(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, toBeSigned));
const statement = cose.cbor.encode(new cose.cbor.Tagged(18, [protectedHeader, new Map(), payload, signature]));

const jwk = await crypto.subtle.exportKey('jwk', publicKey);
writeFileSync(join(opt['out-dir'], 'statement.cbor'), statement);
writeFileSync(join(opt['out-dir'], 'issuer-key.json'), JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: opt.kid, alg: 'ES256' }));
