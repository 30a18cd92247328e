/**
 * The differential engine against this kernel: a conformant run, a wrong
 * profile caught (gVisor's model on Linux), and a deliberately broken model
 * rule caught and shrunk to its minimal case. Runs are smaller than the
 * default so that the suite stays quick; `aiospec run` itself is exercised in
 * test/cli/run.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runConformance } from '../../conformance/run.js';
import { SETUP_RULES, type SetupRuleTable } from '../../model/index.js';
import { aioNr, REAL } from '../support/real.js';

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
      const before = aioNr();
      const s = await runConformance({
        ...base,
        suites: ['table', 'props', 'stateful'],
        profile: 'linux',
      });
      expect(
        s.diverged,
        JSON.stringify(s.divergences.slice(0, 3), (_k, v) =>
          typeof v === 'bigint' ? String(v) : v,
        ),
      ).toBe(0);
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
        ].sort(),
      );
      expect(aioNr()).toBe(before);
    });

    it("reports gVisor's divergences when the gvisor profile judges Linux", async () => {
      const s = await runConformance({
        ...base,
        runs: 300,
        sequences: 10,
        suites: ['table', 'props'],
        profile: 'gvisor',
      });
      expect(s.diverged).toBeGreaterThan(0);
      const kinds = s.divergences.map((d) => d.differences[0]!.diffs.map((x) => x.field).join(','));
      // nr_events 0 accepted by gVisor, refused by Linux; a zero ring header against Linux's.
      expect(
        s.divergences.some((d) => d.case.steps[0]?.op === 'setup' && d.case.steps[0].nr === 0),
      ).toBe(true);
      expect(kinds.some((k) => k.includes('ring.magic'))).toBe(true);
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
