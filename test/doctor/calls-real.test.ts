/**
 * `aiospec doctor` on this host, through the built CLI: each of the six AIO calls is made
 * in a child and reaches AIO, answered as fs/aio.c answers these harmless calls
 * (/work/shared/notes/aio-family.md §2.1, §3, §4, §5): EINVAL for io_setup(1, &nonzero),
 * io_destroy(0), io_submit(0, 0, NULL), io_getevents(0, 0, 0, NULL, NULL) and
 * io_pgetevents(0, 0, 0, NULL, NULL, NULL); EFAULT for io_cancel(0, NULL, NULL). Nothing is
 * inconsistent. Runs where the real backend can and this process is under no seccomp
 * filter (under one, what it allows is the container test's subject).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { REAL } from '../support/real.js';

const mode = /^Seccomp:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
const WHY = REAL ?? (mode === '0' ? null : `this process runs under seccomp mode ${mode}`);

function doctor(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'doctor', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const KERNEL: [string, string, string][] = [
  ['io_setup', 'io_setup(1, &ctx)', 'EINVAL'],
  ['io_destroy', 'io_destroy(0)', 'EINVAL'],
  ['io_submit', 'io_submit(0, 0, NULL)', 'EINVAL'],
  ['io_getevents', 'io_getevents(0, 0, 0, NULL, NULL)', 'EINVAL'],
  ['io_pgetevents', 'io_pgetevents(0, 0, 0, NULL, NULL, NULL)', 'EINVAL'],
  ['io_cancel', 'io_cancel(0, NULL, NULL)', 'EFAULT'],
];

describe.skipIf(WHY !== null)(
  `doctor's AIO calls on this host${WHY ? ` (skipped: ${WHY})` : ''}`,
  () => {
    it("JSON: all six allowed, each with the kernel's own answer, nothing inconsistent", () => {
      const r = doctor('--json');
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.calls.map((c: { call: string }) => c.call)).toEqual(KERNEL.map(([c]) => c));
      for (const [i, [call, shown, errno]] of KERNEL.entries()) {
        expect(j.calls[i], call).toMatchObject({ call, verdict: 'allowed', errno: null });
        expect(j.calls[i].detail, call).toMatch(
          new RegExp(`^${shown.replace(/[()*&]/g, '\\$&')} = -1 ${errno}: reached AIO`),
        );
      }
      expect(j.inconsistencies).toEqual([]);
      // Without a filter the seccomp section has no probes of its own (as before).
      expect(j.seccomp.observed).toBeNull();
    });

    it('text: one aligned line per call, the verdict in one column', () => {
      const r = doctor();
      expect(r.code, r.err).toBe(0);
      const lines = r.out.split('\n');
      const at = lines.findIndex((l) => l.startsWith('AIO calls'));
      expect(at, r.out).toBeGreaterThan(0);
      const rows = lines.slice(at + 1, at + 7);
      for (const [i, [call, shown, errno]] of KERNEL.entries()) {
        const start = `  ${call.padEnd('io_pgetevents'.length)}  allowed  ${shown} = -1 ${errno}: reached AIO; `;
        expect(rows[i]!.startsWith(start), `${rows[i]}\nshould start with\n${start}`).toBe(true);
      }
      expect(lines[at + 7]).toBe('');
      expect(r.out).not.toContain('inconsistent');
    });
  },
);
