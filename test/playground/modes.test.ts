/// <reference lib="dom" />
/**
 * The playground's modes in headless Chromium: URL state round-trips, sequence
 * mode draws the model's state after each step, a dropped trace or report shows
 * what `aiospec replay` says, the page works from the keyboard alone, and no
 * console error is printed. Screenshots of each mode go to test-artifacts/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clobberRingId, ioDestroy, ioSetup, makeEnv, newProcessState } from '../../model/index.js';
import {
  ARTIFACTS,
  CHROMIUM,
  collectErrors,
  launch,
  NO_CHROMIUM,
  PAGE_URL,
  text,
} from '../support/browser.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/aiospec');

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const x = e as { code: number; stdout: string };
    return { code: x.code, out: x.stdout };
  }
}

if (!CHROMIUM) describe('playground modes', () => it.skip(NO_CHROMIUM, () => {}));

describe.skipIf(!CHROMIUM)('playground modes', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  const open = async (search = '', width = 1280) => {
    page = await browser.newPage({ viewport: { width, height: 900 } });
    errors = collectErrors(page);
    await page.goto(PAGE_URL + search);
    return page;
  };
  afterEach(async () => {
    expect(errors, 'console errors').toEqual([]);
    await page?.close();
  });

  it('keeps its inputs in the URL: a link reopens the same case', async () => {
    await open();
    await page.fill('#f-nr-events', '2147483648');
    await page.selectOption('#f-ctx', 'zero');
    await page.fill('#f-aio-max-nr', '4294967296');
    await page.fill('#f-cpus', '2');
    // The page's own location: page.url() learns of history.replaceState by an event that may
    // come after fill() returns (under load the last input was missing from it).
    const url = await page.evaluate(() => location.href);
    expect(new URL(url).search).toBe('?nr-events=2147483648&cpus=2&aio-max-nr=4294967296');
    const verdict = await text(page, 'verdict');
    const expected = (
      await cli(
        'explain',
        '--nr-events',
        '2147483648',
        '--ctx',
        'zero',
        '--aio-max-nr',
        '4294967296',
        '--cpus',
        '2',
      )
    ).out.split('\n')[0];
    expect(verdict).toBe(expected);
    const again = await browser.newPage();
    const againErrors = collectErrors(again);
    await again.goto(url);
    expect(await text(again, 'verdict')).toBe(expected);
    expect(await again.inputValue('#f-cpus')).toBe('2');
    expect(await again.inputValue('#f-aio-max-nr')).toBe('4294967296');
    expect(againErrors).toEqual([]);
    await again.close();
    await page.screenshot({ path: join(ARTIFACTS, 'single-call.png'), fullPage: true });
    await page.fill('#f-nr-events', '300'); // a ring of three pages, for the picture
    await page.locator('.ringbox').screenshot({ path: join(ARTIFACTS, 'ring.png') });
  });

  it('draws the model state after each step of a sequence', async () => {
    const steps = [
      ...Array.from({ length: 5 }, () => ({ op: 'setup', nr: 1, ctx: 'zero' }) as const),
      { op: 'destroy', target: { handle: 1 } },
      { op: 'setup', nr: 300, ctx: 'zero' },
      { op: 'clobber', setup: 0, id: 3 },
      { op: 'destroy', target: { handle: 0 } },
      { op: 'destroy', target: { unmapped: true } },
      { op: 'setup', nr: 70000, ctx: 'zero' },
      { op: 'destroy', target: { handle: 2 } },
    ] as const;
    await open(`?mode=sequence&cpus=2&case=${encodeURIComponent(JSON.stringify({ steps }))}`);
    // The oracle: the model's own calls in one process, step by step.
    const env = makeEnv({ possibleCpus: 2 });
    const state = newProcessState(env);
    const handles: (bigint | undefined)[] = [];
    for (const [i, s] of steps.entries()) {
      if (s.op === 'setup') {
        const before = new Set(state.contexts.keys());
        ioSetup(env, state, { nrEvents: s.nr, ctx: s.ctx });
        handles[i] = [...state.contexts.keys()].find((k) => !before.has(k));
      } else if (s.op === 'destroy') {
        const handle = 'handle' in s.target ? (handles[s.target.handle] ?? 0n) : 0x100000n;
        ioDestroy(env, state, { handle, memory: { readable: false } });
      } else clobberRingId(state, handles[s.setup]!, s.id);
      const slots = Array.from({ length: state.tableSize }, (_, k) => {
        const c = state.slots[k];
        return c === undefined ? '-' : String(handles.indexOf(c.handle));
      }).join(',');
      expect(await text(page, `step-${i}-table-size`), `step ${i}`).toBe(String(state.tableSize));
      expect((await text(page, `step-${i}-aio-nr`)).replaceAll(',', ''), `step ${i}`).toBe(
        String(state.aioNr),
      );
      expect(
        await page.getByTestId(`step-${i}-slots`).getAttribute('data-slots'),
        `step ${i}`,
      ).toBe(slots);
    }
    // The table grew from 4 to 16 slots at the fifth io_setup.
    expect(await text(page, 'step-3-table-size')).toBe('4');
    expect(await text(page, 'step-4-table-size')).toBe('16');
    await page.screenshot({ path: join(ARTIFACTS, 'sequence.png'), fullPage: true });
  });

  it('shows a dropped trace with the verdicts aiospec replay reaches, divergences marked', async () => {
    const trace = join(ROOT, 'fixtures/gvisor.trace.jsonl');
    const replayed = JSON.parse(
      (await cli('replay', trace, '--profile', 'linux', '--reporter', 'json')).out,
    );
    expect(replayed.diverged).toBeGreaterThan(0);
    await open('?mode=replay');
    await page.setInputFiles('#replay-file', trace);
    await page.getByTestId('count-cases').waitFor();
    await page.selectOption('#replay-profile', 'linux');
    for (const k of ['cases', 'passed', 'diverged', 'inconclusive', 'skipped'])
      expect(Number(await text(page, `count-${k}`)), k).toBe(replayed[k]);
    // Listed first: one divergence of each kind, the very cases replay reports.
    const kinds = await page.$$eval('[data-testid="case"]', (bs) =>
      bs.map((b) => b.getAttribute('data-index')),
    );
    expect(kinds).toEqual(
      replayed.divergences.map((d: { suite: string; index: number }) => `${d.suite}#${d.index}`),
    );
    expect(await page.locator('tr[data-differs="true"]').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'replay-divergence.png'), fullPage: true });
    await page
      .locator('[data-testid="case-detail"]')
      .screenshot({ path: join(ARTIFACTS, 'divergence.png') });

    // The host's trace, as recorded: every count as replay says.
    const host = join(ROOT, 'fixtures/host-linux.trace.jsonl');
    const hostReplayed = JSON.parse((await cli('replay', host, '--reporter', 'json')).out);
    await page.selectOption('#replay-profile', '');
    await page.setInputFiles('#replay-file', host);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="count-cases"]')?.textContent === String(n),
      hostReplayed.cases,
    );
    for (const k of ['passed', 'diverged', 'inconclusive', 'skipped'])
      expect(Number(await text(page, `count-${k}`)), k).toBe(hostReplayed[k]);
  });

  it('shows a --reporter json report, one divergence at a time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiospec-play-'));
    try {
      const report = (
        await cli(
          'replay',
          join(ROOT, 'fixtures/host-linux.trace.jsonl'),
          '--profile',
          'gvisor',
          '--reporter',
          'json',
        )
      ).out;
      const file = join(dir, 'report.json');
      writeFileSync(file, report);
      const r = JSON.parse(report);
      expect(r.divergences.length).toBeGreaterThan(0);
      await open('?mode=replay');
      await page.setInputFiles('#replay-file', file);
      await page.getByTestId('count-diverged').waitFor();
      expect(Number(await text(page, 'count-diverged'))).toBe(r.diverged);
      expect(await page.getByTestId('case').count()).toBe(r.divergences.length);
      expect(await page.locator('tr[data-differs="true"]').count()).toBe(
        r.divergences[0].differences.flatMap((s: { diffs: unknown[] }) => s.diffs).length,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says why a file is neither a trace nor a report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiospec-play-'));
    try {
      const file = join(dir, 'notes.txt');
      writeFileSync(file, 'hello\n');
      await open('?mode=replay');
      await page.setInputFiles('#replay-file', file);
      await page.getByTestId('replay-error').filter({ hasText: 'neither' }).waitFor();
      expect(await text(page, 'replay-error')).toMatch(/^notes\.txt: neither a trace/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works from the keyboard alone: every control labelled, a natural focus order', async () => {
    await open();
    const unlabelled = await page.$$eval('input, select, button, a[href]', (els) =>
      els
        .filter((e) => {
          const labels = (e as HTMLInputElement).labels;
          return !(
            (labels && labels.length > 0) ||
            e.getAttribute('aria-label') ||
            e.textContent?.trim()
          );
        })
        .map((e) => e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.locator('[tabindex]:not([tabindex="-1"]):not([tabindex="0"])').count()).toBe(
      0,
    );
    const order: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const e = document.activeElement as HTMLElement;
          return e.id || e.getAttribute('name') || e.textContent?.trim() || e.tagName;
        }),
      );
    }
    const at = (id: string) => order.indexOf(id);
    expect(at('f-nr-events')).toBeGreaterThan(at('theme'));
    expect(at('f-ctx')).toBeGreaterThan(at('f-nr-events'));
    expect(at('f-profile')).toBeGreaterThan(at('f-ctx'));
    // Type a value as a keyboard user does: focus the field, select all, type.
    await page.focus('#f-nr-events');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('0x80000000');
    const expected = (await cli('explain', '--nr-events', '0x80000000')).out.split('\n')[0];
    expect(await text(page, 'verdict')).toBe(expected);
    // A one-click value, by keyboard: Tab to the first chip, Enter.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await page.inputValue('#f-nr-events')).toBe('0');
    expect(await text(page, 'errno')).toBe('EINVAL');
  });

  it('reads at phone width and in the dark scheme', async () => {
    await open('?nr-events=63', 390);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).not.toBe('rgb(247, 247, 244)');
    await page.screenshot({ path: join(ARTIFACTS, 'dark.png') });
    await page.goto(`${PAGE_URL}?mode=tour`);
    const links = await page
      .getByTestId('tour-link')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links.length).toBeGreaterThanOrEqual(8);
    await page.screenshot({ path: join(ARTIFACTS, 'tour.png'), fullPage: true });
  });

  it('each tour link opens a case the CLI agrees with', async () => {
    await open('?mode=tour');
    const links = await page
      .getByTestId('tour-link')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const href of links.filter((l) => !l.includes('mode=sequence'))) {
      await page.goto(PAGE_URL + href);
      const flags = [...new URLSearchParams(href)].flatMap(([k, v]) => [`--${k}`, v]);
      const expected = (await cli('explain', ...flags)).out.split('\n')[0];
      expect(await text(page, 'verdict'), href).toBe(expected);
    }
  });
});
