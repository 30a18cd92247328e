/**
 * `aiospec run` end to end: the default run, reporters, replay, exit codes.
 * Each run on the kernel must end with nothing left of it: the command and
 * every process it started are gone (asked of those processes, not of the
 * host-wide aio-nr, which other programs move).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, nothingLeftBehind, runAiospec } from '../support/cli.js';
import { sameDivergence } from '../support/divergence.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const dir = mkdtempSync(join(tmpdir(), 'aiospec-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('aiospec run usage errors', () => {
  it.each([
    [['--suite', 'fuzz'], '--suite'],
    [['--runs', 'many'], '--runs'],
    [['--reporter', 'xml'], '--reporter'],
    [['--target', 'mars'], '--target'],
    [['--profile', 'bsd'], '--profile'],
    [['--path', '3'], '--path'],
    [['--suite', 'props', '--path', '3'], '--path'],
    [['--suite', 'props', '--suite', 'fuzz'], '--suite'],
    [['--suite', 'props', '--suite', 'stateful', '--seed=1', '--path', '3'], '--path'],
    [['--case', '{"steps":[]}'], '--case'],
    [['--case', 'not json'], '--case'],
    [['--seed=-4'], '--seed'],
  ])('%j: one line naming %s, exit 2', (args, flag) => {
    const r = aiospec('run', ...args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(flag);
  });
});

describe.skipIf(REAL !== null)(
  `aiospec run on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();
    /** `aiospec run ...args` to its end, then nothing of it may be left. */
    const run = async (...args: string[]) => {
      const r = await runAiospec(started, ['run', ...args]);
      await nothingLeftBehind(r);
      return r;
    };

    it('runs the default suites to a conformant result: 10,000 props cases, 300 sequences, every reachable rule', async () => {
      const r = await run('--reporter', 'json', '--seed=1');
      expect(r.code, r.err).toBe(0);
      const s = JSON.parse(r.out);
      expect(s).toMatchObject({
        schemaVersion: 1,
        tool: { name: 'aiospec' },
        target: 'host',
        profile: 'linux',
        seed: 1,
        diverged: 0,
      });
      expect(s.suites.props.cases).toBe(10_000);
      expect(s.suites.stateful.cases).toBe(300);
      expect(s.cases).toBeGreaterThanOrEqual(10_300);
      expect(s.cases).toBe(s.passed + s.diverged + s.inconclusive + s.skipped);
      expect(
        s.coverage.filter(
          (c: { hits: number; unreachable?: string }) =>
            c.hits === 0 && c.unreachable === 'no case reached it in this run',
        ),
      ).toEqual([]);
      expect(s.rulesCovered).toBe(s.coverage.filter((c: { hits: number }) => c.hits > 0).length);
      expect(s.divergences).toEqual([]);
      expect(s).not.toHaveProperty('results');
    });

    it('runs the suites a repeated --suite names, and only those', async () => {
      const r = await run(
        '--suite',
        'stateful',
        '--suite',
        'table',
        '--runs',
        '100',
        '--reporter',
        'json',
      );
      expect(r.code).toBe(0);
      expect(Object.keys(JSON.parse(r.out).suites).sort()).toEqual(['stateful', 'table']);
    });

    it('writes TAP 14 and JUnit XML for CI', async () => {
      const tap = await run('--suite', 'table', '--reporter', 'tap');
      expect(tap.code).toBe(0);
      expect(tap.out.split('\n')[0]).toBe('TAP version 14');
      expect(tap.out).toMatch(/# SKIP /);
      const out = join(dir, 'junit.xml');
      const junit = await run(
        '--suite',
        'props',
        '--runs',
        '200',
        '--reporter',
        'junit',
        '--out',
        out,
      );
      expect(junit.code).toBe(0);
      expect(junit.out).toBe('');
      const xml = readFileSync(out, 'utf8');
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
      expect(xml).toMatch(/<testsuite name="props" tests="200" failures="0"/);
    });

    it('exits 1 with minimal, replayable divergences when the profile is wrong (gVisor on Linux)', async () => {
      const r = await run(
        '--suite',
        'props',
        '--runs',
        '300',
        '--seed=9',
        '--profile',
        'gvisor',
        '--reporter',
        'json',
      );
      expect(r.code).toBe(1);
      const s = JSON.parse(r.out);
      expect(s.diverged).toBeGreaterThan(0);
      const d = s.divergences[0];
      expect(d.replay).toMatch(/^aiospec run --profile gvisor --suite props --seed=9 --path=\d+/);
      // The replay command, run as printed, finds the same divergence.
      const json = /--case '(.*)'$/.exec(d.replay)![1]!;
      const again = await run('--profile', 'gvisor', '--case', json, '--reporter', 'json');
      expect(again.code).toBe(1);
      expect(sameDivergence(JSON.parse(again.out).divergences[0].differences)).toEqual(
        sameDivergence(d.differences),
      );
    });

    it('replays a generated case by seed and path', async () => {
      const r = await run('--suite', 'props', '--seed=5', '--path=17', '--reporter', 'json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).suites.props.cases).toBe(1);
    });
  },
);
