/**
 * The differential engine against this kernel: a conformant run, a wrong
 * profile caught (gVisor's model on Linux), and a deliberately broken model
 * rule caught and shrunk to its minimal case. Runs are smaller than the
 * default so that the suite stays quick; `aiospec run` itself is exercised in
 * test/cli/run.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Case } from '../../conformance/cases.js';
import { Engine } from '../../conformance/engine/execute.js';
import type { Recorder } from '../../conformance/engine/recorder.js';
import { runConformance } from '../../conformance/run.js';
import { SETUP_RULES, type SetupRuleTable } from '../../model/index.js';
import {
  commandOf,
  isGone,
  type ProcessRef,
  parentOf,
  processRef,
  waitFor,
  workersOf,
} from '../support/processes.js';
import { REAL } from '../support/real.js';
import { killQuietly } from '../support/started.js';

/**
 * The workers this process started (the engine runs in it) and their child
 * workers: they carry AIOSPEC_PARENT_PID. A finished run must have closed them
 * all, and with them their contexts (asked of them, not of the host-wide
 * aio-nr, which other programs move). Killed regardless after each test.
 */
const ourWorkers = () => workersOf(process.pid);

afterEach(() => {
  for (const pid of ourWorkers()) killQuietly(pid);
});

/** JSON.stringify replacer: u64 values (bigint) as their decimal text, for failure messages. */
const bigintAsText = (_k: string, v: unknown) => (typeof v === 'bigint' ? String(v) : v);

async function closedItsWorkers(): Promise<void> {
  await waitFor(
    () => ourWorkers().length === 0,
    () =>
      `the run's workers are still running: ${ourWorkers()
        .map((pid) => `${pid} ${commandOf(pid)}`)
        .join('; ')}`,
  );
}

const base = {
  runs: 1500,
  sequences: 60,
  seed: 20261125,
  target: 'host',
  shrinkMs: 30_000,
} as const;

describe.skipIf(REAL !== null)(
  `the engine on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    it('finds this kernel conformant to the linux profile and covers every rule reachable here', async () => {
      const s = await runConformance({
        ...base,
        suites: ['table', 'props', 'stateful'],
        profile: 'linux',
      });
      await closedItsWorkers();
      expect(s.diverged, JSON.stringify(s.divergences.slice(0, 3), bigintAsText)).toBe(0);
      expect(s.cases).toBe(s.passed + s.skipped + s.inconclusive);
      expect(s.suites.props?.cases).toBe(base.runs);
      expect(s.suites.stateful?.cases).toBe(base.sequences);
      // Every rule without hits must be one this host cannot reach, with the reason.
      const missed = s.coverage.filter((c) => c.hits === 0);
      for (const c of missed)
        expect(c.unreachable, c.id).not.toBe('no case reached it in this run');
      expect(missed.map((c) => c.id).sort()).toEqual(
        [
          'kernel.no-aio',
          'kernel.no-aio-destroy',
          'setup.kmem',
          'setup.mmap-lock-killed',
          'setup.ring-pages',
          'setup.table-grow',
          // without --seccomp-profile, only the sandboxes' ERRNO on io_setup is reached
          'seccomp.kill-process',
          'seccomp.kill-thread',
          'seccomp.trap',
          'seccomp.user-notif',
          'seccomp.trace',
          'seccomp.destroy-kill-process',
          'seccomp.destroy-kill-thread',
          'seccomp.destroy-trap',
          'seccomp.destroy-errno',
          'seccomp.destroy-user-notif',
          'seccomp.destroy-trace',
        ].sort(),
      );
    });

    it("reports gVisor's divergences when the gvisor profile judges Linux", async () => {
      const s = await runConformance({
        ...base,
        runs: 300,
        sequences: 10,
        suites: ['table', 'props'],
        profile: 'gvisor',
      });
      await closedItsWorkers();
      expect(s.diverged).toBeGreaterThan(0);
      const kinds = s.divergences.map((d) => d.differences[0]!.diffs.map((x) => x.field).join(','));
      // nr_events 0 accepted by gVisor, refused by Linux; a zero ring header against Linux's.
      expect(
        s.divergences.some((d) => d.case.steps[0]?.op === 'setup' && d.case.steps[0].nr === 0),
      ).toBe(true);
      expect(kinds.some((k) => k.includes('ring.magic'))).toBe(true);
    });

    it('runs sandboxes and fresh processes as children of the main worker, and starts them again from a new one when it dies', async () => {
      // Each worker as it starts: its key, its process, its parent then, its seccomp mode.
      const seen: { key: string; self: ProcessRef; parent: number | null; seccomp: unknown }[] = [];
      const recorder: Recorder = {
        worker: (key, host) =>
          seen.push({
            key,
            self: processRef(host.pid)!,
            parent: parentOf(host.pid),
            seccomp: host.seccompMode,
          }),
        batch: () => {},
        fill: () => {},
        case: () => {},
        release: () => {},
        completions: () => {},
      };
      const cases: Case[] = [
        { steps: [{ op: 'setup', nr: 1, ctx: 'zero' }], seccomp: 'EPERM' },
        {
          steps: [{ op: 'destroy', target: { bogus: { u32: 0, offset: 0 } } }],
          freshProcess: true,
        },
      ];
      const engine = new Engine({ profile: 'linux', recorder });
      try {
        await engine.start();
        const first = await engine.run('table', cases, { alone: true });
        expect(first.map((v) => [v.status, v.reason])).toEqual([
          ['pass', undefined],
          ['pass', undefined],
        ]);
        // The main worker first; its children start together, in either order.
        const byKey = (list: typeof seen, key: string) => list.find((w) => w.key === key);
        expect(seen.map((w) => w.key).sort()).toEqual(['fresh:0', 'main', 'seccomp:EPERM']);
        const [main, sandbox, fresh] = ['main', 'seccomp:EPERM', 'fresh:0'].map((k) =>
          byKey(seen, k),
        );
        expect(seen[0]).toBe(main);
        expect(main!.parent).toBe(process.pid);
        expect(sandbox).toMatchObject({ parent: main!.self.pid, seccomp: 2 });
        expect(fresh).toMatchObject({ parent: main!.self.pid, seccomp: 0 });
        await waitFor(() => isGone(fresh!.self), 'the fresh child is closed after its case');

        // The main worker dies; the sandbox dies with it.
        process.kill(main!.self.pid, 'SIGKILL');
        await waitFor(() => isGone(main!.self) && isGone(sandbox!.self), 'both are gone');
        // Let this process's event loop take the exit in (else the sandbox's next case would be
        // sent to a worker not yet known dead, and end inconclusive: right, but not this test).
        await new Promise((r) => setTimeout(r, 200));
        const again = await engine.run('table', cases, { alone: true });
        expect(again.map((v) => [v.status, v.reason])).toEqual([
          ['pass', undefined],
          ['pass', undefined],
        ]);
        const later = seen.slice(3);
        expect(later.map((w) => w.key).sort()).toEqual(['fresh:1', 'main', 'seccomp:EPERM']);
        const [main2, sandbox2, fresh2] = ['main', 'seccomp:EPERM', 'fresh:1'].map((k) =>
          byKey(later, k),
        );
        expect(later[0]).toBe(main2);
        expect(main2!.parent).toBe(process.pid);
        expect(sandbox2).toMatchObject({ parent: main2!.self.pid, seccomp: 2 });
        expect(fresh2).toMatchObject({ parent: main2!.self.pid, seccomp: 0 });
      } finally {
        await engine.close();
      }
      await closedItsWorkers();
    });

    it('catches a deliberately broken rule and shrinks it to the minimal case', async () => {
      // The model forgets that the final write of the handle can fault (kernel: the context is
      // made, torn down, EFAULT). A mistake whose effect does not depend on what other processes
      // do to aio-nr, so that the test holds on a busy host.
      const broken: SetupRuleTable = {
        ...SETUP_RULES,
        'setup.ctx-write-fault': { ...SETUP_RULES['setup.ctx-write-fault'], decides: () => false },
      };
      const s = await runConformance({
        ...base,
        runs: 3000,
        suites: ['props'],
        profile: 'linux',
        rules: { setup: broken },
      });
      await closedItsWorkers();
      expect(s.diverged).toBeGreaterThan(0);
      // Every kind it shows shrinks to one io_setup with a read-only ctx holding 0, an nr_events
      // that passes every earlier check, no fillers, no RLIMIT_AS.
      expect(s.divergences.length).toBeGreaterThan(0);
      for (const d of s.divergences) {
        const only = d.case.steps[0];
        expect(d.case.steps).toHaveLength(1);
        expect(d.case).not.toHaveProperty('headroom');
        expect(only).toMatchObject({ op: 'setup', ctx: 'readonly' });
        expect(only).not.toHaveProperty('asHeadroom');
        expect(only?.op === 'setup' && only.nr >= 1 && only.nr <= 4_194_304).toBe(true);
      }
      const d = s.divergences[0];
      expect(d!.differences[0]!.diffs).toContainEqual({
        field: 'errno',
        model: null,
        real: 'EFAULT',
      });
      expect(d!.replay).toMatch(/^aiospec run --suite props --seed=20261125 --path=\d+/);
    });
  },
);
