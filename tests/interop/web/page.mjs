// Drives the verification page (GET /) in Debian's headless chromium through playwright-core, for
// tests/LogServer.Tests/EndToEnd/WebPageTests.cs, and prints what a person would see as one JSON line.
//
// Usage: node page.mjs <base-url> <action> [argument] [--trust <file>] [--reload] [--screenshot <png>]
//   search <text>         types into the search box and submits
//   drop <file>           drops the file on the drop zone (a real DataTransfer drop event)
//   choose <file>         chooses the file in the file input
//   bundle <file>         uploads a proof bundle
//   verify-bundle <file>  the same, for the shared vectors: `result` has `verdict`, `pinned` and `checks` [{name, result}]
//   log                   only loads the page (the log view)
//   open <query>          loads the page with this query (a holder's link: ?attestation=<id>&holder_token=<token>,
//                         or a key to pin: ?log_key=<vkey>)
//   inbox-open <query>    loads a holder's inbox link (?holder_inbox=<token>) and presses "Verify" on its first attestation
//   --trust <file>        first pins the file's text (a log vkey or a policy file) as the trust root, through the page's form
//   --reload              after the action, loads the page again (no query) in the same browser, and reports that load
// Prints {"result": {...} | null, "trust": {...}, "log": {...}, "requests": [...], "errors": [...]}; exits 0 when the page
// could be driven (whatever it shows), 2 when chromium is missing or the page never became ready.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { launchChromium } from './chromium.mjs';


const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at < 0 ? null : args.splice(at, 2)[1];
};
const screenshot = option('--screenshot');
const trustFile = option('--trust');
const reloadAt = args.indexOf('--reload');
const reload = reloadAt >= 0;
if (reload) args.splice(reloadAt, 1);
const [base, action, argument] = args;
if (!base || !action) {
  process.stderr.write('usage: node page.mjs <base-url> <action> [argument] [--trust <file>] [--reload] [--screenshot <png>]\n');
  process.exit(2);
}
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(60_000);
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // A 404 the page asked for on purpose (an id that is no attestation) is logged by chromium as a console error
  // "Failed to load resource"; those are in `requests` with their status, everything else is an error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const request = requests.find((q) => q.request === r.request());
    if (request) request.status = r.status();
  });
  page.on('request', (r) => requests.push({ request: r, method: r.method(), url: r.url(), body: r.postData() ?? null, status: null }));

  await page.goto(action === 'open' || action === 'inbox-open' ? new URL(argument, base).href : base, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');

  if (trustFile !== null) {
    // Pinned as a person would: the trust form, opened from its summary, the text pasted, "Pin" pressed.
    const text = readFileSync(trustFile, 'utf8');
    await page.evaluate(() => delete document.getElementById('trust-message').dataset.kind);
    if (!(await page.locator('#trust-details').evaluate((d) => d.open))) await page.click('#trust-details summary');
    await page.getByLabel('Trust root (a log verifier key or a policy file)').fill(text);
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.waitForFunction(() => document.getElementById('trust-message').dataset.kind);
  }

  const seq = async () => Number((await page.getAttribute('#result', 'data-seq')) ?? '0');
  const before = await seq();
  const answered = () => page.waitForFunction((n) => Number(document.getElementById('result').dataset.seq ?? '0') > n, before);

  if (action === 'search') {
    await page.getByLabel('Attestation id, stamp id or leaf hash').fill(argument);
    await page.getByRole('button', { name: 'Search' }).click();
    await answered();
  } else if (action === 'drop') {
    const bytes = [...readFileSync(argument)];
    const dataTransfer = await page.evaluateHandle(([content, name]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(content)], name));
      return dt;
    }, [bytes, basename(argument)]);
    await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await answered();
  } else if (action === 'choose') {
    await page.setInputFiles('#file-input', argument);
    await answered();
  } else if (action === 'bundle' || action === 'verify-bundle') {
    await page.getByLabel('Proof bundle (JSON)').setInputFiles(argument);
    await answered();
  } else if (action === 'inbox-open') {
    // The holder's inbox link, then "Verify" on its first attestation.
    await page.click('#inbox li button');
    await answered();
  } else if (action !== 'log' && action !== 'open') {
    throw new Error(`unknown action ${action}`);
  }
  await page.waitForFunction(() => !document.body.dataset.busy);
  if (reload) {
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]');
  }

  const observed = await page.evaluate(() => {
    const text = (e) => (e ? e.textContent.trim() : null);
    const factsOf = (root) => Object.fromEntries([...(root?.querySelectorAll('[data-fact]') ?? [])].map((d) => [d.dataset.fact, d.textContent.trim()]));
    const box = document.getElementById('result');
    const result = box.hidden ? null : {
      verdict: document.getElementById('verdict')?.dataset.verdict ?? null,
      pinned: document.getElementById('verdict') ? document.getElementById('verdict').dataset.pinned === 'true' : null,
      verdictText: text(document.getElementById('verdict')),
      asOf: text(document.getElementById('as-of')),
      unpinned: text(document.getElementById('unpinned')),
      failed: document.getElementById('failed')?.dataset.failed.split(' ') ?? [],
      failedText: text(document.getElementById('failed')),
      checks: [...box.querySelectorAll('[data-check]')].map((li) => ({
        name: li.dataset.check, result: li.dataset.result, detail: text(li.querySelector('.detail')),
      })),
      message: document.getElementById('message') ? { kind: document.getElementById('message').dataset.kind, text: text(document.getElementById('message')) } : null,
      facts: factsOf(box),
      stampCount: document.getElementById('stamp-count')?.dataset.total ?? null,
      anchor: document.getElementById('anchor-ref') ? {
        text: text(document.getElementById('anchor-ref')),
        verified: document.getElementById('anchor-ref').dataset.verified ?? null,
        href: document.querySelector('#anchor-ref a.txref')?.getAttribute('href') ?? null,
      } : null,
      text: text(box),
    };
    const cp = document.getElementById('checkpoint');
    const anchors = document.getElementById('anchors');
    const trust = document.getElementById('trust');
    const inbox = document.getElementById('inbox');
    return {
      result,
      inbox: inbox.hidden ? null : {
        total: inbox.dataset.total ?? null,
        rows: [...inbox.querySelectorAll('li')].map((li) => ({ id: li.dataset.attestation, status: li.dataset.status, text: li.textContent.trim() })),
        text: text(inbox),
      },
      location: location.href,
      pageText: document.body.textContent,
      trust: {
        pinned: trust.dataset.pinned === 'true',
        mismatch: trust.dataset.mismatch === 'true',
        fingerprint: text(document.getElementById('log-fingerprint')),
        state: text(document.getElementById('trust-state')),
        mismatchText: document.getElementById('trust-mismatch').hidden ? null : text(document.getElementById('trust-mismatch')),
        message: text(document.getElementById('trust-message')),
        stored: localStorage.getItem('attest.trust-root'),
      },
      log: {
        origin: text(document.getElementById('log-origin')),
        verifierKey: text(document.getElementById('log-key')),
        checkpointVerified: cp.dataset.verified ?? null,
        checkpointSize: cp.dataset.size ?? null,
        checkpoint: factsOf(cp),
        anchorsTotal: anchors.dataset.total ?? null,
        anchorRows: [...anchors.querySelectorAll('tbody tr')].map((tr) => ({
          text: tr.textContent.trim(), href: tr.querySelector('a.txref')?.getAttribute('href') ?? null,
        })),
        anchorsText: text(anchors),
      },
    };
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  process.stdout.write(JSON.stringify({ ...observed, requests: requests.map(({ request, ...rest }) => rest), errors }) + '\n');
} finally {
  await browser.close();
}
