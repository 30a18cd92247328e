/**
 * A seccomp profile applies to every call of the family, not only io_setup and
 * io_destroy: the moby#38894 / containerd#3105 profile (io_getevents allowed,
 * io_pgetevents EPERM) run for real under the family table. The model must
 * predict EPERM exactly at io_pgetevents (seccomp.family-errno), and every
 * other family call must behave as without the filter.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nothingLeftBehind, runAiospec } from '../support/cli.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const started = startedProcesses();
const PROFILE = resolve(import.meta.dirname, '../../fixtures/seccomp/io-pgetevents-eperm.json');

describe.skipIf(REAL !== null)(
  `family calls under a seccomp profile${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    it('io_pgetevents EPERM, io_getevents allowed: conformant, with the filter deciding the io_pgetevents steps', async () => {
      const r = await runAiospec(started, [
        'run',
        '--suite',
        'family-table',
        '--seccomp-profile',
        PROFILE,
        '--reporter',
        'json',
      ]);
      await nothingLeftBehind(r);
      expect(r.code, r.err).toBe(0);
      const s = JSON.parse(r.out);
      expect(s.suites['family-table'].diverged).toBe(0);
      const hits = Object.fromEntries(
        (s.coverage as { id: string; hits: number }[]).map((c) => [c.id, c.hits]),
      );
      // The filter decides every io_pgetevents step, before its own checks (sigsetsize, usig):
      // none of those decides anything; io_getevents, allowed, still collects.
      expect(hits['seccomp.family-errno']).toBeGreaterThan(0);
      for (const id of [
        'pgetevents.usig-fault',
        'pgetevents.sigsetsize',
        'pgetevents.sigmask-fault',
      ])
        expect(hits[id], id).toBe(0);
      expect(hits['getevents.collected']).toBeGreaterThan(0);
    }, 120_000);
  },
);
