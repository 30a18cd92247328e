/**
 * The AIO family's real backend on this kernel: io_submit, io_getevents,
 * user-space reaping, io_cancel, RESFD. Expected values come from the kernel
 * notes (../shared/notes/aio-family.md §2, §3, §5, §6, §9: the ordered checks of
 * fs/aio.c) and from arithmetic on the files the cases make, not from the code
 * under test. Step indices: step 0 is io_setup, so the k-th family step of a
 * list is step k + 1 (what `{ submitted }` names).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCB_CMD, IOCB_FLAG_RESFD, POLL } from '../../model/abi/iocb.js';
import type { WireIocb } from '../../real/family-protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { as, CTX, familyCase, withContext } from '../support/family.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const EBADF = 9;
const EAGAIN = 11;
const EFAULT = 14;
const EINVAL = 22;
const EINPROGRESS = 115;
const KEY = 0xdeadbeef;

/** A PREAD of `bytes` at `offset` of file #0. */
const pread = (bytes: number, offset: number, data = 0): WireIocb => ({
  opcode: IOCB_CMD.PREAD,
  fd: { file: 0 },
  buf: { bytes },
  offset,
  data,
});

describe.skipIf(REAL !== null)(
  `AIO family on the real kernel: io_submit, events, cancel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();
    let w: WorkerProcess;

    beforeAll(async () => {
      w = started.worker(await WorkerProcess.start());
    });
    afterAll(async () => {
      await w?.close();
    });

    it('io_submit(ctx, 0, NULL) is 0; a bad ctx is EINVAL even for nr 0; nr < 0 is EINVAL', async () => {
      const r = await familyCase(
        w,
        [],
        [
          { op: 'setup', nr: 1, ctx: 'zero' },
          { op: 'submit', ctx: CTX, iocbs: [] },
          { op: 'submit', ctx: { address: '0' }, iocbs: [] },
          { op: 'submit', ctx: { address: '0' }, nr: 1, iocbs: [] },
          { op: 'submit', ctx: CTX, nr: -1, iocbs: [] },
        ],
      );
      expect(as(r[1], 'submit')).toMatchObject({ ret: 0, keys: [], ring: { head: 0, tail: 0 } });
      // Not a ring of ours: no ring ends to report.
      expect(as(r[2], 'submit')).toMatchObject({ ret: -1, errno: EINVAL, ring: null });
      expect(as(r[3], 'submit')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[4], 'submit')).toMatchObject({ ret: -1, errno: EINVAL });
    });

    it('NOOP and opcode 4 are EINVAL with aio_key written 0; a bad fd is EBADF with aio_key untouched', async () => {
      const r = await withContext(
        w,
        [{ kind: 'file', mode: 'rw', size: 16 }],
        [
          { op: 'submit', ctx: CTX, iocbs: [{ opcode: IOCB_CMD.NOOP, fd: { file: 0 }, key: KEY }] },
          { op: 'submit', ctx: CTX, iocbs: [{ opcode: 4, fd: { file: 0 }, key: KEY }] },
          { op: 'submit', ctx: CTX, iocbs: [{ ...pread(8, 0), fd: { fd: -1 }, key: KEY }] },
          // P7: readable but not writable: the aio_key write faults.
          { op: 'submit', ctx: CTX, iocbs: [{ ...pread(8, 0), key: KEY, readonly: true }] },
          { op: 'submit', ctx: CTX, iocbs: [{ ...pread(8, 0), reserved2: 1, key: KEY }] },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: -1, errno: EINVAL, keys: [0] });
      expect(as(r[1], 'submit')).toMatchObject({ ret: -1, errno: EINVAL, keys: [0] });
      expect(as(r[2], 'submit')).toMatchObject({ ret: -1, errno: EBADF, keys: [KEY] });
      expect(as(r[3], 'submit')).toMatchObject({ ret: -1, errno: EFAULT, keys: [KEY] });
      expect(as(r[4], 'submit')).toMatchObject({ ret: -1, errno: EINVAL, keys: [KEY] });
      // Nothing completed: the ring stays empty.
      for (const s of r) expect(as(s, 'submit').ring).toEqual({ head: 0, tail: 0 });
    });

    it('a PREAD of a tmpfs file completes inside io_submit; io_getevents returns it and moves head', async () => {
      // 100-byte file, 64 bytes asked at offset 50: 50 bytes are there.
      const r = await withContext(
        w,
        [{ kind: 'file', mode: 'r', size: 100 }],
        [
          { op: 'submit', ctx: CTX, iocbs: [pread(64, 50, 0x123)] },
          { op: 'getevents', ctx: CTX, minNr: 1, nr: 4 },
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 4 },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 1, keys: [0], ring: { head: 0, tail: 1 } });
      expect(as(r[1], 'getevents')).toEqual({
        op: 'getevents',
        ret: 1,
        errno: 0,
        events: [{ data: 0x123, obj: { submitted: 1, index: 0 }, res: 50, res2: 0 }],
        ring: { head: 1, tail: 1 },
      });
      expect(as(r[2], 'getevents')).toMatchObject({ ret: 0, events: [] });
    });

    it('sync completions land in submission order; user-space reaping sees them and moves head', async () => {
      const r = await withContext(
        w,
        [{ kind: 'file', mode: 'r', size: 10 }],
        [
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [pread(4, 0, 1), pread(4, 8, 2), pread(4, 20, 3)],
          },
          { op: 'reap', ctx: CTX, max: 2 },
          { op: 'reap', ctx: CTX, max: 5 },
          { op: 'getevents', ctx: CTX, minNr: 0, nr: 4 },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 3, ring: { head: 0, tail: 3 } });
      // Bytes there: 4 at offset 0, 2 at offset 8 (of 10), none at 20 (past EOF).
      const ev = (data: number, index: number, res: number) => ({
        data,
        obj: { submitted: 1, index },
        res,
        res2: 0,
      });
      expect(as(r[1], 'reap')).toEqual({
        op: 'reap',
        events: [ev(1, 0, 4), ev(2, 1, 2)],
        ring: { head: 2, tail: 3 },
      });
      expect(as(r[2], 'reap')).toEqual({
        op: 'reap',
        events: [ev(3, 2, 0)],
        ring: { head: 3, tail: 3 },
      });
      // The kernel sees what userspace reaped: nothing is left for io_getevents.
      expect(as(r[3], 'getevents')).toMatchObject({ ret: 0, ring: { head: 3, tail: 3 } });
    });

    it('partial submission: the count of iocbs before the failing one; later ones are never read', async () => {
      const r = await withContext(
        w,
        [{ kind: 'file', mode: 'r', size: 10 }],
        [
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [
              { ...pread(1, 0), key: KEY },
              { opcode: IOCB_CMD.NOOP, fd: { file: 0 }, key: KEY },
              { ...pread(1, 0), key: KEY },
            ],
          },
          // nr beyond the list: the entry past it faults (the array ends at a guard page).
          { op: 'submit', ctx: CTX, nr: 2, iocbs: [pread(1, 0)] },
          { op: 'submit', ctx: CTX, nr: 1, iocbs: [{ null: true }] },
          { op: 'submit', ctx: CTX, iocbs: [{ unmapped: true }] },
          { op: 'submit', ctx: CTX, iocbs: [{ ...pread(1, 0), key: KEY }], array: 'unmapped' },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 1, keys: [0, 0, KEY] });
      expect(as(r[1], 'submit')).toMatchObject({ ret: 1, keys: [0] });
      expect(as(r[2], 'submit')).toMatchObject({ ret: -1, errno: EFAULT, keys: [null] });
      expect(as(r[3], 'submit')).toMatchObject({ ret: -1, errno: EFAULT, keys: [null] });
      expect(as(r[4], 'submit')).toMatchObject({ ret: -1, errno: EFAULT, keys: [KEY] });
      expect(as(r[4], 'submit').ring).toEqual({ head: 0, tail: 2 });
    });

    it('FSYNC on a pipe is EINVAL at submit; on a tmpfs file it completes later with res 0', async () => {
      const r = await withContext(
        w,
        [{ kind: 'pipe' }, { kind: 'file', mode: 'r', size: 1 }],
        [
          { op: 'submit', ctx: CTX, iocbs: [{ opcode: IOCB_CMD.FSYNC, fd: { file: 0 } }] },
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [{ opcode: IOCB_CMD.FDSYNC, fd: { file: 1 }, data: 9 }],
          },
          { op: 'getevents', ctx: CTX, minNr: 1, nr: 1, timeout: { sec: 5, nsec: 0 } },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[1], 'submit')).toMatchObject({ ret: 1 });
      expect(as(r[2], 'getevents').events).toEqual([
        { data: 9, obj: { submitted: 2, index: 0 }, res: 0, res2: 0 },
      ]);
    });

    it('POLL on a pipe with data completes inside io_submit with POLLIN; a non-blocking empty pipe read gives -EAGAIN', async () => {
      const poll: WireIocb = { opcode: IOCB_CMD.POLL, fd: { file: 0 }, buf: { value: POLL.IN } };
      const r = await withContext(
        w,
        [
          { kind: 'pipe', fill: 3 },
          { kind: 'pipe', nonblock: true },
        ],
        [
          { op: 'submit', ctx: CTX, iocbs: [poll] },
          { op: 'reap', ctx: CTX, max: 1 },
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [{ opcode: IOCB_CMD.PREAD, fd: { file: 1, end: 'read' }, buf: { bytes: 8 } }],
          },
          { op: 'reap', ctx: CTX, max: 1 },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 1, ring: { head: 0, tail: 1 } });
      // res = ready & (requested | ERR | HUP): the writer is open, so only POLLIN.
      expect(as(r[1], 'reap').events).toEqual([
        { data: 0, obj: { submitted: 1, index: 0 }, res: POLL.IN, res2: 0 },
      ]);
      expect(as(r[2], 'submit')).toMatchObject({ ret: 1, ring: { head: 1, tail: 2 } });
      expect(as(r[3], 'reap').events).toEqual([
        { data: 0, obj: { submitted: 3, index: 0 }, res: -EAGAIN, res2: 0 },
      ]);
    });

    it('a pending POLL: io_cancel is EINPROGRESS, result untouched; the event comes with res 0; a second cancel is EINVAL', async () => {
      const r = await withContext(
        w,
        [{ kind: 'pipe' }],
        [
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [{ opcode: IOCB_CMD.POLL, fd: { file: 0 }, buf: { value: POLL.IN }, data: 5 }],
          },
          { op: 'cancel', ctx: CTX, iocb: { submitted: 1, index: 0 } },
          { op: 'getevents', ctx: CTX, minNr: 1, nr: 2, timeout: { sec: 5, nsec: 0 } },
          { op: 'cancel', ctx: CTX, iocb: { submitted: 1, index: 0 }, result: 'null' },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 1, ring: { head: 0, tail: 0 } });
      expect(as(r[1], 'cancel')).toMatchObject({
        ret: -1,
        errno: EINPROGRESS,
        resultUntouched: true,
      });
      expect(as(r[2], 'getevents')).toMatchObject({
        ret: 1,
        events: [{ data: 5, obj: { submitted: 1, index: 0 }, res: 0, res2: 0 }],
      });
      const second = as(r[3], 'cancel');
      expect(second).toMatchObject({ ret: -1, errno: EINVAL });
      expect(second.resultUntouched).toBeUndefined();
    });

    it('a pending POLL completed by a later write reports POLLIN', async () => {
      const r = await withContext(
        w,
        [{ kind: 'pipe' }],
        [
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [{ opcode: IOCB_CMD.POLL, fd: { file: 0 }, buf: { value: POLL.IN } }],
          },
          { op: 'fdwrite', fd: { file: 0, end: 'write' }, bytes: 1 },
          { op: 'getevents', ctx: CTX, minNr: 1, nr: 1, timeout: { sec: 5, nsec: 0 } },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 1, ring: { head: 0, tail: 0 } });
      expect(as(r[1], 'fdwrite')).toMatchObject({ ret: 1 });
      const ev = as(r[2], 'getevents').events;
      expect(ev).toHaveLength(1);
      // Inline completion reports the waker's key, the workqueue the masked poll: POLLIN either way.
      expect(Number(ev[0]!.res) & POLL.IN).toBe(POLL.IN);
    });

    it('io_cancel of a completed read, of a fresh iocb and with aio_key != 0 is EINVAL; a NULL iocb is EFAULT', async () => {
      const r = await withContext(
        w,
        [{ kind: 'file', mode: 'r', size: 8 }],
        [
          { op: 'submit', ctx: CTX, iocbs: [pread(8, 0)] },
          { op: 'cancel', ctx: CTX, iocb: { submitted: 1, index: 0 } },
          { op: 'cancel', ctx: CTX, iocb: { fresh: pread(8, 0) } },
          { op: 'cancel', ctx: CTX, iocb: { fresh: { ...pread(8, 0), key: 1 } } },
          { op: 'cancel', ctx: { address: '0' }, iocb: { null: true } },
          { op: 'cancel', ctx: CTX, iocb: { unmapped: true } },
        ],
      );
      for (const i of [1, 2, 3])
        expect(as(r[i], 'cancel')).toMatchObject({ ret: -1, errno: EINVAL, resultUntouched: true });
      expect(as(r[4], 'cancel')).toMatchObject({ ret: -1, errno: EFAULT, ring: null });
      expect(as(r[5], 'cancel')).toMatchObject({ ret: -1, errno: EFAULT });
    });

    it('RESFD adds one to the eventfd per completion; a non-eventfd resfd is EINVAL', async () => {
      const resfd: WireIocb = {
        ...pread(2, 0),
        flags: IOCB_FLAG_RESFD,
        resfd: { file: 1 },
      };
      const r = await withContext(
        w,
        [
          { kind: 'file', mode: 'r', size: 8 },
          { kind: 'eventfd', count: 0 },
        ],
        [
          { op: 'submit', ctx: CTX, iocbs: [resfd, resfd, resfd] },
          { op: 'fdread', fd: { file: 1 }, bytes: 8 },
          { op: 'submit', ctx: CTX, iocbs: [{ ...resfd, resfd: { file: 0 }, key: KEY }] },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 3 });
      expect(as(r[1], 'fdread')).toMatchObject({ ret: 8, value: 3 });
      // P6 comes before P7: aio_key untouched.
      expect(as(r[2], 'submit')).toMatchObject({ ret: -1, errno: EINVAL, keys: [KEY] });
    });

    it('a directory has no read_iter: PREAD is EINVAL at submit', async () => {
      const r = await withContext(
        w,
        [{ kind: 'dir' }],
        [{ op: 'submit', ctx: CTX, iocbs: [{ ...pread(8, 0), key: KEY }] }],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: -1, errno: EINVAL, keys: [0] });
    });

    it('inferences of the notes, as this kernel answers them: POLL without ->poll, a negative offset on a pipe, a short eventfd read', async () => {
      const poll = (file: number, mask: number): WireIocb => ({
        opcode: IOCB_CMD.POLL,
        fd: { file },
        buf: { value: mask },
      });
      const r = await withContext(
        w,
        [
          { kind: 'file', mode: 'r', size: 1 },
          { kind: 'dir' },
          { kind: 'pipe', fill: 4 },
          { kind: 'eventfd', count: 3 },
        ],
        [
          // shmem and directories have no ->poll: the default mask (IN|OUT|RDNORM|WRNORM) meets POLLIN at once...
          { op: 'submit', ctx: CTX, iocbs: [poll(0, POLL.IN), poll(1, POLL.IN)] },
          // ...but not POLLPRI: EINVAL ("same as no support").
          { op: 'submit', ctx: CTX, iocbs: [poll(0, POLL.PRI)] },
          // R6: AIO always passes a position, so a negative one is EINVAL even on a pipe.
          { op: 'submit', ctx: CTX, iocbs: [{ ...pread(4, -1), fd: { file: 2 } }] },
          // An eventfd read into fewer than 8 bytes: the event says -EINVAL.
          { op: 'submit', ctx: CTX, iocbs: [{ ...pread(4, 0), fd: { file: 3 } }] },
          { op: 'reap', ctx: CTX, max: 4 },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 2 });
      expect(as(r[1], 'submit')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[2], 'submit')).toMatchObject({ ret: -1, errno: EINVAL });
      expect(as(r[3], 'submit')).toMatchObject({ ret: 1 });
      expect(as(r[4], 'reap').events.map((e) => e.res)).toEqual([POLL.IN, POLL.IN, -EINVAL]);
    });

    it('vectored reads: an iovec array, its count as aio_nbytes', async () => {
      const r = await withContext(
        w,
        [{ kind: 'file', mode: 'r', size: 10 }],
        [
          {
            op: 'submit',
            ctx: CTX,
            iocbs: [
              {
                opcode: IOCB_CMD.PREADV,
                fd: { file: 0 },
                buf: { iov: [{ bytes: 3 }, { bytes: 4 }, { bytes: 100 }] },
              },
            ],
          },
          { op: 'reap', ctx: CTX, max: 1 },
        ],
      );
      expect(as(r[0], 'submit')).toMatchObject({ ret: 1 });
      expect(as(r[1], 'reap').events[0]).toMatchObject({ res: 10 });
    });
  },
);
