/// <reference lib="dom" />
/**
 * The page against the CLI: for 300 generated inputs, opened as links (query
 * parameters named after explain's flags), the verdict, errno, ret, rule, ring
 * fields and aio-nr the page shows equal what `aiospec explain --json` (and
 * its first text line) prints for the same flags. The CLI's explain command is
 * run from the build in this process (a spawned bin/aiospec costs 0.3 s here);
 * one case in ten is also run through bin/aiospec, which must print the same.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  collectErrors,
  launch,
  NO_CHROMIUM,
  PAGE_URL,
  text,
} from '../support/browser.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

/** A small deterministic generator: the same cases every run, so a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick };
}

const NR = [
  0, 1, 2, 15, 16, 17, 62, 63, 64, 126, 127, 65536, 65537, 4194304, 4194305, 0x80000000, 0x80000001,
  0x80400000, 0x80400001, 0xffffffff,
];
const CTX = [
  'zero',
  'nonzero',
  'null',
  'unmapped',
  'readonly',
  'readonly-nonzero',
  'kernel',
  'straddle',
];

export function generateCases(n: number, seed: number): string[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const nr = r.next() < 0.6 ? r.pick(NR) : Math.floor(r.next() * 2 ** 32);
    const flags = ['--nr-events', r.next() < 0.3 ? `0x${nr.toString(16)}` : String(nr)];
    const maybe = (p: number, name: string, values: readonly string[]) => {
      if (r.next() < p) flags.push(`--${name}`, r.pick(values));
    };
    maybe(0.5, 'ctx', CTX);
    maybe(0.4, 'profile', ['linux', 'linux-3.12', 'gvisor']);
    maybe(0.4, 'cpus', ['1', '2', '4', '8', '64', '4096']);
    maybe(0.3, 'page-size', ['4096', '16384', '65536']);
    maybe(0.5, 'aio-max-nr', [
      '0',
      '1',
      '65536',
      '4294967296',
      '0xffffffff',
      '18446744073709551615',
    ]);
    maybe(0.4, 'aio-nr', ['0', '1', '65535', '65536', '4294967295', '18446744073709551615']);
    maybe(0.2, 'as-headroom', ['0', '4096', '8192', '1048576', 'unlimited']);
    maybe(0.1, 'seccomp', ['EPERM', 'ENOSYS']);
    maybe(0.05, 'fail-alloc', ['ioctx', 'ring', 'table']);
    if (r.next() < 0.04) flags.push('--no-aio');
    return flags;
  });
}

/** Flags to a query string, as the page's links write them. */
function query(flags: readonly string[]): string {
  const q = new URLSearchParams();
  for (let i = 0; i < flags.length; i++) {
    const name = flags[i]!.slice(2);
    if (name === 'no-aio') q.set(name, '');
    else q.set(name, flags[++i]!);
  }
  return `?${q}`;
}

async function pool<T, R>(
  items: readonly T[],
  width: number,
  f: (x: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

const CASES = generateCases(300, 20261126);

/** explain as bin/aiospec runs it: the built command, its flag parsing included. */
async function explainInProcess(argv: readonly string[]): Promise<string> {
  const { explainCommand } = await import(
    resolve(import.meta.dirname, '../../dist/conformance/cli/explain.js')
  );
  return (explainCommand(argv) as { out: string }).out;
}

describe.skipIf(!CHROMIUM)('playground vs aiospec explain', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    browser = await launch();
    page = await browser.newPage();
    errors = collectErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows what explain --json says, for 300 generated inputs', { timeout: 180_000 }, async () => {
    const cli = await Promise.all(
      CASES.map(async (f) => JSON.parse(await explainInProcess([...f, '--json']))),
    );
    const texts = await Promise.all(
      CASES.map(async (f) => (await explainInProcess(f)).split('\n')[0]),
    );
    // The binary prints the same as the command run in process (one case in ten).
    const sample = CASES.filter((_, i) => i % 10 === 0);
    const spawned = await pool(sample, 4, async (f) =>
      (await run(process.execPath, [BIN, 'explain', ...f, '--json'])).stdout.trim(),
    );
    expect(spawned).toEqual(sample.map((_, k) => JSON.stringify(cli[k * 10])));
    const mismatches: string[] = [];
    for (const [i, flags] of CASES.entries()) {
      // One case in five opens as a link; the others are typed into the page's form, as a user would.
      if (i % 5 === 0) await page.goto(PAGE_URL + query(flags));
      else await fillForm(page, flags);
      const j = cli[i];
      const shown = await shownFacts(page);
      const expected = {
        errno: j.errno ?? 'none',
        ret: j.ret,
        rule: j.rule,
        aioNrAfter: j.aioNrAfter === null ? 'none' : String(j.aioNrAfter),
        ring: j.ring,
      };
      const { verdict: _, ...facts } = shown;
      if (JSON.stringify(facts) !== JSON.stringify(expected))
        mismatches.push(
          `${flags.join(' ')}: page ${JSON.stringify(facts)} explain ${JSON.stringify(expected)}`,
        );
      if (shown.verdict !== texts[i])
        mismatches.push(`${flags.join(' ')}: verdict "${shown.verdict}" vs "${texts[i]}"`);
    }
    expect(mismatches).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('opens the link explain --link prints on the case explain shows', async () => {
    const flags = ['--nr-events', '0x80000001', '--aio-max-nr', '4294967296', '--cpus', '2'];
    const out = (await run(process.execPath, [BIN, 'explain', ...flags, '--link'])).stdout.split(
      '\n',
    );
    const link = out.find((l) => l.startsWith('playground: '))!.slice('playground: '.length);
    expect(link).toMatch(/index\.html\?nr-events=0x80000001&cpus=2&aio-max-nr=4294967296$/);
    await page.goto(link);
    expect(await text(page, 'verdict')).toBe(out[0]);
    expect(errors).toEqual([]);
  });
});

const RING_FIELDS = [
  'nr',
  'pages',
  'bytes',
  'id',
  'head',
  'tail',
  'magic',
  'compatFeatures',
  'incompatFeatures',
  'headerLength',
];

/** explain's defaults (README, `aiospec explain`): a flag left out is the control at its default. */
const FORM_DEFAULTS: Record<string, string | boolean> = {
  ctx: 'zero',
  profile: 'linux',
  cpus: '4',
  'page-size': '4096',
  'aio-max-nr': '65536',
  'aio-nr': '0',
  'as-headroom': '',
  seccomp: '',
  'fail-alloc': '',
  'no-aio': false,
};

/** Sets every control by its name (the flag's) and fires one input event, as typing does. */
async function fillForm(page: Page, flags: readonly string[]): Promise<void> {
  const values: Record<string, string | boolean> = { ...FORM_DEFAULTS };
  for (let i = 0; i < flags.length; i++) {
    const name = flags[i]!.slice(2);
    values[name] = name === 'no-aio' ? true : flags[++i]!;
  }
  if (values['as-headroom'] === 'unlimited') values['as-headroom'] = '';
  await page.evaluate((v) => {
    for (const [name, value] of Object.entries(v)) {
      const c = document.querySelector<HTMLInputElement>(`form [name="${name}"]`)!;
      if (c.type === 'checkbox') c.checked = value === true;
      else c.value = String(value);
    }
    document
      .querySelector('form [name="nr-events"]')!
      .dispatchEvent(new Event('input', { bubbles: true }));
  }, values);
}

/** What the page shows, read in one round trip: the text of each element, as a reader sees it. */
function shownFacts(page: Page) {
  return page.evaluate((ringFields) => {
    const t = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
    const ring = document.querySelector('[data-testid="ring-none"]')
      ? null
      : Object.fromEntries(ringFields.map((f) => [f, Number(t(`ring-${f}`).replaceAll(',', ''))]));
    return {
      errno: t('errno'),
      ret: Number(t('ret')),
      rule: t('rule'),
      aioNrAfter: t('aio-nr-after').replaceAll(',', ''),
      ring,
      verdict: t('verdict'),
    };
  }, RING_FIELDS);
}

if (!CHROMIUM) describe('playground vs aiospec explain', () => it.skip(NO_CHROMIUM, () => {}));
