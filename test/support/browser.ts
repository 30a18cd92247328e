/**
 * Headless Chromium for the playground's tests: Debian's `chromium` driven by
 * playwright-core over CDP. Tests skip only when no chromium is installed, and
 * say how to install it. The browser is closed by the suite's afterAll, and
 * playwright kills it if the test process exits first.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const CANDIDATES = [process.env.AIOSPEC_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const CHROMIUM = CANDIDATES.find(
  (p): p is string => p !== undefined && p !== '' && existsSync(p),
);
export const NO_CHROMIUM =
  'chromium is not installed: apt-get install -y chromium (.ci/run installs it)';

export const PAGE_FILE = resolve(import.meta.dirname, '../../dist/playground/index.html');
export const PAGE_URL = pathToFileURL(PAGE_FILE).href;
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/playground');

export function launch(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'], headless: true });
}

/** Console errors and uncaught exceptions of a page, for a test to assert there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export async function text(page: Page, testid: string): Promise<string> {
  return (await page.getByTestId(testid).first().textContent()) ?? '';
}
