// gRPC interop client for Attest on npm @grpc/grpc-js with @grpc/proto-loader (a client nobody here wrote).
//
// Calls every RPC of proto/attest/v1 and grpc.health.v1.Health on a running server, including errors, deadlines,
// compression, the message-size limit, cancellation and the server streams, and prints one JSON object per check:
// {"check": name, "ok": bool, "detail": ...}. Exits 1 when any check fails. The same checks as
// tests/interop/grpc-python/interop.py.
//
//   node interop.mjs --target 127.0.0.1:5001 --rest http://127.0.0.1:5000 --admin-key KEY [--proto DIR] [--max-message-bytes N]
//
// The protos are loaded at run time from the repository's proto/ directory (keepCase: the REST field names).

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { proto: path.resolve(here, '..', '..', '..', 'proto'), 'max-message-bytes': '65536' };
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['target', 'rest', 'admin-key']) if (!args[required]) throw new Error(`--${required} is required`);
  return args;
}

const args = parseArgs(process.argv.slice(2));
const rest = args.rest.replace(/\/$/, '');
const adminKey = args['admin-key'];
const maxMessageBytes = Number(args['max-message-bytes']);
const run = randomUUID().replaceAll('-', '').slice(0, 10);
const results = [];

class CheckFailed extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function emit(name, ok, detail) {
  results.push(ok);
  process.stdout.write(JSON.stringify({ check: name, ok, detail }) + '\n');
}

async function check(name, fn) {
  try {
    const detail = await fn();
    emit(name, true, detail ?? null);
    return detail;
  } catch (e) {
    emit(name, false, e instanceof CheckFailed ? e.message : `${e?.constructor?.name}: ${e?.message ?? e} | ${e?.stack ?? ''}`.replace(/\n/g, ' '));
    return undefined;
  }
}

// ---- RFC 9162 (RFC 6962) Merkle hashing and proof verification, written from the RFC ----

const sha256 = (data) => createHash('sha256').update(data).digest();
const leafHash = (entry) => sha256(Buffer.concat([Buffer.from([0]), Buffer.from(entry)]));
const nodeHash = (l, r) => sha256(Buffer.concat([Buffer.from([1]), l, r]));

function treeHash(leaves) {
  const n = leaves.length;
  if (n === 0) return sha256(Buffer.alloc(0));
  if (n === 1) return leaves[0];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

// RFC 9162 §2.1.3.2. Sizes here are small, so plain numbers and bit operations on them are exact.
function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if ((fn & 1) || fn === sn) {
      r = nodeHash(p, r);
      while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && r.equals(root);
}

// RFC 9162 §2.1.4.2 (size1 >= 1).
function verifyConsistency(size1, size2, root1, root2, proof) {
  if (size1 > size2 || size1 < 1) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if ((size1 & (size1 - 1)) === 0) proof = [root1, ...proof];
  if (proof.length === 0) return false;
  let fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) { fn >>= 1; sn >>= 1; }
  let fr = proof[0], sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

const b64 = (text) => Buffer.from(text, 'base64');
const b64url = (text) => Buffer.from(text, 'base64url');

// ---- google.protobuf.Struct as proto-loader objects ----
// protobufjs defines the well-known types itself, with camelCase field names whatever keepCase says; oneofs: true
// adds `kind`, the name of the field that is set.

function toValue(v) {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}

function toStruct(obj) {
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toValue(v)])) };
}

function fromValue(v) {
  switch (v.kind) {
    case 'nullValue': return null;
    case 'stringValue': return v.stringValue;
    case 'numberValue': return v.numberValue;
    case 'boolValue': return v.boolValue;
    case 'listValue': return (v.listValue.values ?? []).map(fromValue);
    case 'structValue': return fromStruct(v.structValue);
    default: throw new Error(`a Value without a kind: ${JSON.stringify(v)}`);
  }
}

function fromStruct(s) {
  return Object.fromEntries(Object.entries(s?.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

// ---- clients ----

const protoFiles = ['attest/v1/attestations.proto', 'attest/v1/issuers.proto', 'attest/v1/log.proto', 'attest/v1/stamps.proto', 'grpc/health/v1/health.proto'];
const definition = protoLoader.loadSync(protoFiles, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [args.proto] });
const pkg = grpc.loadPackageDefinition(definition);
const credentials = grpc.credentials.createInsecure();
const health = new pkg.grpc.health.v1.Health(args.target, credentials);
const attestations = new pkg.attest.v1.Attestations(args.target, credentials);
const issuers = new pkg.attest.v1.Issuers(args.target, credentials);
const log = new pkg.attest.v1.Log(args.target, credentials);
const stamps = new pkg.attest.v1.Stamps(args.target, credentials);
// grpc-js compresses per channel: 'grpc.default_compression_algorithm' 2 is gzip.
const gzipOptions = { 'grpc.default_compression_algorithm': 2 };
const gzipAttestations = new pkg.attest.v1.Attestations(args.target, credentials, gzipOptions);
const gzipStamps = new pkg.attest.v1.Stamps(args.target, credentials, gzipOptions);
const generic = new grpc.Client(args.target, credentials);
const allClients = [health, attestations, issuers, log, stamps, gzipAttestations, gzipStamps, generic];

const S = grpc.status;
const statusName = (code) => Object.keys(S).find((k) => S[k] === code) ?? String(code);
const deadline = (seconds) => new Date(Date.now() + seconds * 1000);

function metadata(pairs) {
  const md = new grpc.Metadata();
  for (const [k, v] of pairs) md.add(k, v);
  return md;
}

const admin = [['authorization', `Bearer ${adminKey}`]];
const withKey = (pairs, key) => [...pairs, ['idempotency-key', key]];

function unary(client, method, request, pairs = [], options = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata(pairs), { deadline: deadline(30), ...options }, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

async function rpcError(promise) {
  let reply;
  try {
    reply = await promise;
  } catch (e) {
    if (typeof e?.code !== 'number') throw e;
    return e;
  }
  throw new CheckFailed(`expected an error, got a reply: ${JSON.stringify(reply).slice(0, 300)}`);
}

function expectStatus(e, code, prefix) {
  expect(e.code === code, `expected ${statusName(code)}, got ${statusName(e.code)}: ${e.details}`);
  if (prefix !== undefined) expect((e.details ?? '').startsWith(prefix), `details should start with ${JSON.stringify(prefix)}: ${JSON.stringify(e.details)}`);
  return { code: statusName(e.code), details: e.details };
}

/** A server stream read one message at a time: next() gives a message, or throws the call's error, or null at the end. */
class StreamReader {
  constructor(call) {
    this.call = call;
    this.queue = [];
    this.waiters = [];
    this.error = null;
    this.ended = false;
    this.status = null;
    call.on('data', (m) => this.push({ value: m }));
    call.on('error', (e) => { this.error = e; this.push({ error: e }); });
    call.on('end', () => { this.ended = true; this.push({ end: true }); });
    call.on('status', (s) => { this.status = s; });
  }

  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.queue.push(item);
  }

  async next() {
    const item = this.queue.length > 0 ? this.queue.shift() : await new Promise((resolve) => this.waiters.push(resolve));
    if (item.error) throw item.error;
    if (item.end) return null;
    return item.value;
  }

  /** Cancels the call and waits for its final error (CANCELLED), skipping messages already received. */
  async cancel() {
    this.call.cancel();
    for (;;) {
      try {
        if ((await this.next()) === null) return null;
      } catch (e) {
        return e;
      }
    }
  }
}

async function restCall(method, urlPath, body, key = adminKey) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers.authorization = `Bearer ${key}`;
  const r = await fetch(rest + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, text };
}

async function treeSize() {
  const r = await restCall('GET', '/readyz', undefined, null);
  expect(r.status === 200, `GET /readyz answered ${r.status}`);
  return r.body.tree_size;
}

const degreeClaims = (tag) => ({
  student_name: `Ada ${tag}`, institution: 'Example University', degree_type: 'BSc',
  field_of_study: 'Mathematics', graduation_date: '2025-06-30', honors: 'cum laude',
});

const mintRequest = (issuerId, kid, tag, extra = {}) => ({ issuer_id: issuerId, kid, alg: 'Ed25519', schema: 'degree', claims: toStruct(degreeClaims(tag)), ...extra });

const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');

function parseTlogProof(text) {
  const [head, note] = [text.slice(0, text.indexOf('\n\n')), text.slice(text.indexOf('\n\n') + 2)];
  const lines = head.split('\n');
  const [origin, size, root] = note.split('\n');
  return { header: lines[0], indexLine: lines[1], proof: lines.slice(2).map(b64), origin, size: Number(size), root: b64(root) };
}

const state = {};

async function main() {
  await new Promise((resolve, reject) => health.waitForReady(deadline(30), (e) => (e ? reject(e) : resolve())));

  // ---- health ----
  await check('health.check.serving', async () => {
    const statuses = {};
    for (const service of ['', 'attest.v1.Attestations', 'attest.v1.Stamps', 'attest.v1.Issuers', 'attest.v1.Log']) {
      const r = await unary(health, 'Check', { service });
      expect(r.status === 'SERVING', `${JSON.stringify(service)} is ${r.status}`);
      statuses[service || '(server)'] = r.status;
    }
    return statuses;
  });

  await check('health.check.unknown_service', async () =>
    expectStatus(await rpcError(unary(health, 'Check', { service: 'no.such.Service' })), S.NOT_FOUND));

  await check('health.watch', async () => {
    const reader = new StreamReader(health.Watch({ service: '' }, { deadline: deadline(60) }));
    const first = await reader.next();
    expect(first?.status === 'SERVING', `first Watch message: ${JSON.stringify(first)}`);
    const e = await reader.cancel();
    expect(e?.code === S.CANCELLED, `after cancel: ${e?.code} ${e?.details}`);
    const after = await unary(health, 'Check', {});
    expect(after.status === 'SERVING', `Check after the cancelled Watch: ${after.status}`);
    return { first: first.status, after_cancel: statusName(e.code) };
  });

  // ---- issuers and keys ----
  await check('issuers.create_issuer', async () => {
    const r = await unary(issuers, 'CreateIssuer', { name: `Interop University ${run}` }, admin);
    expect(/^[0-9a-f-]{36}$/.test(r.id), `id ${r.id}`);
    expect(r.name === `Interop University ${run}` && r.created_at !== '', `issuer ${JSON.stringify(r)}`);
    const other = await unary(issuers, 'CreateIssuer', { name: `Other College ${run}` }, admin);
    expect(other.id !== r.id && other.log_index > r.log_index, `second issuer ${other.id} at ${other.log_index}`);
    state.issuer = r.id;
    state.otherIssuer = other.id;
    return { id: r.id, log_index: r.log_index, other: other.id };
  });

  await check('issuers.create_key', async () => {
    const kid = `js-${run}`;
    const k = await unary(issuers, 'CreateKey', { issuer_id: state.issuer, kid }, admin);
    expect(k.kid === kid && k.issuer_id === state.issuer, `key ${k.kid} of ${k.issuer_id}`);
    expect(k.alg === 'Ed25519' && k.status === 'active', `alg ${k.alg} status ${k.status}`);
    expect(b64url(k.public_key).length === 32, `public_key ${k.public_key} is not 32 bytes`);
    const again = await rpcError(unary(issuers, 'CreateKey', { issuer_id: state.issuer, kid }, admin));
    expectStatus(again, S.ALREADY_EXISTS, 'kid_exists: ');
    state.kid = kid;
    const other = await unary(issuers, 'CreateKey', { issuer_id: state.otherIssuer, kid: `js-other-${run}` }, admin);
    state.otherKid = other.kid;
    return { kid, public_key: k.public_key, duplicate: statusName(again.code) };
  });

  await check('issuers.rotate_key', async () => {
    const newKid = `js-rotated-${run}`;
    const k = await unary(issuers, 'RotateKey', { kid: state.kid, new_kid: newKid }, admin);
    expect(k.kid === newKid && k.status === 'active' && k.issuer_id === state.issuer, `rotated to ${k.kid} (${k.status})`);
    const again = await rpcError(unary(issuers, 'RotateKey', { kid: state.kid, new_kid: `js-x-${run}` }, admin));
    expectStatus(again, S.FAILED_PRECONDITION, 'key_not_active: ');
    state.oldKid = state.kid;
    state.kid = newKid;
    return { old: state.oldKid, new: newKid };
  });

  await check('issuers.compromise_key', async () => {
    const kid = `js-compromised-${run}`;
    await unary(issuers, 'CreateKey', { issuer_id: state.issuer, kid }, admin);
    const a = await unary(attestations, 'Mint', mintRequest(state.issuer, kid, 'compromised'), withKey(admin, randomUUID()));
    // Compromised since long before the mint: the attestation is affected.
    const r = await unary(issuers, 'CompromiseKey', { kid, compromised_at: '2020-01-01T00:00:00Z' }, admin);
    expect(r.kid === kid && r.status === 'compromised', `compromise answered ${r.kid} ${r.status}`);
    expect(r.compromised_at.startsWith('2020-01-01T00:00:00'), `compromised_at ${r.compromised_at}`);
    expect(r.log_index > a.log_index, `compromise log_index ${r.log_index} <= mint's ${a.log_index}`);
    const v = await unary(attestations, 'Verify', { attestation_id: a.id });
    expect(v.verdict === 'KEY_COMPROMISED', `verdict of an attestation signed after the compromise: ${v.verdict} ${v.reasons}`);
    const again = await rpcError(unary(issuers, 'CompromiseKey', { kid }, admin));
    expectStatus(again, S.FAILED_PRECONDITION, 'key_compromised: ');
    const bad = await rpcError(unary(issuers, 'CompromiseKey', { kid: state.kid, compromised_at: 'yesterday' }, admin));
    expectStatus(bad, S.INVALID_ARGUMENT);
    state.compromisedKid = kid;
    return { kid, affected_attestations: r.affected_attestations, verdict: v.verdict };
  });

  await check('issuers.list_keys', async () => {
    const r = await unary(issuers, 'ListKeys', { issuer_id: state.issuer }, admin);
    const statuses = Object.fromEntries(r.keys.map((k) => [k.kid, k.status]));
    const want = { [state.oldKid]: 'rotated', [state.kid]: 'active', [state.compromisedKid]: 'compromised' };
    expect(JSON.stringify(Object.entries(statuses).sort()) === JSON.stringify(Object.entries(want).sort()), `keys ${JSON.stringify(statuses)}, expected ${JSON.stringify(want)}`);
    const old = r.keys.find((k) => k.kid === state.oldKid);
    expect(old.replaced_by === state.kid && old.rotated_at !== '', `rotated key: replaced_by ${old.replaced_by} rotated_at ${old.rotated_at}`);
    return statuses;
  });

  // ---- API key of one issuer, over REST ----
  await check('rest.create_api_key', async () => {
    const r = await restCall('POST', '/v1/api-keys', { issuer_id: state.issuer, name: `node interop ${run}` });
    expect(r.status === 201, `POST /v1/api-keys answered ${r.status}: ${r.text}`);
    state.issuerKey = r.body.key;
    return { id: r.body.id };
  });

  // ---- attestations ----
  await check('attestations.mint.bearer', async () => {
    const size = await treeSize();
    const a = await unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'bearer', { recipient_email: 'ada@example.org' }), withKey(admin, randomUUID()));
    expect(/^[0-9a-f-]{36}$/.test(a.id), `id ${a.id}`);
    expect(a.status === 'VALID' && a.issuer_id === state.issuer && a.kid === state.kid && a.schema === 'degree', `minted ${a.status} ${a.issuer_id} ${a.kid} ${a.schema}`);
    expect(a.log_index === size, `log_index ${a.log_index}, tree size before ${size}`);
    expect((await treeSize()) === size + 1, 'the mint did not append exactly one entry');
    const payload = fromStruct(a.payload);
    expect(payload.id === a.id && payload.type === 'attestation/v1', `payload ${JSON.stringify(payload)}`);
    expect(payload.claims.student_name === 'Ada bearer', `claims ${JSON.stringify(payload.claims)}`);
    expect(!JSON.stringify(payload).includes('ada@example.org'), "the recipient's e-mail is in the payload");
    expect(b64url(a.signature).length === 64, `signature ${a.signature}`);
    state.attestation = a;
    return { id: a.id, log_index: a.log_index };
  });

  await check('attestations.mint.x_api_key', async () => {
    const keyMd = [['x-api-key', state.issuerKey]];
    const a = await unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'x-api-key'), withKey(keyMd, randomUUID()));
    expect(a.status === 'VALID' && a.issuer_id === state.issuer, `minted ${a.status} for ${a.issuer_id}`);
    const got = await unary(attestations, 'Get', { id: a.id }, keyMd);
    expect(got.id === a.id, `Get with x-api-key returned ${got.id}`);
    return { id: a.id };
  });

  await check('attestations.mint.idempotency_key', async () => {
    const key = `js-idem-${randomUUID()}`;
    const request = mintRequest(state.issuer, state.kid, 'retry');
    const first = await unary(attestations, 'Mint', request, withKey(admin, key));
    const size = await treeSize();
    const again = await unary(attestations, 'Mint', request, withKey(admin, key));
    expect(again.id === first.id && again.log_index === first.log_index && again.signature === first.signature,
      `retry gave ${again.id} at ${again.log_index}, first ${first.id} at ${first.log_index}`);
    expect((await treeSize()) === size, 'the retry appended an entry');
    const other = await rpcError(unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'another'), withKey(admin, key)));
    expectStatus(other, S.FAILED_PRECONDITION, 'idempotency_key_reused: ');
    const missing = await rpcError(unary(attestations, 'Mint', request, admin));
    expectStatus(missing, S.INVALID_ARGUMENT, 'missing_idempotency_key: ');
    expect((await treeSize()) === size, 'a failed mint appended an entry');
    return { id: first.id, reused_key: statusName(other.code), missing_key: statusName(missing.code) };
  });

  await check('attestations.get', async () => {
    const a = state.attestation;
    const got = await unary(attestations, 'Get', { id: a.id }, admin);
    expect(got.id === a.id && got.status === 'VALID' && got.log_index === a.log_index && got.signature === a.signature,
      `Get returned ${got.id} ${got.status} ${got.log_index}`);
    expect(JSON.stringify(fromStruct(got.payload)) === JSON.stringify(fromStruct(a.payload)), 'payloads differ');
    return { id: got.id, status: got.status };
  });

  await check('attestations.revoke', async () => {
    const a = await unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'revoke'), withKey(admin, randomUUID()));
    const r = await unary(attestations, 'Revoke', { id: a.id, reason: 'issued in error' }, admin);
    expect(r.id === a.id && r.status === 'REVOKED' && r.revocation_reason === 'issued in error' && r.revoked_at !== '',
      `revoke answered ${r.status} ${r.revocation_reason} ${r.revoked_at}`);
    expect(r.revocation_log_index > a.log_index, `revocation_log_index ${r.revocation_log_index}`);
    const size = await treeSize();
    const again = await rpcError(unary(attestations, 'Revoke', { id: a.id, reason: 'again' }, admin));
    const detail = expectStatus(again, S.FAILED_PRECONDITION, 'already_revoked: ');
    expect((await treeSize()) === size, 'the second revoke appended an entry');
    const v = await unary(attestations, 'Verify', { attestation_id: a.id });
    expect(v.verdict === 'REVOKED', `verdict ${v.verdict}`);
    return { id: a.id, second: detail };
  });

  await check('attestations.supersede', async () => {
    const old = await unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'old'), withKey(admin, randomUUID()));
    const created = await unary(attestations, 'Supersede', { id: old.id, attestation: mintRequest(state.issuer, state.kid, 'new') }, withKey(admin, randomUUID()));
    expect(created.id !== old.id && created.status === 'VALID' && created.supersedes === old.id, `new ${created.id} ${created.status} supersedes ${created.supersedes}`);
    expect(fromStruct(created.payload).supersedes === old.id, 'the new payload does not name the old one');
    const got = await unary(attestations, 'Get', { id: old.id }, admin);
    expect(got.status === 'SUPERSEDED' && got.superseded_by_attestation_id === created.id, `old is ${got.status}, superseded by ${got.superseded_by_attestation_id}`);
    const v = await unary(attestations, 'Verify', { attestation_id: old.id });
    expect(v.verdict === 'SUPERSEDED' && v.superseded_by_attestation_id === created.id, `verdict ${v.verdict}`);
    return { old: old.id, new: created.id };
  });

  const document = Buffer.from(`diploma of ${run}`.repeat(10));
  await check('attestations.verify', async () => {
    const digest = sha256Hex(document);
    const a = await unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'document', { document_hash: digest }), withKey(admin, randomUUID()));
    expect(a.document_hash === digest, `document_hash ${a.document_hash}`);
    const v = await unary(attestations, 'Verify', { attestation_id: a.id, document });
    expect(v.verdict === 'VALID' && v.attestation_id === a.id && v.issuer_id === state.issuer && v.kid === state.kid, `verdict ${v.verdict} for ${v.attestation_id}`);
    expect(['signature_ok', 'payload_matches_log', 'document_hash_match'].every((r) => v.reasons.includes(r)), `reasons ${v.reasons}`);
    expect(v.checkpoint && v.checkpoint.origin !== '', `checkpoint ${JSON.stringify(v.checkpoint)}`);
    const altered = await unary(attestations, 'Verify', { attestation_id: a.id, document: Buffer.concat([document, Buffer.from('!')]) });
    expect(altered.verdict === 'ALTERED' && altered.reasons.includes('document_hash_mismatch'), `another document: ${altered.verdict} ${altered.reasons}`);
    const byHash = await unary(attestations, 'Verify', { document_hash: digest });
    expect(byHash.verdict === 'VALID' && byHash.attestation_id === a.id, `by document_hash: ${byHash.verdict} ${byHash.attestation_id}`);
    const byObject = await unary(attestations, 'Verify', { attestation: { payload: toStruct(fromStruct(a.payload)), signature: a.signature } });
    expect(byObject.verdict === 'VALID' && byObject.reasons.includes('signature_ok'), `by payload and signature: ${byObject.verdict} ${byObject.reasons}`);
    const unknown = await unary(attestations, 'Verify', { attestation_id: randomUUID() });
    expect(unknown.verdict === 'UNKNOWN', `an unknown id: ${unknown.verdict}`);
    state.documentAttestation = a;
    return { id: a.id, verdict: v.verdict, reasons: v.reasons, other_document: altered.verdict };
  });

  await check('attestations.get_proof_bundle', async () => {
    const a = state.documentAttestation;
    // Without a key or the holder token: the public part only (no payload); the mint's holder token opens it.
    const pub = fromStruct((await unary(attestations, 'GetProofBundle', { id: a.id }, [], { deadline: deadline(60) })).bundle);
    expect(pub.access === 'public' && pub.attestation === null, `without a token: access ${pub.access}`);
    expect(a.holder_token.startsWith('attest_holder_'), 'the mint returned no holder token');
    const r = await unary(attestations, 'GetProofBundle', { id: a.id }, [['x-holder-token', a.holder_token]], { deadline: deadline(60) });
    const bundle = fromStruct(r.bundle);
    expect(bundle.access === 'full', `with the holder token: access ${bundle.access}`);
    expect(bundle.format === 'attest-proof-bundle/v1', `format ${bundle.format}`);
    expect(bundle.attestation.signature === a.signature && bundle.attestation.payload.id === a.id, "the bundle's attestation differs");
    const entry = bundle.log_entry;
    expect(entry.index === a.log_index, `log_entry index ${entry.index}`);
    const p = parseTlogProof(entry.tlog_proof);
    expect(p.header === 'c2sp.org/tlog-proof@v1' && p.indexLine === `index ${a.log_index}`, `tlog-proof header ${p.header} ${p.indexLine}`);
    expect(verifyInclusion(a.log_index, p.size, leafHash(entry.entry), p.proof, p.root), "the bundle's inclusion proof does not verify");
    const v = await unary(attestations, 'Verify', { bundle: toStruct(bundle), document });
    expect(v.verdict === 'VALID' && v.reasons.includes('bundle_proof_ok') && v.reasons.includes('document_hash_match'), `Verify of the bundle: ${v.verdict} ${v.reasons}`);
    // Judged online, as attest verify --online does: every check by name, as of the log's latest checkpoint.
    const checks = Object.fromEntries(v.checks.map((c) => [c.name, c.result]));
    expect(checks.status_note === 'pass' && checks.consistency === 'pass' && checks.document === 'pass', `Verify of the bundle: checks ${JSON.stringify(checks)}`);
    expect(v.as_of.online === true && Number(v.as_of.tree_size) >= p.size, `Verify of the bundle: as_of ${JSON.stringify(v.as_of)}`);
    const missing = await rpcError(unary(attestations, 'GetProofBundle', { id: randomUUID() }));
    expectStatus(missing, S.NOT_FOUND);
    return { id: a.id, checkpoint_size: p.size, verify: v.verdict };
  });

  // ---- stamps ----
  await check('stamps.create', async () => {
    const content = `node interop stamp ${run}`;
    const size = await treeSize();
    const s = await unary(stamps, 'Create', { content, visibility: 'public', display_title: 'interop', tags: ['a', 'b'] }, admin);
    expect(/^[0-9a-f-]{36}$/.test(s.id), `id ${s.id}`);
    expect(s.content_hash === sha256Hex(content), `content_hash ${s.content_hash}`);
    expect(s.log_index === size && s.visibility === 'public' && s.content === content && JSON.stringify(s.tags) === '["a","b"]',
      `stamp ${s.id} at ${s.log_index} (tree ${size}) ${s.visibility} ${s.content} ${s.tags}`);
    expect(s.display_title === 'interop' && s.created_at !== '', `display_title ${s.display_title}`);
    expect(s.entry !== '', 'no entry');
    const lh = leafHash(Buffer.from(s.entry));
    expect(s.leaf_hash === lh.toString('hex') || s.leaf_hash === lh.toString('base64'), `leaf_hash ${s.leaf_hash} is not SHA-256(0x00 || entry)`);
    const h = await unary(stamps, 'Create', { content_hash: sha256Hex(`by hash ${run}`) }, admin);
    expect(h.visibility === 'hash_only' && h.content === '', `hash-only stamp ${h.visibility} ${h.content}`);
    const v = await unary(attestations, 'Verify', { content });
    expect(v.verified && v.stamp_id === s.id && v.log_index === s.log_index && v.total_stamps_of_this_hash === 1, `Verify(content): ${JSON.stringify(v)}`);
    const bad = await rpcError(unary(stamps, 'Create', { content_hash: 'abc' }, admin));
    expectStatus(bad, S.INVALID_ARGUMENT, 'invalid_content_hash: ');
    state.stamp = s;
    return { id: s.id, log_index: s.log_index };
  });

  await check('stamps.get', async () => {
    const s = state.stamp;
    const got = await unary(stamps, 'Get', { id: s.id }, admin);
    expect(got.id === s.id && got.log_index === s.log_index && got.content_hash === s.content_hash && got.entry === s.entry, `Get returned ${got.id} at ${got.log_index}`);
    return { id: got.id };
  });

  // ---- the log ----
  async function waitCheckpoint(size) {
    const reader = new StreamReader(log.WatchCheckpoints({}, { deadline: deadline(60) }));
    try {
      for (;;) {
        const cp = await reader.next();
        expect(cp !== null, `WatchCheckpoints ended before size ${size}`);
        if (cp.size >= size) return cp;
      }
    } finally {
      await reader.cancel();
    }
  }

  await check('log.get_checkpoint', async () => {
    const cp = await waitCheckpoint(await treeSize());
    const got = await unary(log, 'GetCheckpoint', {});
    expect(got.size >= cp.size, `GetCheckpoint size ${got.size} < ${cp.size}`);
    const lines = got.note.split('\n');
    expect(lines[0] === got.origin && lines[1] === String(got.size) && lines[2] === got.root_hash, `the note ${JSON.stringify(lines.slice(0, 3))} does not match origin/size/root_hash`);
    expect(b64(got.root_hash).length === 32 && got.note.includes('\n\n\u2014 '), 'root_hash or signature line missing');
    const restNote = await (await fetch(`${rest}/checkpoint`)).text();
    // Equal when no checkpoint was published in between.
    if (restNote.split('\n')[1] === String(got.size)) expect(restNote === got.note, 'GET /checkpoint and GetCheckpoint differ at one size');
    state.checkpoint = got;
    return { origin: got.origin, size: got.size };
  });

  await check('log.get_inclusion_proof.latest', async () => {
    const cp = state.checkpoint;
    const s = state.stamp;
    const r = await unary(log, 'GetInclusionProof', { index: s.log_index });
    expect(r.index === s.log_index && r.tree_size >= cp.size, `index ${r.index} tree_size ${r.tree_size}`);
    const p = parseTlogProof(r.tlog_proof);
    expect(p.header === 'c2sp.org/tlog-proof@v1' && p.indexLine === `index ${s.log_index}`, `tlog_proof header ${p.header} ${p.indexLine}`);
    expect(p.proof.length === r.proof.length && p.proof.every((h, i) => h.equals(r.proof[i])), 'tlog_proof hashes differ from proof');
    expect(p.size === r.tree_size, `tlog_proof checkpoint size ${p.size}, tree_size ${r.tree_size}`);
    expect(verifyInclusion(s.log_index, r.tree_size, leafHash(Buffer.from(s.entry)), r.proof, p.root), 'the inclusion proof does not verify against the checkpoint root');
    return { index: r.index, tree_size: r.tree_size, hashes: r.proof.length };
  });

  await check('log.get_inclusion_proof.tree_size', async () => {
    const cp = state.checkpoint;
    const s = state.stamp;
    const r = await unary(log, 'GetInclusionProof', { index: s.log_index, tree_size: cp.size });
    expect(r.index === s.log_index && r.tree_size === cp.size && r.tlog_proof === '', `index ${r.index} tree_size ${r.tree_size} tlog_proof ${r.tlog_proof.slice(0, 20)}`);
    const root = b64(cp.root_hash);
    expect(verifyInclusion(s.log_index, cp.size, leafHash(Buffer.from(s.entry)), r.proof, root), `the proof does not verify against checkpoint ${cp.size}`);
    expect(!verifyInclusion(s.log_index, cp.size, leafHash(Buffer.from('x')), r.proof, root), 'the verifier accepts any leaf');
    const beyond = await rpcError(unary(log, 'GetInclusionProof', { index: cp.size + 1000, tree_size: cp.size }));
    expectStatus(beyond, S.INVALID_ARGUMENT);
    const negative = await rpcError(unary(log, 'GetInclusionProof', { index: -1 }));
    expectStatus(negative, S.INVALID_ARGUMENT, 'parameter_out_of_range: ');
    return { index: r.index, tree_size: r.tree_size };
  });

  await check('log.stream_entries', async () => {
    const cp = state.checkpoint;
    const reader = new StreamReader(log.StreamEntries({ start: 0 }, { deadline: deadline(60) }));
    const leaves = [];
    let statements = 0;
    while (leaves.length < cp.size) {
      const e = await reader.next();
      expect(e !== null, `the stream ended after ${leaves.length} entries`);
      expect(e.index === leaves.length, `entry ${e.index} arrived at position ${leaves.length}`);
      leaves.push(leafHash(e.entry));
      // Entries are bytes: a SCITT statement (a COSE_Sign1, first byte 0xD2) is hashed like a JSON entry.
      if (e.entry[0] === 0xd2) statements++;
    }
    const end = await reader.cancel();
    expect(end?.code === S.CANCELLED, `after cancel: ${end?.code} ${end?.details}`);
    expect(treeHash(leaves).equals(b64(cp.root_hash)), "the entries' Merkle tree hash is not the checkpoint root");
    // From the middle on: the same entries.
    const start = Math.floor(cp.size / 2);
    const tail = new StreamReader(log.StreamEntries({ start }, { deadline: deadline(60) }));
    const first = await tail.next();
    await tail.cancel();
    expect(first.index === start && leafHash(first.entry).equals(leaves[start]), `start=${start} gave index ${first.index}`);
    return { entries: leaves.length, root_matches: true, after_cancel: statusName(end.code), statements };
  });

  await check('log.watch_checkpoints', async () => {
    let stop = false;
    let appended = 0;
    const reader = new StreamReader(log.WatchCheckpoints({}, { deadline: deadline(120) }));
    const seen = [await reader.next()];
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        await unary(stamps, 'Create', { content: `watch ${run} ${i}` }, admin);
        appended++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      while (seen.length < 3) {
        const cp = await reader.next();
        expect(cp !== null, 'the stream ended');
        expect(cp.size > seen[seen.length - 1].size, `checkpoint size ${cp.size} after ${seen[seen.length - 1].size}`);
        const lines = cp.note.split('\n');
        expect(lines[1] === String(cp.size) && lines[2] === cp.root_hash, 'note does not match size/root');
        seen.push(cp);
      }
    } finally {
      stop = true;
      await writer;
    }
    const end = await reader.cancel();
    expect(end?.code === S.CANCELLED, `after cancel: ${end?.code} ${end?.details}`);
    state.checkpoints = seen;
    return { sizes: seen.map((c) => c.size), stamps_appended: appended };
  });

  await check('log.get_consistency_proof', async () => {
    const seen = state.checkpoints;
    const pairs = [];
    for (const [a, b] of [[seen[0], seen[seen.length - 1]], [seen[1], seen[2]], [state.checkpoint, seen[seen.length - 1]]]) {
      if (a.size === 0) continue;
      const r = await unary(log, 'GetConsistencyProof', { first: a.size, second: b.size });
      expect(r.first === a.size && r.second === b.size, `first ${r.first} second ${r.second}`);
      expect(verifyConsistency(a.size, b.size, b64(a.root_hash), b64(b.root_hash), r.proof), `the consistency proof ${a.size} -> ${b.size} does not verify`);
      expect(!verifyConsistency(a.size, b.size, sha256('another root'), b64(b.root_hash), r.proof), 'the verifier accepts any first root');
      pairs.push([a.size, b.size, r.proof.length]);
    }
    expect(pairs.length > 0, 'no pair of checkpoints to prove');
    const bad = await rpcError(unary(log, 'GetConsistencyProof', { first: seen[seen.length - 1].size, second: seen[0].size }));
    expectStatus(bad, S.INVALID_ARGUMENT);
    return { pairs };
  });

  // ---- errors ----
  await check('errors.unauthenticated', async () => {
    const size = await treeSize();
    const e = await rpcError(unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'anonymous'), [['idempotency-key', randomUUID()]]));
    const d = expectStatus(e, S.UNAUTHENTICATED, 'missing_api_key: ');
    const wrong = await rpcError(unary(stamps, 'Create', { content: 'x' }, [['authorization', 'Bearer not-a-key']]));
    expectStatus(wrong, S.UNAUTHENTICATED, 'invalid_api_key: ');
    expect((await treeSize()) === size, 'an unauthenticated call appended an entry');
    return d;
  });

  await check('errors.permission_denied', async () => {
    const keyMd = [['authorization', `Bearer ${state.issuerKey}`]];
    const own = await unary(issuers, 'ListKeys', { issuer_id: state.issuer }, keyMd);
    expect(own.keys.length === 3, `the issuer's own key lists ${own.keys.length} keys`);
    const size = await treeSize();
    const e = await rpcError(unary(issuers, 'CreateKey', { issuer_id: state.otherIssuer, kid: `js-denied-${run}` }, keyMd));
    const d = expectStatus(e, S.PERMISSION_DENIED, 'forbidden: ');
    const m = await rpcError(unary(attestations, 'Mint', mintRequest(state.otherIssuer, state.otherKid, 'denied'), withKey(keyMd, randomUUID())));
    expectStatus(m, S.PERMISSION_DENIED);
    const adminOnly = await rpcError(unary(issuers, 'CreateIssuer', { name: 'not allowed' }, keyMd));
    expectStatus(adminOnly, S.PERMISSION_DENIED);
    expect((await treeSize()) === size, 'a denied call appended an entry');
    return d;
  });

  await check('errors.not_found', async () => {
    const e = await rpcError(unary(attestations, 'Get', { id: randomUUID() }, admin));
    const d = expectStatus(e, S.NOT_FOUND, 'not_found: ');
    expectStatus(await rpcError(unary(stamps, 'Get', { id: randomUUID() }, admin)), S.NOT_FOUND);
    expectStatus(await rpcError(unary(issuers, 'ListKeys', { issuer_id: randomUUID() }, admin)), S.NOT_FOUND);
    expectStatus(await rpcError(unary(attestations, 'Revoke', { id: randomUUID() }, admin)), S.NOT_FOUND);
    return d;
  });

  await check('errors.invalid_argument', async () => {
    const size = await treeSize();
    const e = await rpcError(unary(attestations, 'Mint', { ...mintRequest(state.issuer, state.kid, 'bad'), schema: 'diploma' }, withKey(admin, randomUUID())));
    const d = expectStatus(e, S.INVALID_ARGUMENT, 'unknown_schema: ');
    expect(e.details.includes('diploma'), `the message does not name the schema: ${e.details}`);
    const badId = await rpcError(unary(attestations, 'Get', { id: 'not-a-uuid' }, admin));
    expectStatus(badId, S.INVALID_ARGUMENT, 'invalid_id: ');
    expect((await treeSize()) === size, 'an invalid mint appended an entry');
    return d;
  });

  await check('errors.deadline_exceeded', async () => {
    // 1–3 ms deadlines on a call that cannot finish within them (the stream runs until cancelled), many times:
    // the deadline lands at every stage, from before the request is read to mid-flush, and every call must end in
    // DEADLINE_EXCEEDED (a deadline during a flush once made the server reset the stream: INTERNAL).
    let d;
    for (let i = 0; i < 200; i++) {
      const reader = new StreamReader(log.StreamEntries({ start: 0 }, { deadline: new Date(Date.now() + 1 + (i % 3)) }));
      let error = null;
      try {
        while ((await reader.next()) !== null);
      } catch (e) {
        error = e;
      }
      expect(error !== null, 'the stream ended without an error');
      d = expectStatus(error, S.DEADLINE_EXCEEDED);
    }
    // A call that outlives its deadline: Watch sends SERVING (if the deadline leaves time for it), then nothing
    // until the deadline passes; the call ends with DEADLINE_EXCEEDED, never OK or a hang.
    const watch = new StreamReader(health.Watch({}, { deadline: deadline(1) }));
    const received = [];
    let watchError = null;
    try {
      for (let m; (m = await watch.next()) !== null;) {
        expect(m.status === 'SERVING', `Watch: ${JSON.stringify(m)}`);
        received.push(m);
      }
    } catch (e) {
      if (e instanceof CheckFailed) throw e;
      watchError = e;
    }
    expect(watchError !== null, 'Watch ended without an error');
    expectStatus(watchError, S.DEADLINE_EXCEEDED);
    expect(received.length <= 1, `Watch sent ${received.length} messages for a status that never changes`);
    await unary(health, 'Check', {});
    return d;
  });

  await check('errors.unimplemented', async () => {
    const out = {};
    for (const p of ['/attest.v1.Attestations/NoSuchMethod', '/attest.v1.NoSuchService/Get', '/grpc.health.v1.Health/NoSuchMethod']) {
      const e = await rpcError(new Promise((resolve, reject) =>
        generic.makeUnaryRequest(p, (b) => b, (b) => b, Buffer.alloc(0), new grpc.Metadata(), { deadline: deadline(30) }, (err, r) => (err ? reject(err) : resolve(r)))));
      expectStatus(e, S.UNIMPLEMENTED);
      out[p] = statusName(e.code);
    }
    return out;
  });

  await check('reflection.list_services', async () => {
    // Server reflection (grpc/doc/server-reflection.md) without its stubs: a ServerReflectionRequest with
    // list_services (field 7) = "*", written by hand; the reply names the services.
    const call = generic.makeBidiStreamRequest('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', (b) => b, (b) => b, new grpc.Metadata(), { deadline: deadline(30) });
    const reply = await new Promise((resolve, reject) => {
      call.on('data', resolve);
      call.on('error', reject);
      call.write(Buffer.from([0x3a, 0x01, 0x2a]));
    });
    call.end();
    const names = ['attest.v1.Attestations', 'attest.v1.Stamps', 'attest.v1.Issuers', 'attest.v1.Log', 'grpc.health.v1.Health'];
    const listed = names.filter((n) => reply.includes(Buffer.from(n)));
    expect(listed.length === names.length, `reflection listed only ${listed}`);
    return listed;
  });

  await check('compression.gzip', async () => {
    // A compressible payload, gzip-compressed on the wire; the reply must decode too.
    const payload = Buffer.from('gzip interop '.repeat(2000));
    const a = await unary(gzipAttestations, 'Mint', mintRequest(state.issuer, state.kid, 'gzip', { content_type: 'application/octet-stream', payload }), withKey(admin, randomUUID()));
    expect(a.status === 'VALID' && a.document_hash === sha256Hex(payload), `gzip mint: ${a.status} document_hash ${a.document_hash}`);
    const v = await unary(gzipAttestations, 'Verify', { attestation_id: a.id, document: payload });
    expect(v.verdict === 'VALID' && v.reasons.includes('document_hash_match'), `gzip verify: ${v.verdict} ${v.reasons}`);
    const s = await unary(gzipStamps, 'Create', { content: `gzip ${run}` }, admin);
    expect(s.content_hash === sha256Hex(`gzip ${run}`), 'gzip stamp content_hash');
    return { payload_bytes: payload.length, id: a.id };
  });

  await check('errors.resource_exhausted', async () => {
    const size = await treeSize();
    const big = randomBytes(maxMessageBytes + 10 * 1024);
    const e = await rpcError(unary(attestations, 'Mint', mintRequest(state.issuer, state.kid, 'big', { content_type: 'application/octet-stream', payload: big }), withKey(admin, randomUUID())));
    const d = expectStatus(e, S.RESOURCE_EXHAUSTED);
    // Compressed small but large once decompressed: also over the limit.
    const bomb = Buffer.alloc(maxMessageBytes + 10 * 1024);
    const g = await rpcError(unary(gzipAttestations, 'Mint', mintRequest(state.issuer, state.kid, 'bomb', { content_type: 'application/octet-stream', payload: bomb }), withKey(admin, randomUUID())));
    expectStatus(g, S.RESOURCE_EXHAUSTED);
    expect((await treeSize()) === size, 'an oversized message appended an entry');
    await unary(health, 'Check', {});
    return d;
  });

  for (const c of allClients) c.close();
  const failed = results.filter((ok) => !ok).length;
  process.stdout.write(JSON.stringify({ summary: { checks: results.length, failed } }) + '\n');
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stdout.write(JSON.stringify({ check: 'script', ok: false, detail: String(e?.stack ?? e) }) + '\n');
  process.exit(1);
});
