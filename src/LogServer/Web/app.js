// The verification page: looks things up through the public REST API and verifies every proof here (verify.js).
// Untrusted text (bundles, entries, server answers) reaches the page only through textContent, never as markup.
import {
  BundleFormatError, base64, duplicateProperty, fingerprint, fromHex, hex, parseTrustRoot, sha256, toBase64, trustOfServedKey, verifyAttestationBundle,
  verifyCheckpointNote, verifyLeafEntry, verifyStampProof,
} from './verify.js';

const $ = (id) => document.getElementById(id);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TX_HASH = /^0x[0-9a-f]{64}$/;
const explorerTemplate = document.querySelector('meta[name="attest-explorer-tx-url"]')?.content ?? '';

// The key this server serves (GET /v1/log/key) and, once the user pins one, the pinned trust root (a vkey or a policy
// file, docs/VERIFYING.md "What a verifier trusts"). Until pinned, results are verified under the served key and
// marked "unpinned": a key served by the server being checked vouches for nothing by itself.
const PIN_STORAGE = 'attest.trust-root';
let served = null;
let servedTrust = null;
let pinned = null;
let seq = 0;

const trust = () => pinned?.trust ?? servedTrust;
const isPinned = () => pinned !== null;

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k.startsWith('data-') || k.startsWith('aria-') || ['class', 'id', 'href', 'role', 'scope', 'type', 'rel'].includes(k)) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function getJson(path, init) {
  const r = await fetch(path, init);
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  return { status: r.status, body };
}

const postJson = (path, value) =>
  getJson(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });

// ---- results --------------------------------------------------------------------------------------------------------

/** Replaces the result area; `seq` tells a reader (or a test) that a new answer is complete. */
function show(...children) {
  const body = $('result-body');
  body.replaceChildren(...children);
  $('result').hidden = false;
  $('result').scrollIntoView({ block: 'start' });
  $('result').dataset.seq = String(++seq);
}

function message(kind, text) {
  return el('p', { id: 'message', class: `message ${kind}`, 'data-kind': kind, role: kind === 'error' ? 'alert' : null }, text);
}

/**
 * Text with every control, format (bidi overrides and isolates, zero-width characters) and line or paragraph separator
 * written as \uXXXX, as `attest verify` prints it: a logged name such as "\u202e" + a reversed string would otherwise
 * show as another name, and carry the text after it along.
 */
const visible = (text) => String(text).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.codePointAt(0).toString(16).padStart(4, '0')}`);

function facts(pairs) {
  const dl = el('dl', { class: 'facts' });
  for (const [name, value, id] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(el('dt', {}, name), el('dd', { 'data-fact': id ?? null }, visible(value)));
  }
  return dl;
}

/** A transaction reference: chain id and hash, as a link only when the operator configured an explorer. */
function txReference(anchor) {
  const ref = `eip155:${anchor.chain_id} tx ${anchor.tx_hash}`;
  if (explorerTemplate && TX_HASH.test(anchor.tx_hash ?? '') && Number.isSafeInteger(anchor.chain_id)) {
    const href = explorerTemplate.replaceAll('{tx_hash}', anchor.tx_hash).replaceAll('{chain_id}', String(anchor.chain_id));
    return el('a', { href, class: 'txref', rel: 'noopener noreferrer' }, ref);
  }
  return el('code', { class: 'txref' }, ref);
}

function renderVerification(v, heading, extra = []) {
  const verdictClass = ['ALTERED', 'NOT VERIFIED'].includes(v.verdict) ? 'bad' : ['VALID', 'STAMPED', 'IN THE LOG'].includes(v.verdict) ? 'good' : 'warn';
  const pin = isPinned();
  const parts = [
    el('h3', {}, heading),
    el('p', { id: 'verdict', class: `verdict ${verdictClass}`, 'data-verdict': v.verdict, 'data-pinned': String(pin) },
      'Status: ', el('strong', {}, pin ? v.verdict : `${v.verdict} (unpinned)`)),
  ];
  if (v.sentence) parts.push(el('p', { id: 'as-of', class: 'as-of' }, `${v.sentence}.`));
  if (!pin) {
    parts.push(el('p', { id: 'unpinned', class: 'unpinned' }, 'Unpinned: verified against the key this server served'
      + (served ? ` (fingerprint ${served.fingerprint})` : '') + ', which vouches for nothing by itself. Pin the log\'s key from a source you trust (above).'));
  }
  if (v.failed.length) {
    const labels = v.failed.map((id) => `${v.checks.find((c) => c.id === id).label} (${id})`);
    parts.push(el('p', { id: 'failed', class: 'failed', role: 'alert', 'data-failed': v.failed.join(' ') }, 'Failed: ', labels.join(', ')));
  }
  parts.push(...extra);
  const s = v.subject ?? {};
  parts.push(facts([
    [v.kind === 'stamp' ? 'Stamp' : v.kind === 'entry' ? 'Entry' : 'Attestation', s.id, 'id'],
    ['Entry type', s.type, 'type'],
    ['Schema', s.schema, 'schema'],
    ['Content SHA-256', s.content_hash, 'content_hash'],
    ['Created', s.created_at, 'created_at'],
    ['Sealed until', s.sealed_until, 'sealed_until'],
    ['Revealed', s.revealed_at, 'revealed_at'],
    ['Log index', s.log_index, 'log_index'],
    ['Issuer', v.issuer ? `${v.issuer.name} (${v.issuer.id})` : null, 'issuer'],
    ['Issuer key', v.key ? `${v.key.kid}, ${v.key.status}` : null, 'key'],
    ['Revoked', v.revokedAt, 'revoked_at'],
    ['Checkpoint', v.checkpoint ? `${v.checkpoint.origin}, size ${v.checkpoint.size}, root ${v.checkpoint.root}` : null, 'checkpoint'],
  ]));
  if (typeof s.revealed_content === 'string') {
    parts.push(el('h4', {}, 'Revealed content (its SHA-256 is the sealed hash)'),
      el('pre', { id: 'revealed-content' }, s.revealed_content.split('\n').map(visible).join('\n')));
  }
  if (s.claims && typeof s.claims === 'object') {
    parts.push(el('details', {}, el('summary', {}, 'Claims'), el('pre', {}, JSON.stringify(s.claims, null, 2).split('\n').map(visible).join('\n'))));
  }
  const list = el('ol', { id: 'checks', class: 'checks' });
  for (const c of v.checks) {
    list.append(el('li', { 'data-check': c.id, 'data-result': c.result, class: c.result },
      el('span', { class: 'badge' }, c.result.toUpperCase()), ' ', el('strong', {}, c.label), ' ',
      el('span', { class: 'detail' }, visible(c.detail))));
  }
  parts.push(el('h4', {}, 'Checks'), list);
  const anchorBox = el('div', { id: 'anchor-ref', class: 'anchor' });
  if (v.anchor) {
    const a = v.anchor;
    const when = Number.isSafeInteger(a.block_timestamp) ? new Date(a.block_timestamp * 1000).toISOString() : '';
    anchorBox.dataset.verified = String(a.verified);
    anchorBox.append(el('h4', {}, 'Anchor'), el('p', {}, `Tree of ${a.tree_size} entries anchored in block ${a.block_number} `,
      when ? `(${when}) ` : '', 'by transaction ', txReference(a), a.verified ? '' : ' (the anchor evidence did not verify)'));
  } else if (v.kind !== 'entry' && !v.failed.includes('anchor')) {
    anchorBox.append(el('p', {}, 'Not anchored in a chain yet.'));
  }
  parts.push(anchorBox);
  return parts;
}

// ---- actions ----------------------------------------------------------------------------------------------------------

/** The holder token typed in (or from the holder's link): sent as a header, so it stays out of URLs the page requests. */
function holderToken() {
  return $('holder-token').value.trim();
}

async function byAttestationOrStampId(id) {
  const token = holderToken();
  const bundle = await getJson(`/v1/attestations/${id}/proof-bundle`, token ? { headers: { 'X-Holder-Token': token } } : undefined);
  if (bundle.status === 200) {
    const v = await verifyAttestationBundle(bundle.body, trust());
    const extra = v.withheld ? [message('withheld', token
      ? 'This holder token does not open this attestation, so its payload and claims are withheld. Shown: its status and log proofs.'
      : 'The payload and claims are withheld: only the issuer and the holder may see them. Shown: the status and log proofs. '
        + "To check the issuer's signature and the claims, open the holder's link or upload the holder's proof bundle below.")] : [];
    return show(...renderVerification(v, `Attestation ${id}`, extra));
  }
  if (bundle.status !== 404) return show(message('error', `The server answered ${bundle.status}: ${bundle.body?.message ?? ''}`));
  const stamp = await getJson(`/v1/stamps/${id}/proof`);
  if (stamp.status === 200) return show(...renderVerification(await verifyStampProof(stamp.body, trust()), `Stamp ${id}`));
  if (stamp.status !== 404) return show(message('error', `The server answered ${stamp.status}: ${stamp.body?.message ?? ''}`));
  show(message('not-found', `No attestation and no stamp has the id ${id}.`));
}

async function byLeafHash(text) {
  const leaf = text.length === 64 ? fromHex(text) : base64(text);
  if (leaf.length !== 32) throw new Error('a leaf hash is 32 bytes');
  const found = await getJson(`/v1/log/entries?leaf_hash=${encodeURIComponent(text)}`);
  if (found.status === 200) {
    const v = await verifyLeafEntry(found.body, trust(), leaf);
    const extra = [];
    const e = v.entry;
    if (e?.type === 'attestation/v1' && UUID.test(e.id ?? '')) extra.push(openButton('Verify this attestation', e.id));
    if (e?.type === 'stamp/v1' && UUID.test(e.id ?? '')) extra.push(openButton('Verify this stamp', e.id));
    if (e) extra.push(el('details', {}, el('summary', {}, 'Log entry'), el('pre', {}, found.body.entry)));
    if (v.statement) extra.push(...statementView(v.statement));
    return show(...renderVerification(v, `Log entry with leaf hash ${toBase64(leaf)}`, extra));
  }
  if (found.status !== 404) return show(message('error', `The server answered ${found.status}: ${found.body?.message ?? ''}`));
  show(message('not-found', `No log entry has the leaf hash ${toBase64(leaf)}.`));
}

/** A Signed Statement's header as it reads (its issuer's claims, not checked here), its size and its bytes in hex. */
function statementView(st) {
  const parts = [facts([
    ['Statement size', `${st.size} bytes`, 'statement_size'],
    ['Claimed issuer (iss)', st.iss, 'statement_iss'],
    ['Claimed subject (sub)', st.sub, 'statement_sub'],
    ['Key id (kid)', st.kid, 'statement_kid'],
    ['Algorithm', st.alg, 'statement_alg'],
    ['Header', st.problem ? `does not decode: ${st.problem}` : null, 'statement_problem'],
  ])];
  parts.push(el('p', { class: 'note' }, 'The statement\'s header is shown as it reads: its signature was checked by the log when it registered it, not here.'));
  parts.push(el('details', {}, el('summary', {}, 'Statement bytes (hex)'), el('pre', { id: 'statement-hex', class: 'hex' }, st.hex.replace(/(.{64})/g, '$1\n').trim())));
  return parts;
}

function openButton(text, id) {
  const b = el('button', { type: 'button', class: 'open' }, text);
  b.addEventListener('click', () => run(() => byAttestationOrStampId(id)));
  return el('p', {}, b);
}

async function search(q) {
  const text = q.trim();
  if (UUID.test(text)) return byAttestationOrStampId(text.toLowerCase());
  if (/^[0-9a-fA-F]{64}$/.test(text) || /^[A-Za-z0-9+/]{43}=$/.test(text)) return byLeafHash(text);
  show(message('error', 'Enter an attestation or stamp id (a UUID), or a leaf hash (64 hex digits or 44 base64 characters).'));
}

/** Hashes the file here (WebCrypto SHA-256) and asks only by hash; the earliest stamp's proof is then verified here. */
async function checkFile(file) {
  const digest = hex(await sha256(new Uint8Array(await file.arrayBuffer())));
  const fileFacts = facts([['File', file.name, 'file'], ['Size', `${file.size} bytes`, 'size'], ['SHA-256', digest, 'sha256']]);
  const r = await postJson('/v1/verify', { content_hash: digest });
  if (r.status !== 200) return show(message('error', `The server answered ${r.status}: ${r.body?.message ?? ''}`));
  if (!r.body.verified) return show(message('not-found', `No stamp of this file is in the log.`), fileFacts);
  const proof = await getJson(`/v1/stamps/${r.body.stamp_id}/proof`);
  if (proof.status !== 200) return show(message('error', `The stamp's proof could not be fetched (${proof.status}).`), fileFacts);
  const v = await verifyStampProof(proof.body, trust(), digest);
  const found = el('p', { id: 'stamp-count', 'data-total': String(r.body.total_stamps_of_this_hash) },
    `Stamped ${r.body.total_stamps_of_this_hash} time(s); the earliest, verified below, at ${r.body.first_stamped_at}.`);
  show(...renderVerification(v, `Stamps of ${file.name}`, [fileFacts, found]));
}

async function checkBundleFile(file) {
  let bundle;
  const text = await file.text();
  try {
    bundle = JSON.parse(text);
  } catch {
    return show(message('error', `${file.name} is not JSON: upload the proof bundle as the API returned it.`));
  }
  const twice = duplicateProperty(text);
  if (twice !== null) return show(message('error', `${file.name} is not an attest proof bundle: the property "${twice}" occurs twice in one object.`));
  let v;
  try {
    v = bundle?.format === 'attest-stamp-proof/v1' ? await verifyStampProof(bundle, trust()) : await verifyAttestationBundle(bundle, trust());
  } catch (e) {
    if (e instanceof BundleFormatError) return show(message('error', `${file.name} is not an attest proof bundle: ${e.message}`));
    throw e;
  }
  show(...renderVerification(v, `Uploaded ${file.name}`));
}

/**
 * The holder's inbox (GET /v1/holder/attestations with the inbox token of a mail): every attestation mailed to one
 * address, each verified here on request with its own holder token, which stays out of the address bar.
 */
async function showInbox(token) {
  const items = [];
  let cursor = null;
  let failure = null;
  do {
    const r = await getJson(`/v1/holder/attestations${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { 'X-Holder-Token': token } });
    if (r.status !== 200) {
      failure = `The server answered ${r.status}: ${r.body?.message ?? ''}`;
      break;
    }
    items.push(...r.body.attestations);
    cursor = r.body.next_cursor;
  } while (cursor);
  const list = el('ul', { class: 'inbox' });
  for (const a of items) {
    const open = el('button', { type: 'button' }, 'Verify');
    open.addEventListener('click', () => {
      $('holder-token').value = a.holder_token;
      $('search-input').value = a.id;
      run(() => search(a.id));
    });
    list.append(el('li', { 'data-attestation': a.id, 'data-status': a.status },
      `${visible(a.issuer_name ?? a.issuer_id)}: ${visible(a.schema)}, ${visible(a.status)}, issued ${visible(a.created_at)} `, open));
  }
  $('inbox-body').replaceChildren(failure !== null ? el('p', { class: 'message error', role: 'alert' }, failure)
    : items.length ? list : el('p', {}, 'No attestation was mailed to this address.'));
  $('inbox').dataset.total = String(items.length);
  $('inbox').hidden = false;
}

/** Runs one action; a failure of the page itself is shown, never swallowed. */
async function run(action) {
  document.body.dataset.busy = 'true';
  try {
    await action();
  } catch (e) {
    show(message('error', e instanceof Error ? e.message : String(e)));
  } finally {
    delete document.body.dataset.busy;
  }
}

// ---- the log view --------------------------------------------------------------------------------------------------

async function loadLogView() {
  const box = $('checkpoint');
  try {
    const note = await (await fetch('/checkpoint')).text();
    let cp = null;
    let problem = null;
    try {
      cp = await verifyCheckpointNote(note, trust());
    } catch (e) {
      problem = e.message;
    }
    box.dataset.verified = String(cp !== null);
    if (cp) box.dataset.size = cp.size;
    box.replaceChildren(
      el('h3', {}, 'Latest checkpoint'),
      cp ? facts([['Origin', cp.origin, 'origin'], ['Tree size', cp.size, 'size'], ['Root hash', cp.root, 'root'],
        ['Signature', isPinned() ? 'verified with the pinned log key' : 'verified with the key this server served (unpinned)', 'signature']])
        : message('error', `The latest checkpoint does not verify: ${problem}`),
      el('details', {}, el('summary', {}, 'Signed note'), el('pre', {}, note)));
  } catch (e) {
    box.replaceChildren(message('error', `The checkpoint could not be read: ${e.message}`));
  }

  const anchors = $('anchors');
  try {
    const first = await getJson('/v1/anchors?limit=1');
    if (first.status !== 200) throw new Error(`the server answered ${first.status}`);
    const total = first.body.total;
    anchors.dataset.total = String(total);
    if (total === 0) return anchors.replaceChildren(el('p', {}, 'No checkpoint has been anchored yet.'));
    const page = await getJson(`/v1/anchors?start=${Math.max(0, total - 10)}&limit=10`);
    if (page.status !== 200) throw new Error(`the server answered ${page.status}`);
    const rows = page.body.anchors.slice().reverse().map((a) => el('tr', { 'data-sequence': String(a.sequence) },
      el('td', {}, String(a.sequence)), el('td', {}, String(a.tree_size)), el('td', {}, txReference(a)),
      el('td', {}, String(a.block_number)),
      el('td', {}, Number.isSafeInteger(a.block_timestamp) ? new Date(a.block_timestamp * 1000).toISOString() : '')));
    anchors.replaceChildren(el('table', {},
      el('caption', {}, `The ${rows.length} latest of ${total} anchors, newest first`),
      el('thead', {}, el('tr', {}, ...['#', 'Tree size', 'Transaction', 'Block', 'Block time'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows)));
  } catch (e) {
    anchors.replaceChildren(message('error', `The anchors could not be read: ${e.message}`));
  }
}

// ---- the trust root ------------------------------------------------------------------------------------------------

/** Pins a trust root (a vkey or a policy file); a text that is neither is refused with the reason, the pin unchanged. */
async function pin(text) {
  try {
    const root = await parseTrustRoot(text);
    pinned = { text: root.kind === 'key' ? root.text : text, trust: root, fingerprints: await Promise.all(root.logKeys.map((k) => fingerprint(k.text))) };
    try {
      localStorage.setItem(PIN_STORAGE, pinned.text);
    } catch {
      // Storage may be off (a private window): the pin then lasts as long as the page.
    }
    $('trust-message').textContent = root.kind === 'key' ? 'Pinned the log key.' : 'Pinned the policy.';
    $('trust-message').dataset.kind = 'pinned';
  } catch (e) {
    $('trust-message').textContent = `Not pinned: ${e.message}`;
    $('trust-message').dataset.kind = 'error';
  }
  showTrust();
}

function unpin() {
  pinned = null;
  try {
    localStorage.removeItem(PIN_STORAGE);
  } catch {
    // Nothing kept, nothing to remove.
  }
  $('trust-message').textContent = 'Unpinned: results are verified against the key this server serves, and marked unpinned.';
  $('trust-message').dataset.kind = 'unpinned';
  showTrust();
}

async function loadPin() {
  let text = null;
  try {
    text = localStorage.getItem(PIN_STORAGE);
  } catch {
    text = null;
  }
  if (text) await pin(text);
  else showTrust();
}

/** The trust state at the top: pinned or not, and, prominently, a pinned key that is not the one this server serves. */
function showTrust() {
  const box = $('trust');
  box.dataset.pinned = String(isPinned());
  const state = $('trust-state');
  if (pinned) {
    const what = pinned.trust.kind === 'key' ? 'the log key' : `a policy naming the log key${pinned.fingerprints.length > 1 ? 's' : ''}`;
    state.textContent = `Pinned: results are verified against ${what} with fingerprint ${pinned.fingerprints.join(', ')}` +
      (pinned.trust.witnesses.length ? `, ${pinned.trust.witnesses.length} witness(es)` : '') + (pinned.trust.anchorRequired ? ', anchor required' : '') + '.';
  } else {
    state.textContent = served
      ? 'Unpinned: results are verified against the key this server served, and marked unpinned. Compare its fingerprint with one you trust, or pin the log\'s key.'
      : 'No trust root: this server served no usable key, and none is pinned. Nothing can be verified.';
  }
  const mismatch = $('trust-mismatch');
  const differs = pinned !== null && served !== null && !pinned.trust.logKeys.some((k) => k.text === served.vkey);
  mismatch.hidden = !differs;
  box.dataset.mismatch = String(differs);
  mismatch.textContent = differs
    ? `The pinned log key (fingerprint ${pinned.fingerprints.join(', ')}) is not the key this server serves (fingerprint ${served.fingerprint}). `
      + 'Proofs from this server will not verify against your pin: this may be another log than the one you trust.'
    : '';
}

// ---- wiring ------------------------------------------------------------------------------------------------------------

async function start() {
  try {
    const r = await getJson('/v1/log/key');
    if (r.status !== 200) throw new Error(`the server answered ${r.status}`);
    servedTrust = await trustOfServedKey(r.body);
    if (!servedTrust) throw new Error('its verifier key is not a valid signed-note key');
    served = { origin: r.body.origin, vkey: r.body.verifier_key, fingerprint: await fingerprint(r.body.verifier_key) };
    $('log-origin').textContent = served.origin;
    $('log-key').textContent = served.vkey;
    $('log-fingerprint').textContent = served.fingerprint;
  } catch (e) {
    $('log-key').textContent = `unavailable (${e.message})`;
    $('log-fingerprint').textContent = 'unavailable: without a pinned key no proof can be trusted';
  }
  await loadPin();
  $('pin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    pin($('trust-input').value).then(() => loadLogView());
  });
  $('unpin').addEventListener('click', () => {
    unpin();
    loadLogView();
  });

  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    run(() => search($('search-input').value));
  });
  $('file-input').addEventListener('change', () => {
    const file = $('file-input').files[0];
    if (file) run(() => checkFile(file));
  });
  $('bundle-input').addEventListener('change', () => {
    const file = $('bundle-input').files[0];
    if (file) run(() => checkBundleFile(file));
  });
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files?.[0];
    if (file) run(() => checkFile(file));
  });
  zone.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      $('file-input').click();
    }
  });

  // A link may carry the log key to pin (?log_key=<vkey>): pinned, kept, and then dropped from the address bar.
  const params = new URLSearchParams(location.search);
  if (params.has('log_key')) {
    await pin(params.get('log_key'));
    params.delete('log_key');
    history.replaceState(null, '', params.size ? `?${params}` : location.pathname);
  }
  await loadLogView();
  // The holder's inbox link: /?holder_inbox=<token>. The token leaves the address bar (and history) too.
  if (params.has('holder_inbox')) {
    const inbox = params.get('holder_inbox');
    params.delete('holder_inbox');
    history.replaceState(null, '', params.size ? `?${params}` : location.pathname);
    await run(() => showInbox(inbox));
  }
  // The holder's link: /?attestation=<id>&holder_token=<token>. The token then leaves the address bar (and history).
  const linked = params.get('attestation');
  if (params.has('holder_token')) {
    $('holder-token').value = params.get('holder_token');
    history.replaceState(null, '', linked ? `?attestation=${encodeURIComponent(linked)}` : location.pathname);
  }
  if (linked) {
    $('search-input').value = linked;
    await run(() => search(linked));
  }
  document.body.dataset.ready = 'true';
}

start();
