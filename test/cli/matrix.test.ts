/**
 * `aiospec matrix` on this machine, for real: every target it can start runs
 * the suites (small --runs, to keep the test short), each row must conform to
 * its profile, the union of coverage must be what the rows' own JSON reports
 * add up to, and the reports must be what their consumers accept (the JSON
 * schema, strict; Jenkins' JUnit XSD). A second run with no targets on PATH
 * and an empty kernel cache shows the rows that cannot run saying why.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtKernels } from '../../conformance/kernel/cache.js';
import { type CliRun, nothingLeftBehind, runAiospec } from '../support/cli.js';
import { schemaValidator, xmllintMissing, xmllintSchema } from '../support/consumers.js';
import { startedProcesses } from '../support/started.js';

const started = startedProcesses();
const dir = mkdtempSync(join(tmpdir(), 'aiospec-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  label: string;
  target: string;
  kernel: string | null;
  verdict: string;
  reason?: string;
  report?: {
    target: string;
    profile: string;
    diverged: number;
    kernel: { release: string; features: { faultInjection: boolean; aio: boolean } };
    coverage: { id: string; hits: number }[];
  };
}
interface Matrix {
  rows: Row[];
  coverage: {
    covered: number;
    total: number;
    rules: { id: string; hits: number; uncovered?: string }[];
  };
}

const LINUX = process.platform === 'linux';
const XMLLINT = xmllintMissing();

async function matrix(args: readonly string[], env?: Record<string, string>): Promise<CliRun> {
  const r = await runAiospec(started, ['matrix', ...args], env ? { env } : {});
  await nothingLeftBehind(r);
  return r;
}

describe.skipIf(!LINUX)('aiospec matrix on this machine', () => {
  let run: CliRun;
  let m: Matrix;
  const jsonFile = join(dir, 'matrix.json');
  const junitFile = join(dir, 'matrix.xml');

  beforeAll(async () => {
    run = await matrix([
      '--runs',
      '100',
      '--seed=7',
      '--reporter',
      'human',
      '--reporter',
      `json:${jsonFile}`,
      '--reporter',
      `junit:${junitFile}`,
    ]);
    m = JSON.parse(readFileSync(jsonFile, 'utf8')) as Matrix;
  }, 300_000);

  it('exits 0 and every row that ran conforms to the profile its target should', () => {
    expect(run.code, run.err).toBe(0);
    const ran = m.rows.filter((r) => r.verdict !== 'skipped');
    expect(ran.length).toBeGreaterThan(0);
    for (const r of ran) {
      expect(r.verdict, r.label).toBe('conformant');
      expect(r.report!.diverged, r.label).toBe(0);
      expect(r.report!.target).toBe(r.target);
      expect(r.report!.profile).toBe(r.target === 'gvisor' ? 'gvisor' : 'linux');
    }
    for (const r of m.rows.filter((x) => x.verdict === 'skipped'))
      expect(r.reason ?? '', r.label).not.toBe('');
  });

  it('has a row for the host and for each kernel in the cache, booted and reporting its own release', () => {
    const host = m.rows.find((r) => r.label === 'host')!;
    expect(host.verdict).toBe('conformant');
    for (const k of builtKernels()) {
      const row = m.rows.find((r) => r.kernel === k.name);
      expect(row, k.name).toBeDefined();
      expect(row!.report?.kernel.release).toBe(k.release);
      expect(row!.report?.kernel.features).toEqual(k.features);
    }
  });

  it("unites the rows' coverage: a rule is covered exactly when some row's report hit it", () => {
    const hit = new Set<string>();
    const listed = new Set<string>();
    for (const r of m.rows)
      for (const c of r.report?.coverage ?? []) {
        listed.add(c.id);
        if (c.hits > 0) hit.add(c.id);
      }
    const covered = m.coverage.rules.filter((r) => r.uncovered === undefined).map((r) => r.id);
    expect(new Set(covered)).toEqual(hit);
    expect(m.coverage.covered).toBe(hit.size);
    expect(new Set(m.coverage.rules.map((r) => r.id))).toEqual(listed);
    expect(m.coverage.total).toBe(listed.size);
    for (const r of m.coverage.rules.filter((x) => x.uncovered !== undefined))
      expect(r.uncovered, r.id).toMatch(/^(unobservable: |needs |reachable on )/);
    expect(run.out).toContain(`rules covered (union of the rows): ${hit.size} of ${listed.size}`);
  });

  it('prints one table line per row, naming its label and verdict', () => {
    for (const r of m.rows)
      expect(
        run.out
          .split('\n')
          .some((l) => l.trimStart().startsWith(`${r.label} `) && l.includes(r.verdict)),
      ).toBe(true);
  });

  it('writes JSON the matrix schema accepts, every field described', () => {
    const validate = schemaValidator('matrix', { strict: true });
    expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
  });

  it.skipIf(XMLLINT !== null)(
    `writes JUnit valid against Jenkins' XSD, suite names unique across rows${XMLLINT ? ` (skipped: ${XMLLINT})` : ''}`,
    () => {
      const r = xmllintSchema(junitFile);
      expect(r.code, r.err).toBe(0);
      // The suites' names as written (a skipped row's one test is no case name readJunit knows).
      const xml = readFileSync(junitFile, 'utf8');
      const names = [...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((x) => x[1]!);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names).size).toBe(names.length);
      for (const row of m.rows.filter((x) => x.verdict !== 'skipped'))
        expect(
          names.some((n) => n.startsWith(`${row.label}/`)),
          row.label,
        ).toBe(true);
    },
  );
});

describe.skipIf(!LINUX)('aiospec matrix where the targets are missing', () => {
  it('runs the host, and says for every other row why it did not run', async () => {
    const cache = mkdtempSync(join(dir, 'cache-'));
    const file = join(dir, 'bare.json');
    const r = await matrix(['--suite', 'table', '--seed=1', '--reporter', `json:${file}`], {
      PATH: '/nonexistent',
      XDG_CACHE_HOME: cache,
    });
    expect(r.code, r.err).toBe(0);
    const m = JSON.parse(readFileSync(file, 'utf8')) as Matrix;
    const by = Object.fromEntries(m.rows.map((x) => [x.label, x]));
    expect(by.host!.verdict).toBe('conformant');
    expect(by['uml:fault-injection']).toMatchObject({ verdict: 'skipped' });
    expect(by['uml:fault-injection']!.reason).toContain(
      'aiospec kernel build --debian 6.12 --fault-injection',
    );
    expect(by['uml:no-aio']!.reason).toContain('aiospec kernel build --debian 6.12 --no-aio');
    for (const label of ['oci', 'gvisor']) {
      expect(by[label]!.verdict, label).toBe('skipped');
      expect(by[label]!.reason, label).toMatch(/not found|install/);
    }
  }, 120_000);
});

describe.skipIf(!LINUX)('aiospec matrix with seccomp profiles', () => {
  it('adds host+NAME (and oci+NAME) rows under each profile; their coverage joins the union', async () => {
    const cache = mkdtempSync(join(dir, 'cache-'));
    const file = join(dir, 'profiles.json');
    const fixtures = join(import.meta.dirname, '../../fixtures/seccomp');
    const r = await matrix(
      [
        '--suite',
        'table',
        '--seed=1',
        '--seccomp-profile',
        join(fixtures, 'io-destroy-eperm.json'),
        '--seccomp-profile',
        join(fixtures, 'io-setup-trap.json'),
        '--reporter',
        `json:${file}`,
      ],
      // No kernel in the cache: the UML rows beyond Debian's are skipped, the test stays short.
      { XDG_CACHE_HOME: cache },
    );
    expect(r.code, r.err).toBe(0);
    const m = JSON.parse(readFileSync(file, 'utf8')) as Matrix;
    const by = Object.fromEntries(m.rows.map((x) => [x.label, x]));
    for (const name of ['io-destroy-eperm', 'io-setup-trap']) {
      expect(by[`host+${name}`]?.verdict, name).toBe('conformant');
      expect(by[`oci+${name}`], name).toBeDefined();
    }
    // What only the profile rows reach: the plain rows hit neither rule.
    const hits = (label: string, id: string) =>
      by[label]?.report?.coverage.find((c) => c.id === id)?.hits ?? 0;
    expect(hits('host', 'seccomp.destroy-errno') + hits('host', 'seccomp.trap')).toBe(0);
    expect(hits('host+io-destroy-eperm', 'seccomp.destroy-errno')).toBeGreaterThan(0);
    expect(hits('host+io-setup-trap', 'seccomp.trap')).toBeGreaterThan(0);
    const covered = new Set(
      m.coverage.rules.filter((x) => x.uncovered === undefined).map((x) => x.id),
    );
    expect(covered.has('seccomp.destroy-errno') && covered.has('seccomp.trap')).toBe(true);
  }, 180_000);
});

describe('aiospec matrix usage', () => {
  it.each([
    [['--reporter', 'tap'], /^aiospec matrix: --reporter: tap is not one for matrix/],
    [['--runs', 'x'], /^aiospec matrix: --runs: /],
    [['--target', 'host'], /^aiospec matrix: --target: unknown flag/],
    [['--seccomp-profile', '/nonexistent.json'], /^aiospec matrix: --seccomp-profile: /],
  ])('%j is one line, exit 2', async (args, message) => {
    const r = await matrix(args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });
});
