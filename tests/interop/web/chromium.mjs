// Debian's headless chromium through playwright-core, launched one way for every page driver here (page.mjs, docs.mjs).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// DESIGN.md: the flags for headless chromium on these machines.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

/** The browser; exits 2, saying what to install, when chromium is missing. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`chromium is missing at ${CHROMIUM}: apt-get install chromium (scripts/test installs it)\n`);
    process.exit(2);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true, timeout: 60_000 });
}
