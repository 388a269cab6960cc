// Drives the interactive API reference (GET /docs) in Debian's headless chromium through playwright-core, for
// tests/LogServer.Tests/Api/ApiReferencePageTests.cs: pastes an API key into the reference's authentication box,
// opens "Stamp content or its hash" (POST /v1/stamps), sends its example request from the page's client, and prints
// what happened as one JSON line.
//
// Usage: node docs.mjs <base-url> <api-key>
// Prints {"call": {status, body, authorization}, "stored": [what the browser's storage holds], "requests": [{method, url, status}], "errors": [...]}; exits 0 when the
// page could be driven, 2 when chromium is missing or an element never appeared.
import { launchChromium } from './chromium.mjs';


const [base, apiKey] = process.argv.slice(2);
if (!base || !apiKey) {
  process.stderr.write('usage: node docs.mjs <base-url> <api-key>\n');
  process.exit(2);
}
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(60_000);
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // A CSP violation is logged as a console error ("Refused to load ..."), as is any failed script.
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => requests.push({ request: r, method: r.method(), url: r.url(), status: null }));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    const request = requests.find((q) => q.request === r.request());
    if (request) request.status = r.status();
  });

  await page.goto(new URL('docs', base).href, { waitUntil: 'networkidle' });
  // The key, pasted as a person would: into the reference's Authentication box (Bearer, the preferred scheme).
  await page.getByPlaceholder('Token').first().fill(apiKey);
  await page.getByRole('button', { name: 'Open Group - stamps' }).click();
  await page.locator('a[href="#tag/stamps/POST/v1/stamps"]').first().click();
  await page.getByRole('button', { name: 'Test Request (post /v1/stamps)' }).click();
  const answered = page.waitForResponse((r) => r.url() === new URL('v1/stamps', base).href && r.request().method() === 'POST');
  await page.getByRole('button', { name: /^Send/ }).first().click();
  const response = await answered;
  const call = {
    status: response.status(),
    body: await response.json().catch(() => null),
    authorization: (await response.request().allHeaders()).authorization ?? null,
  };
  // The answer as the page shows it.
  await page.getByText(/201 Created/).first().waitFor();
  const stored = await page.evaluate(() => [localStorage, sessionStorage].flatMap((s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`)));

  process.stdout.write(JSON.stringify({
    call,
    stored,
    requests: requests.map(({ method, url, status }) => ({ method, url, status })),
    errors,
  }) + '\n');
} catch (e) {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 2;
} finally {
  await browser.close();
}
