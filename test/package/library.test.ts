/**
 * The library entry `aiospec` returns what the commands print with --json: the
 * same object, field for field (what differs between two runs on a shared host,
 * the time taken and aio-nr, left out).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, explain, replay, run, UsageError } from '../../conformance/index.js';
import { BIN } from '../support/cli.js';
import { REAL } from '../support/real.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TRACE = join(ROOT, 'fixtures/gvisor.trace.jsonl');

function cliJson(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect([0, 1], r.stderr).toContain(r.status);
  return JSON.parse(r.stdout);
}

/** A report with every time taken (`wallMs`, `ms`, at any depth) set to 0: two runs differ in nothing else. */
function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, k === 'ms' || k === 'wallMs' ? 0 : untimed(x)]),
  );
}

describe('the library, no kernel needed', () => {
  it('explain() is explain --json', () => {
    const env = { possibleCpus: 8, aioNr: 65_000n };
    expect(explain({ nrEvents: 600, ctx: 'zero', env })).toEqual(
      cliJson(['explain', '--nr-events', '600', '--cpus', '8', '--aio-nr', '65000', '--json']),
    );
  });

  it('replay() is replay --reporter json', async () => {
    const lib = await replay(readFileSync(TRACE, 'utf8'));
    expect(untimed(lib)).toEqual(untimed(cliJson(['replay', TRACE, '--reporter', 'json'])));
  });

  it('refuses what the flags refuse, by throwing', async () => {
    expect(() => explain({ nrEvents: -1 })).toThrow(RangeError);
    await expect(run({ runs: 1.5 })).rejects.toThrow(RangeError);
    await expect(run({ target: 'mars' })).rejects.toThrow(UsageError);
  });
});

describe.skipIf(REAL !== null)(
  `the library on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    /** What two runs of the same cases share: everything but the times taken and aio-nr at the start. */
    const stable = (r: object) => ({
      ...(untimed(r) as Record<string, unknown>),
      environment: { ...(r as { environment: object }).environment, aioNrAtStart: 0 },
    });

    it('run() is run --reporter json: the same report for the same suite and seed', async () => {
      // The generator weighs nr_events by the room aio-nr leaves, and inconclusive cases come
      // from others moving it: runs compare whole only when both started at the same aio-nr
      // and settled every case. A few tries find such a pair unless the host is very busy.
      for (let attempt = 0; attempt < 5; attempt++) {
        const lib = await run({ suites: ['props'], runs: 300, seed: 11 });
        const cli = cliJson([
          'run',
          '--suite',
          'props',
          '--runs',
          '300',
          '--seed=11',
          '--reporter',
          'json',
        ]);
        expect(Object.keys(lib).sort()).toEqual(Object.keys(cli).sort());
        const env = lib.environment as { aioNrAtStart: number };
        const comparable =
          env.aioNrAtStart === cli.environment.aioNrAtStart &&
          lib.inconclusive === 0 &&
          cli.inconclusive === 0;
        if (comparable) {
          expect(stable(lib)).toEqual(stable(cli));
          return;
        }
      }
    });

    it('run() stops when its signal aborts, and says why', async () => {
      const report = await run({
        suites: ['props'],
        runs: 10_000_000,
        signal: AbortSignal.timeout(1000),
      });
      expect(report.stopped).toBeTypeOf('string');
      expect(report.cases).toBeLessThan(10_000_000);
    });

    it('doctor() has the fields doctor --json has', async () => {
      const lib = await doctor({ nrEvents: 1 });
      const cli = cliJson(['doctor', '--nr-events', '1', '--json']);
      expect(Object.keys(lib).sort()).toEqual(Object.keys(cli).sort());
      expect(lib.kernel).toEqual(cli.kernel);
    });
  },
);
