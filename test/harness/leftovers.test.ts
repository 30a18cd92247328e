/**
 * The test run's safety net (test/support/run-marker.ts, leftovers.ts): a test
 * that fails before stopping what it started must not leave a holder of AIO
 * contexts on the host. A tiny vitest project (fixtures/) is run in a
 * subprocess with tests that forget their holder (failing or passing) and one
 * that tracks it with startedProcesses(); afterwards every holder is gone, the
 * forgotten ones are named on stderr, and the run fails because of them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGone, type ProcessRef, processesHoldingAio, processRef } from '../support/processes.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const VITEST = resolve(import.meta.dirname, '../../node_modules/vitest/vitest.mjs');

const out = mkdtempSync(join(tmpdir(), 'aiospec-leftovers-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface HolderPids {
  readonly runner: number;
  readonly workers: readonly number[];
}

describe.skipIf(REAL !== null)(
  `a test run kills what its tests left behind${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();

    /** Run the fixture project on these files; its exit status and output. */
    function innerRun(...files: string[]): Promise<{ code: number | null; output: string }> {
      // The inner vitest must not take this run's own vitest variables for its own.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^VITEST|^TEST$|^NODE_ENV$/.test(k)),
      );
      const p = started.child(
        spawn(process.execPath, [VITEST, 'run', '--config', 'vitest.config.ts', ...files], {
          cwd: FIXTURES,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...env, AIOSPEC_FIXTURE_OUT: out, NO_COLOR: '1' },
        }),
      );
      let output = '';
      p.stdout!.setEncoding('utf8').on('data', (d: string) => {
        output += d;
      });
      p.stderr!.setEncoding('utf8').on('data', (d: string) => {
        output += d;
      });
      return new Promise((done) => p.on('close', (code) => done({ code, output })));
    }

    /** The pids a fixture's holder wrote, tracked so that this test kills them if the net did not. */
    function holderPids(name: string): HolderPids & { refs: ProcessRef[] } {
      const h = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as HolderPids;
      const refs = [h.runner, ...h.workers].flatMap((pid) => processRef(pid) ?? []);
      for (const r of refs) started.pid(r);
      return { ...h, refs };
    }

    const gone = (h: HolderPids & { refs: ProcessRef[] }) => {
      expect(h.refs.filter((r) => !isGone(r))).toEqual([]);
      const pids = [h.runner, ...h.workers];
      expect(processesHoldingAio((pid) => pids.includes(pid))).toEqual([]);
    };

    it("a failing test's forgotten holder is killed at the end of the run, named, and fails it; a tracked one is stopped by afterEach", async () => {
      const r = await innerRun('forgets-holder-and-fails', 'stops-holder-and-fails');
      expect(r.code, r.output).not.toBe(0);
      const forgotten = holderPids('forgotten');
      const tracked = holderPids('tracked');
      gone(forgotten);
      gone(tracked);
      // The report names the forgotten runner and its worker, and nothing of the tracked one.
      expect(r.output).toMatch(/still running at its end/);
      for (const pid of [forgotten.runner, ...forgotten.workers])
        expect(r.output).toMatch(new RegExp(`pid ${pid} `));
      for (const pid of [tracked.runner, ...tracked.workers])
        expect(r.output).not.toMatch(new RegExp(`pid ${pid} `));
      // The forgotten worker held its context until then.
      expect(r.output).toMatch(new RegExp(`pid ${forgotten.workers[0]} .*\\(1 AIO rings\\)`));
    });

    it('a passing run that leaves a holder behind fails because of it', async () => {
      const r = await innerRun('forgets-holder-and-passes');
      const h = holderPids('forgotten-by-a-pass');
      gone(h);
      expect(r.output).toMatch(/1 passed/);
      expect(r.output).toMatch(/still running at its end/);
      expect(r.code).toBe(1);
    });

    it('a run that leaves nothing passes, and its end reports nothing', async () => {
      const r = await innerRun('nothing-left');
      expect(r.output).not.toMatch(/still running at its end/);
      expect(r.code, r.output).toBe(0);
    });
  },
);
