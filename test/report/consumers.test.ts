/**
 * The reports of two real runs on this kernel, a conformant one (the linux
 * profile) and a diverging one (gVisor's profile judging Linux), read by the
 * programs CI systems use: tap-parser in strict mode, junit2json, xmllint
 * against Jenkins' junit XSD, ajv against schema/report.schema.json. What each
 * consumer counts must be what aiospec counted, and the four reports must
 * agree case by case on every verdict.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeCase, parseCase } from '../../conformance/cases.js';
import type { RunSummary } from '../../conformance/engine/summary.js';
import { renderHuman } from '../../conformance/report/human.js';
import { jsonReport, renderJson } from '../../conformance/report/json.js';
import { renderJunit } from '../../conformance/report/junit.js';
import { renderTap } from '../../conformance/report/tap.js';
import { runConformance } from '../../conformance/run.js';
import {
  type JunitRead,
  readJunit,
  readTap,
  type SeenCase,
  schemaValidator,
  type TapRead,
  xmllintMissing,
  xmllintSchema,
} from '../support/consumers.js';
import { workersOf } from '../support/processes.js';
import { REAL } from '../support/real.js';
import { killQuietly } from '../support/started.js';

const dir = mkdtempSync(join(tmpdir(), 'aiospec-consumers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const pid of workersOf(process.pid)) killQuietly(pid);
});

const XMLLINT = xmllintMissing();
const strictReport = schemaValidator('report', { strict: true });

/** Every case's verdict as a set of `suite #index verdict`, in one order, to compare reports. */
const verdicts = (cases: readonly SeenCase[]) =>
  cases.map((c) => `${c.suite} #${c.index} ${c.verdict}`).sort();

interface Reports {
  readonly summary: RunSummary;
  readonly tap: TapRead;
  readonly junit: JunitRead;
  readonly junitFile: string;
  readonly json: ReturnType<typeof jsonReport>;
  readonly jsonText: string;
  readonly human: string;
}

async function reportsOf(name: string, summary: RunSummary): Promise<Reports> {
  const xml = renderJunit(summary);
  const junitFile = join(dir, `${name}.xml`);
  writeFileSync(junitFile, xml);
  return {
    summary,
    tap: readTap(renderTap(summary)),
    junit: await readJunit(xml),
    junitFile,
    json: jsonReport(summary),
    jsonText: renderJson(summary),
    human: renderHuman(summary, { color: false }),
  };
}

/** What every consumer must read of a run's reports, conformant or not. */
function agreeWithTheRun(get: () => Reports) {
  it('tap-parser (strict) reads the TAP without an error and counts as aiospec did', () => {
    const { tap, summary: s } = get();
    expect(tap.errors).toEqual([]);
    expect(tap.ok).toBe(s.diverged === 0);
    const count = (v: SeenCase['verdict']) => tap.cases.filter((c) => c.verdict === v).length;
    expect([count('passed'), count('diverged'), count('inconclusive'), count('skipped')]).toEqual([
      s.passed,
      s.diverged,
      s.inconclusive,
      s.skipped,
    ]);
    for (const st of tap.subtests) {
      const c = s.suites[st.name as keyof typeof s.suites]!;
      expect([st.name, st.count, st.fail]).toEqual([st.name, c.cases, c.diverged]);
    }
    expect(tap.subtests.length).toBe(Object.keys(s.suites).length);
  });

  it('every TAP failure has YAML diagnostics with its differences and replay; TODO and SKIP their reason', () => {
    const { tap } = get();
    for (const { point, verdict } of tap.cases) {
      if (verdict === 'diverged') {
        const diag = point.diag as { differences: unknown[]; replay: string };
        expect(diag.differences.length, point.name).toBeGreaterThan(0);
        expect(diag.replay).toMatch(/^aiospec run .*--case '\{.*"steps":\[/);
      }
      if (verdict === 'inconclusive') expect(point.todo).toMatch(/^inconclusive: .+/);
      if (verdict === 'skipped') expect(typeof point.skip === 'string' && point.skip).toBeTruthy();
    }
  });

  it.skipIf(XMLLINT !== null)(
    `xmllint finds the JUnit valid against Jenkins' junit XSD${XMLLINT ? ` (skipped: ${XMLLINT})` : ''}`,
    () => {
      const r = xmllintSchema(get().junitFile);
      expect(r.err).toMatch(/validates$/m);
      expect(r.code).toBe(0);
    },
  );

  it('junit2json reads unique names, a classname per suite, real times, and the counts aiospec gave', () => {
    const { junit, summary: s } = get();
    const names = junit.cases.map((c) => c.testcase.name);
    expect(new Set(names).size).toBe(names.length);
    expect(junit.attributes.tests).toBe(s.cases);
    expect(junit.attributes.failures).toBe(s.diverged);
    expect(junit.cases.length).toBe(s.cases);
    for (const suite of junit.attributes.suites) {
      const c = s.suites[suite.name as keyof typeof s.suites]!;
      const mine = junit.cases.filter((x) => x.suite === suite.name);
      expect([suite.tests, suite.failures, suite.skipped]).toEqual([
        c.cases,
        c.diverged,
        c.skipped + c.inconclusive,
      ]);
      expect(mine.length).toBe(c.cases);
      expect(new Set(mine.map((x) => x.testcase.classname))).toEqual(
        new Set([`aiospec.${suite.name}`]),
      );
    }
    // Cases that ran took time; only the skipped never ran.
    const ran = junit.cases.filter((c) => c.verdict !== 'skipped');
    expect(ran.length).toBeGreaterThan(0);
    for (const c of ran) expect(c.testcase.time, c.testcase.name).toBeGreaterThan(0);
    for (const c of junit.cases.filter((x) => x.verdict === 'diverged')) {
      const body = c.testcase.failure![0]!.inner ?? '';
      expect(body).toMatch(/: model .*, kernel /);
      expect(body).toMatch(/^replay: aiospec run /m);
    }
  });

  it('the JSON report is valid against its schema, every field described, and lists every non-passing case', () => {
    const { json, jsonText, summary: s } = get();
    expect(strictReport(json), JSON.stringify(strictReport.errors?.slice(0, 3))).toBe(true);
    // The text written is the object returned.
    expect(JSON.parse(jsonText)).toEqual(json);
    expect(json.schemaVersion).toBe(1);
    expect(json.nonPassing.length).toBe(s.diverged + s.inconclusive + s.skipped);
  });

  it('TAP, JUnit and JSON agree on every case', () => {
    const { tap, junit, json } = get();
    const fromTap = verdicts(tap.cases);
    expect(verdicts(junit.cases)).toEqual(fromTap);
    const nonPassing = json.nonPassing.map((c) => ({
      suite: c.suite,
      index: c.index,
      verdict: c.verdict,
    }));
    expect(verdicts(nonPassing)).toEqual(fromTap.filter((v) => !v.endsWith(' passed')));
  });
}

describe.skipIf(REAL !== null)(
  `reports of a conformant run${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    let r: Reports;
    beforeAll(async () => {
      const s = await runConformance({
        suites: ['table', 'props', 'stateful'],
        runs: 400,
        sequences: 12,
        seed: 20261126,
        profile: 'linux',
        target: 'host',
      });
      r = await reportsOf('conformant', s);
    }, 120_000);

    it('is conformant (the premise)', () => {
      expect(r.summary.diverged).toBe(0);
      expect(r.summary.skipped).toBeGreaterThan(0);
      expect(r.human).toMatch(/^CONFORMANT /m);
    });
    agreeWithTheRun(() => r);
  },
);

describe.skipIf(REAL !== null)(
  `reports of a diverging run (gVisor's profile judging this kernel)${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    let r: Reports;
    beforeAll(async () => {
      const s = await runConformance({
        suites: ['table', 'props', 'stateful'],
        runs: 120,
        sequences: 6,
        seed: 20261126,
        profile: 'gvisor',
        target: 'host',
        shrinkMs: 300,
      });
      r = await reportsOf('diverging', s);
    }, 180_000);

    it('diverges in several kinds (the premise)', () => {
      expect(r.summary.diverged).toBeGreaterThan(0);
      expect(r.summary.divergences.length).toBeGreaterThan(1);
    });
    agreeWithTheRun(() => r);

    it('gives each diverging case its own differences and a replay of that very case', () => {
      const diverged = r.json.nonPassing.filter((c) => c.verdict === 'diverged');
      expect(diverged.length).toBe(r.summary.diverged);
      for (const c of diverged) {
        expect(r.json.divergences.some((d) => d.suite === c.suite && d.kind === c.kind)).toBe(true);
        expect(c.differences!.length, c.name).toBeGreaterThan(0);
        // The replayed case is this one: a table row by its name, a generated case by its
        // description (after the setups that preceded it in its batch, when it needs them).
        const replayed = parseCase(JSON.parse(/--case '(.*)'$/.exec(c.replay!)![1]!));
        if (c.suite === 'table') expect(replayed.name).toBe(c.name);
        else expect(describeCase(replayed).endsWith(c.name), `${c.name} / ${c.replay}`).toBe(true);
      }
      // Cases of one kind are not all printed as their kind's representative.
      const kinds = new Map<string, Set<string>>();
      for (const c of diverged)
        kinds.set(c.kind!, (kinds.get(c.kind!) ?? new Set()).add(c.replay!));
      expect([...kinds.values()].some((replays) => replays.size > 1)).toBe(true);
    });

    it('the human report shows each kind with its minimal case first, wrapped', () => {
      const text = r.human;
      // Sequences are wrapped at their steps: no line holds several steps past the width.
      const steps = /(io_setup|io_destroy)\(.*; .*(io_setup|io_destroy)\(/;
      for (const line of text
        .split('\n')
        .filter((l) => steps.test(l) && !l.includes('aiospec run')))
        expect(line.length, line).toBeLessThanOrEqual(100);
      // This run's sequences include some longer than the width (the premise), and they wrap.
      const long = r.json.nonPassing.filter(
        (c) => c.suite === 'stateful' && `  stateful #${c.index}: ${c.name}`.length > 100,
      );
      expect(long.length).toBeGreaterThan(0);
      expect(text).toMatch(/^ {6}io_(setup|destroy)\(/m);
      const kinds = text.split('\n').filter((l) => /^DIVERGED .* · kind \d+ of \d+ · /.test(l));
      expect(kinds.length).toBe(r.summary.divergences.length);
      for (const d of r.summary.divergences) {
        const at = text.indexOf(`  kind: ${d.kind}\n`);
        expect(at, d.kind).toBeGreaterThan(0);
        expect(text.slice(at).split('\n')[1]).toMatch(/^ {2}minimal case: /);
      }
    });
  },
);

describe('the consumers themselves', () => {
  it('tap-parser (strict) reports a line that is not TAP', () => {
    const read = readTap('TAP version 14\n1..1\nok 1 - table #0: a\nthis is not TAP\n');
    expect(read.errors.length).toBe(1);
  });

  it.skipIf(XMLLINT !== null)("xmllint refuses what Jenkins' XSD does not allow", () => {
    const file = join(dir, 'refused.xml');
    writeFileSync(
      file,
      '<testsuites skipped="1"><testsuite name="t" tests="1"><testcase name="a"><skipped message="why"/></testcase></testsuite></testsuites>\n',
    );
    const r = xmllintSchema(file);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/skipped/);
  });

  it('the report schema refuses an object that is not a report', () => {
    const validate = schemaValidator('report', { strict: false });
    expect(validate({ cases: 0 })).toBe(false);
    expect(validate.errors?.some((e) => e.params && 'missingProperty' in e.params)).toBe(true);
  });
});

describe('reports written by the command, a piece at a time (a trace replayed with the gvisor profile: no kernel needed)', () => {
  const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
  const TRACE = resolve(import.meta.dirname, '../../fixtures/host-linux.trace.jsonl');
  const replay = (reporter: string) => {
    const out = join(dir, `replay.${reporter}`);
    const r = spawnSync(
      process.execPath,
      [BIN, 'replay', TRACE, '--profile', 'gvisor', '--reporter', reporter, '--out', out],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(1);
    return { file: out, text: readFileSync(out, 'utf8') };
  };

  it('JUnit, TAP and JSON agree with each other and with their consumers', async () => {
    const json = JSON.parse(replay('json').text) as ReturnType<typeof jsonReport>;
    expect(strictReport(json), JSON.stringify(strictReport.errors?.slice(0, 3))).toBe(true);
    expect(json.diverged).toBeGreaterThan(0);
    const junit = replay('junit');
    if (XMLLINT === null) expect(xmllintSchema(junit.file).code).toBe(0);
    const read = await readJunit(junit.text);
    expect([read.attributes.tests, read.attributes.failures]).toEqual([json.cases, json.diverged]);
    const tap = readTap(replay('tap').text);
    expect(tap.errors).toEqual([]);
    expect(verdicts(read.cases)).toEqual(verdicts(tap.cases));
    expect(verdicts(json.nonPassing)).toEqual(
      verdicts(tap.cases).filter((v) => !v.endsWith(' passed')),
    );
  });
});
