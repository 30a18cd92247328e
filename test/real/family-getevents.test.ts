/**
 * io_getevents and io_pgetevents on this kernel through the family backend,
 * and the capacity of a context for a pinned submitter. Expected values come
 * from the kernel notes (../shared/notes/aio-family.md §3, §4, §6.2, §6.3) and
 * from the ring-size arithmetic there, computed here from the CPU count and
 * page size this test reads itself.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCB_CMD } from '../../model/abi/iocb.js';
import type { WireIocb } from '../../real/family-protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { as, CTX, familyCase, withContext } from '../support/family.js';
import { possibleCpus, REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const EINTR = 4;
const EAGAIN = 11;
const EFAULT = 14;
const EINVAL = 22;

const READ1: WireIocb = { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 1 }, data: 42 };
const FILE = [{ kind: 'file', mode: 'r', size: 1 }] as const;
const EVENT = { data: 42, obj: { submitted: 1, index: 0 }, res: 1, res2: 0 };

/** A line of the worker's main thread's status (its pid is its main thread's tid). */
function threadStatus(pid: number, field: string): string {
  const text = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text)![1]!.trim();
}

describe.skipIf(REAL !== null)(
  `AIO family on the real kernel: io_getevents, io_pgetevents, capacity${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();
    let w: WorkerProcess;

    beforeAll(async () => {
      w = started.worker(await WorkerProcess.start());
    });
    afterAll(async () => {
      await w?.close();
    });

    it('io_getevents: the timeout is copied before the context is looked up; min/nr checks; timeouts that do not wait', async () => {
      const r = await withContext(
        w,
        [],
        [
          { op: 'getevents', ctx: { address: '0' }, minNr: 0, nr: 1, timeout: 'unmapped' },
          { op: 'getevents', ctx: { address: '0' }, minNr: 0, nr: 1 },
          { op: 'getevents', ctx: CTX, minNr: 2, nr: 1 },
          { op: 'getevents', ctx: CTX, minNr: -1, nr: 1 },
          // {-1 s, 1e9 ns} sums to 0: the non-blocking path.
          { op: 'getevents', ctx: CTX, minNr: 1, nr: 1, timeout: { sec: -1, nsec: 1e9 } },
          { op: 'getevents', ctx: CTX, minNr: 1, nr: 1, timeout: { sec: 0, nsec: 1_000_000 } },
          // min_nr 0 never blocks, even with a NULL timeout.
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 1, timeout: 'null' },
        ],
      );
      expect(as(r[0], 'getevents')).toMatchObject({ ret: -1, errno: EFAULT, ring: null });
      expect(as(r[1], 'getevents')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[2], 'getevents')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[3], 'getevents')).toMatchObject({ ret: -1, errno: EINVAL });
      for (const i of [4, 5, 6])
        expect(as(r[i], 'getevents')).toMatchObject({ ret: 0, errno: 0, events: [] });
    });

    it('an events buffer that faults: EFAULT only once there is an event, which then stays in the ring', async () => {
      const r = await withContext(
        w,
        [...FILE],
        [
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 1, events: 'null' },
          { op: 'submit', ctx: CTX, iocbs: [READ1] },
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 1, events: 'null' },
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 1, events: 'readonly' },
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 1, events: 'unmapped' },
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 1 },
        ],
      );
      expect(as(r[0], 'getevents')).toMatchObject({ ret: 0 });
      for (const i of [2, 3, 4])
        expect(as(r[i], 'getevents')).toMatchObject({
          ret: -1,
          errno: EFAULT,
          events: [],
          ring: { head: 0, tail: 1 },
        });
      expect(as(r[5], 'getevents')).toMatchObject({
        ret: 1,
        events: [{ ...EVENT, obj: { submitted: 2, index: 0 } }],
        ring: { head: 1, tail: 1 },
      });
    });

    it('io_pgetevents: sigsetsize is checked only with a mask, and before the context; bad usig or mask is EFAULT', async () => {
      const r = await withContext(
        w,
        [],
        [
          { op: 'pgetevents', ctx: CTX, minNr: 0, nr: 1, sig: { mask: 'empty', size: 7 } },
          { op: 'pgetevents', ctx: CTX, minNr: 0, nr: 1, sig: { mask: 'null', size: 7 } },
          { op: 'pgetevents', ctx: CTX, minNr: 0, nr: 1, sig: { mask: 'empty', size: 8 } },
          { op: 'pgetevents', ctx: CTX, minNr: 0, nr: 1, sig: 'unmapped' },
          // The mask is read before the context is looked up: EFAULT, not EINVAL.
          {
            op: 'pgetevents',
            ctx: { address: '0' },
            minNr: 0,
            nr: 1,
            sig: { mask: 'unmapped', size: 8 },
          },
          { op: 'pgetevents', ctx: CTX, minNr: 0, nr: 1, timeout: 'unmapped' },
          { op: 'pgetevents', ctx: { address: '0' }, minNr: 0, nr: 1 },
        ],
      );
      expect(as(r[0], 'pgetevents')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[1], 'pgetevents')).toMatchObject({ ret: 0 });
      expect(as(r[2], 'pgetevents')).toMatchObject({ ret: 0 });
      expect(as(r[3], 'pgetevents')).toMatchObject({ ret: -1, errno: EFAULT });
      expect(as(r[4], 'pgetevents')).toMatchObject({ ret: -1, errno: EFAULT });
      expect(as(r[5], 'pgetevents')).toMatchObject({ ret: -1, errno: EFAULT });
      expect(as(r[6], 'pgetevents')).toMatchObject({ ret: -1, errno: EINVAL });
    });

    it('io_pgetevents with SIGUSR1 pending: EINTR on an empty ring, the count with an event; the handler runs only when the mask lets it', async () => {
      const pid = w.pid;
      const blockedBefore = threadStatus(pid, 'SigBlk');
      const caughtBefore = threadStatus(pid, 'SigCgt');
      const usr1 = (mask: 'empty' | 'block-usr1' | null) =>
        ({
          op: 'pgetevents',
          ctx: CTX,
          minNr: 1,
          nr: 1,
          ...(mask ? { sig: { mask, size: 8 } } : {}),
          pendingUsr1: true,
        }) as const;
      const r = await withContext(
        w,
        [...FILE],
        [
          usr1('empty'),
          usr1('block-usr1'),
          usr1(null),
          { op: 'submit', ctx: CTX, iocbs: [READ1] },
          usr1('empty'),
        ],
      );
      expect(as(r[0], 'pgetevents')).toMatchObject({ ret: -1, errno: EINTR, usr1: 1 });
      expect(as(r[1], 'pgetevents')).toMatchObject({ ret: 0, errno: 0, usr1: 0 });
      expect(as(r[2], 'pgetevents')).toMatchObject({ ret: 0, errno: 0, usr1: 0 });
      expect(as(r[4], 'pgetevents')).toMatchObject({
        ret: 1,
        usr1: 1,
        events: [{ ...EVENT, obj: { submitted: 4, index: 0 } }],
      });
      // The worker's mask and handlers are as they were, and it still works.
      expect(threadStatus(pid, 'SigBlk')).toBe(blockedBefore);
      expect(threadStatus(pid, 'SigCgt')).toBe(caughtBefore);
      const again = await withContext(w, [], [usr1('empty')]);
      expect(as(again[0], 'pgetevents')).toMatchObject({ errno: EINTR, usr1: 1 });
    });

    it('capacity, pinned: K = (N-1) - ((N-1) mod B) submissions, then EAGAIN; reaping alone frees nothing until a submission refills', async () => {
      const C = possibleCpus();
      const S = w.host.pageSize;
      // §6.2/§6.3 arithmetic for io_setup(1).
      const ne = 2 * Math.max(1, 4 * C);
      const N = (S * Math.ceil((32 * (ne + 3)) / S)) / 32 - 1;
      const B = Math.max(1, Math.floor((N - 1) / (4 * C)));
      const K = N - 1 - ((N - 1) % B);
      const allowedBefore = threadStatus(w.pid, 'Cpus_allowed_list');
      const all = await familyCase(
        w,
        [...FILE],
        [
          { op: 'setup', nr: 1, ctx: 'zero' },
          { op: 'submit', ctx: CTX, iocbs: Array.from({ length: K + 3 }, () => READ1) },
          { op: 'submit', ctx: CTX, iocbs: [READ1] },
          { op: 'reap', ctx: CTX, max: K },
          { op: 'submit', ctx: CTX, iocbs: [READ1] },
        ],
        { pin: true },
      );
      const setup = all[0]!;
      expect(setup.op === 'setup' && setup.ring?.nr).toBe(N);
      expect(as(all[1], 'submit')).toMatchObject({ ret: K, ring: { head: 0, tail: K } });
      expect(as(all[2], 'submit')).toMatchObject({ ret: -1, errno: EAGAIN });
      expect(as(all[3], 'reap').events).toHaveLength(K);
      expect(as(all[4], 'submit')).toMatchObject({
        ret: 1,
        ring: { head: K, tail: (K + 1) % N },
      });
      expect(threadStatus(w.pid, 'Cpus_allowed_list')).toBe(allowedBefore);
    });
  },
);
