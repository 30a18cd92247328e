/**
 * `aiospec doctor --nr-events N` as a pre-flight gate: exit 0 when io_setup(N)
 * fits now, 1 when it does not (saying whether it ever can), so that
 * `aiospec doctor --nr-events N && start-db` starts the database only when its
 * io_setup will succeed.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { aioMaxNr, aioNr, REAL } from '../support/real.js';

/** `aiospec doctor --nr-events N && echo started`, as a deployment script writes it. */
function gate(nr: string) {
  const r = spawnSync(
    'sh',
    ['-c', `'${process.execPath}' '${BIN}' doctor --nr-events "$1" && echo started`, 'gate', nr],
    { encoding: 'utf8' },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Room surely larger than io_setup(1)'s charge on any machine (at most a few events per possible CPU). */
const PLENTY = 20_000n;

describe.skipIf(REAL !== null)(
  `doctor --nr-events as a gate${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    it('0 never fits (EINVAL whatever the sysctls): exit 1, nothing started', () => {
      const r = gate('0');
      expect(r.code, r.err).toBe(1);
      expect(r.out).not.toContain('started');
      expect(r.out).toContain('can it ever fit? no');
    });

    it('aio-max-nr + 1 events alone exceed aio-max-nr: exit 1, says what would make it fit', () => {
      const max = aioMaxNr();
      const r = gate(String(max + 1n));
      expect(r.code, r.err).toBe(1);
      expect(r.out).not.toContain('started');
      const needed = /can it ever fit\? only with fs\.aio-max-nr >= (\d+)/.exec(r.out);
      expect(needed, r.out).not.toBeNull();
      expect(BigInt(needed![1]!)).toBeGreaterThan(max);
    });

    it('1 fits while the host has room: exit 0, the gate lets the start through', async () => {
      // Others on the host may fill aio-nr for a while: judge only a doctor run with room before and after it.
      for (let attempt = 0; attempt < 60; attempt++) {
        const before = aioMaxNr() - aioNr();
        const r = gate('1');
        const after = aioMaxNr() - aioNr();
        if (before >= PLENTY && after >= PLENTY) {
          expect(r.code, r.out + r.err).toBe(0);
          expect(r.out).toMatch(/fits now\n[\s\S]*started\n$/);
          return;
        }
        await new Promise((done) => setTimeout(done, 500));
      }
      throw new Error(`the host never had ${PLENTY} events of room around a doctor run`);
    });

    it('usage errors are still 2, before any gate decision', () => {
      const r = gate('lots');
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  },
);
