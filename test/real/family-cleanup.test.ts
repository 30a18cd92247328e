/**
 * A family case leaves nothing behind: its fds are closed when it ends (also
 * when a POLL is still pending on one of its pipes), its private tmpfs
 * directory never outlives the opening of its files, and a worker killed in
 * the middle of a case leaves no /dev/shm entry either.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCB_CMD, POLL } from '../../model/abi/iocb.js';
import { privateDirPrefix, tmpfsRoot } from '../../real/family-files.js';
import type { WireFileSpec } from '../../real/family-protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { as, CTX, familyCase } from '../support/family.js';
import { isGone, processRef, waitFor } from '../support/processes.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const EVERY_KIND: readonly WireFileSpec[] = [
  { kind: 'file', mode: 'rw', size: 4096 },
  { kind: 'file', mode: 'w', append: true },
  { kind: 'pipe', fill: 10 },
  { kind: 'pipe', nonblock: true },
  { kind: 'eventfd', count: 2, nonblock: true },
  { kind: 'dir' },
];

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
/** The private directories of worker `pid` in the tmpfs root. */
const privateDirs = (pid: number) =>
  readdirSync(tmpfsRoot()!).filter((n) => n.startsWith(privateDirPrefix(pid)));

describe.skipIf(REAL !== null)(
  `AIO family on the real kernel: nothing left behind${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();
    let w: WorkerProcess;

    beforeAll(async () => {
      w = started.worker(await WorkerProcess.start());
    });
    afterAll(async () => {
      await w?.close();
    });

    it('/dev/shm is tmpfs here (where the files go)', () => {
      expect(tmpfsRoot()).toBe('/dev/shm');
    });

    it('a case with every kind of file, and a POLL left pending, closes every fd and leaves no directory', async () => {
      // A first case, so that anything opened once per worker (koffi, Node) is open already.
      await familyCase(w, EVERY_KIND, []);
      const before = fdCount(w.pid);
      const r = await familyCase(w, EVERY_KIND, [
        { op: 'setup', nr: 4, ctx: 'zero' },
        {
          op: 'submit',
          ctx: CTX,
          iocbs: [
            { opcode: IOCB_CMD.POLL, fd: { file: 3, end: 'read' }, buf: { value: POLL.IN } },
            { opcode: IOCB_CMD.PWRITE, fd: { file: 1 }, buf: { bytes: 100 } },
          ],
        },
        { op: 'fdread', fd: { file: 4 }, bytes: 8 },
        { op: 'fdread', fd: { file: 2, end: 'read' }, bytes: 64 },
      ]);
      expect(as(r[1], 'submit')).toMatchObject({ ret: 2, ring: { head: 0, tail: 1 } });
      expect(as(r[2], 'fdread')).toMatchObject({ ret: 8, value: 2 });
      expect(as(r[3], 'fdread')).toMatchObject({ ret: 10 });
      expect(fdCount(w.pid)).toBe(before);
      expect(privateDirs(w.pid)).toEqual([]);
    });

    it('a worker killed in the middle of a case leaves no /dev/shm entry', async () => {
      const victim = started.worker(await WorkerProcess.start());
      const ref = processRef(victim.pid)!;
      const idle = fdCount(victim.pid);
      const running = victim.run(
        [{ id: 1, files: EVERY_KIND, steps: [{ op: 'debug-hang' }] }],
        2000,
      );
      // While the case runs (hung, until the runner's timeout), its files are open and gone from the tree.
      // Two files, two pipes (two fds each), an eventfd and a directory.
      await waitFor(() => fdCount(victim.pid) >= idle + 8, 'the case opened its files');
      // The directory goes right after the last open: allow the instant between the two.
      await waitFor(() => privateDirs(victim.pid).length === 0, 'no private directory', 1000);
      const out = await running;
      expect(out.cases[0]!.status).toBe('timeout');
      await waitFor(() => isGone(ref), 'the worker is gone');
      expect(privateDirs(ref.pid)).toEqual([]);
    });
  },
);
