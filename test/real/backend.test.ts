/**
 * The real backend on this kernel: every ctx kind, every errno reachable here,
 * ring readback, slot ids, io_destroy's EINVAL cases, sandboxes (seccomp,
 * RLIMIT_AS, a filled aio-nr), and isolation (a crashing or hanging worker).
 * Expected values come from the kernel's documented behaviour
 * (../shared/notes/kernel-semantics.md, fs/aio.c), not from the model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CtxKind } from '../../real/ctx-pointers.js';
import type { DestroyResult, SetupResult, StepResult } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import {
  aioRings,
  isGone,
  parentOf,
  processesHoldingAio,
  processRef,
  waitFor,
} from '../support/processes.js';
import { chargeOf, NoRoomError, quietCase } from '../support/quiet-aio-nr.js';
import { aioMaxNr, possibleCpus, REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';
import { step, steps } from '../support/worker.js';

const EPERM = 1;
const EAGAIN = 11;
const ENOMEM = 12;
const EFAULT = 14;
const EINVAL = 22;
const ENOSYS = 38;
const MAGIC = 0xa10a10a1;

/**
 * nr_events across the ring's edges: 4C (C possible CPUs, read here as the
 * kernel prints them), page edges, and the default aio-max-nr.
 */
const C = REAL === null ? possibleCpus() : 1;
const SPREAD = [
  ...new Set([
    1,
    4 * C - 1,
    4 * C,
    4 * C + 1,
    62,
    63,
    64,
    126,
    127,
    128,
    1000,
    4095,
    4096,
    65535,
    65536,
  ]),
];

describe.skipIf(REAL !== null)(
  `real backend on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();
    let w: WorkerProcess;
    let maxBefore: bigint;

    beforeAll(async () => {
      maxBefore = aioMaxNr();
      w = started.worker(await WorkerProcess.start());
    });

    afterAll(async () => {
      await w?.close();
    });

    const setup = (nr: number, ctx: CtxKind) => step(w, { op: 'setup', nr, ctx });
    const release = () => step(w, { op: 'release' });
    /**
     * io_setup(nr, ctx) and what it charged to aio-nr, measured so that other
     * processes using AIO meanwhile cannot fake it (quiet-aio-nr.ts). `room`:
     * the call is meant to succeed; tries made while others held too much of
     * aio-max-nr are not counted.
     */
    const measured = (nr: number, ctx: CtxKind, room = false, asHeadroom?: number) =>
      chargeOf<SetupResult>(
        `io_setup(${nr}, ${ctx}${asHeadroom === undefined ? '' : `, RLIMIT_AS headroom ${asHeadroom}`})`,
        w,
        asHeadroom === undefined ? { op: 'setup', nr, ctx } : { op: 'setup', nr, ctx, asHeadroom },
        { room },
      );

    it('detects the host: page size, possible CPUs, aio sysctls, no seccomp', () => {
      expect([4096, 16384, 65536]).toContain(w.host.pageSize);
      expect(w.host.possibleCpus).toBe(C);
      expect(BigInt(w.host.aioMaxNr!)).toBe(maxBefore);
      expect(w.host.seccompMode).toBe(0);
      expect(w.host.gvisor).toBe(false);
    });

    it('io_setup(1, &ctx) with ctx = 0 succeeds: handle written, ring readable, aio-nr + 1', async () => {
      const { result: r, charge } = await measured(1, 'zero', true);
      expect(r.ret).toBe(0);
      expect(r.handle).toBe(r.ctxAfter);
      expect(BigInt(r.handle!) % BigInt(w.host.pageSize)).toBe(0n);
      expect(charge).toBe(1n);
      expect(r.ring).toMatchObject({
        id: 0,
        head: 0,
        tail: 0,
        magic: MAGIC,
        compatFeatures: 1,
        incompatFeatures: 0,
        headerLength: 32,
      });
      // 2*max(1, 4C) + 2 events of 32 bytes after the 32-byte header, rounded up to pages.
      const ne = 2 * Math.max(1, 4 * w.host.possibleCpus);
      const pages = Math.ceil((32 * (ne + 3)) / w.host.pageSize);
      expect(r.mapBytes).toBe(pages * w.host.pageSize);
      expect(r.ring!.nr).toBe((pages * w.host.pageSize) / 32 - 1);
      await release();
    });

    it.each([
      ['nonzero', 1, EINVAL, '0x101010101010101'],
      ['null', 1, EFAULT, null],
      ['unmapped', 1, EFAULT, null],
      ['kernel', 1, EFAULT, null],
      ['straddle', 1, EFAULT, null],
      ['readonly-nonzero', 1, EINVAL, '0x101010101010101'],
      ['kernel', 0, EFAULT, null], // libaio 2.t: the read comes first, even with nr_events 0
      ['zero', 0, EINVAL, '0x0'],
      ['zero', 0xffffffff, EINVAL, '0x0'], // LTP: nr_events -1 hits the internal limit
      ['zero', 4_194_305, EINVAL, '0x0'], // first nr_events past 0x800000/2
      ['zero', 0x80000000, EAGAIN, '0x0'], // ne wraps to 0
    ] as const)(
      'io_setup(ctx %s, nr %d) fails with errno %d and leaves ctx as %s',
      async (ctx, nr, errno, after) => {
        const { result: r, charge } = await measured(nr, ctx);
        expect({ ret: r.ret, errno: r.errno, ctxAfter: r.ctxAfter }).toEqual({
          ret: -1,
          errno,
          ctxAfter: after,
        });
        expect(charge).toBe(0n);
      },
    );

    it('EAGAIN for one request over aio-max-nr (LTP io_setup01), only while that is under the internal limit', async () => {
      const max = Number(maxBefore);
      const r = await setup(max + 1, 'zero');
      expect(r.errno).toBe(max + 1 <= 4_194_304 ? EAGAIN : EINVAL);
    });

    it('EFAULT on the final write: a read-only page holding 0 gets a full context, torn down, aio-nr given back', async () => {
      // The context is created (and charged) before the write fails: it needs room like a success.
      const { result: r, charge } = await measured(64, 'readonly', true);
      expect({ ret: r.ret, errno: r.errno, ctxAfter: r.ctxAfter }).toEqual({
        ret: -1,
        errno: EFAULT,
        ctxAfter: '0x0',
      });
      expect(charge).toBe(0n);
      expect(aioRings(w.pid)).toEqual([]);
      // The torn-down context took slot 0 for a moment; the next one gets slot 0 again.
      const { result: ok } = await measured(1, 'zero', true);
      expect(ok.ring!.id).toBe(0);
      await release();
    });

    it('cumulative EAGAIN: aio-nr filled with real contexts; equality allowed, one more refused', async () => {
      // One case, so that the calls follow the fill at once; kept only when aio-nr moved by
      // nothing but these steps, and the same answer came twice.
      const [fill, ...calls] = await quietCase('fill to 5 free, then io_setup 6, 5, 1', w, [
        { op: 'fill', headroom: 5 },
        { op: 'setup', nr: 6, ctx: 'zero' },
        { op: 'setup', nr: 5, ctx: 'zero' },
        { op: 'setup', nr: 1, ctx: 'zero' },
      ]);
      expect(fill!.op === 'fill' && fill!.reached).toBe(true);
      expect(calls.map((r) => (r as SetupResult).errno)).toEqual([EAGAIN, 0, EAGAIN]);
      await release();
      // Everything it made is given back: the worker maps no ring any more.
      expect(aioRings(w.pid)).toEqual([]);
    });

    it('ENOMEM when RLIMIT_AS leaves less room than the ring', async () => {
      const page = w.host.pageSize;
      const { result: short, charge } = await measured(1, 'zero', false, page - 1);
      expect(short.errno).toBe(ENOMEM);
      expect(charge).toBe(0n);
      const { result: enough } = await measured(1, 'zero', true, page);
      expect(enough.ret).toBe(0);
      await release();
    });

    // One test per nr_events, so that a size others leave no room for is told apart (skipped,
    // naming who holds the room) from the sizes measured.
    it.for(SPREAD)('ring->nr and the mapping size of io_setup(%i)', async (nr, ctx) => {
      if (nr > Number(maxBefore)) ctx.skip(`${nr} is over aio-max-nr ${maxBefore}`);
      const S = w.host.pageSize;
      const C = w.host.possibleCpus;
      const r = await measured(nr, 'zero', true).then(
        (m) => m.result,
        (e) => (e instanceof NoRoomError ? ctx.skip(e.message) : Promise.reject(e)),
      );
      const ne = 2 * Math.max(nr, 4 * C);
      const pages = Math.ceil((32 * (ne + 3)) / S);
      expect({ nr, mapBytes: r.mapBytes, ringNr: r.ring?.nr }).toEqual({
        nr,
        mapBytes: pages * S,
        ringNr: (pages * S) / 32 - 1,
      });
      await release();
    });

    it('slot ids are the lowest free slot, reused after io_destroy', async () => {
      const one = { op: 'setup', nr: 1, ctx: 'zero' } as const;
      // One case (destroys name the contexts by the step that made them), kept when aio-nr moved
      // by nothing but its steps and the same answer came twice: a destroy's aio-nr drop is
      // then its own.
      const rs = await quietCase(
        'five io_setup(1), io_destroy of the 2nd and 4th, three io_setup(1)',
        w,
        [
          one,
          one,
          one,
          one,
          one,
          { op: 'destroy', target: { step: 1 } },
          { op: 'destroy', target: { step: 3 } },
          one,
          one,
          one,
        ],
        { room: true },
      );
      const ids = (list: StepResult[]) => list.map((r) => (r as SetupResult).ring?.id);
      expect(ids(rs.slice(0, 5))).toEqual([0, 1, 2, 3, 4]);
      const d = rs[5] as DestroyResult;
      expect(d.ringGone).toBe(true);
      expect(BigInt(d.aioNrAfter!) - BigInt(d.aioNrBefore!)).toBe(-1n);
      expect((rs[6] as DestroyResult).ringGone).toBe(true);
      expect(ids(rs.slice(7))).toEqual([1, 3, 5]);
      await release();
      const completions = await w.drain();
      expect(completions.every((c) => c.ret === 0)).toBe(true);
    });

    it("io_destroy's EINVAL cases: 0, all-ones (LTP io_destroy01), stale, clobbered, a bogus page, unmapped", async () => {
      // Three contexts in slots 0, 1, 2 (the worker holds none before: lowest free slot first).
      // One case, kept when aio-nr moved by nothing but its steps and the same answer came
      // twice: a destroy counted done because aio-nr dropped must have dropped by its own charge.
      const live = 0;
      const other = 1;
      const stale = 2;
      const all = await quietCase(
        'io_destroy of 0, all-ones, stale, clobbered, bogus and unmapped handles',
        w,
        [
          { op: 'setup', nr: 1, ctx: 'zero' },
          { op: 'setup', nr: 1, ctx: 'zero' },
          { op: 'setup', nr: 1, ctx: 'zero' },
          { op: 'destroy', target: { address: '0' } },
          { op: 'destroy', target: { address: '0xffffffffffffffff' } },
          { op: 'destroy', target: { step: stale } }, // succeeds
          { op: 'destroy', target: { step: stale } }, // now stale
          { op: 'clobber', step: live, id: other },
          { op: 'destroy', target: { step: live } }, // names another context's slot
          { op: 'destroy', target: { scratch: { u32: 0, offset: 0 } } },
          { op: 'destroy', target: { unmapped: true } },
          { op: 'clobber', step: live, id: live },
          { op: 'destroy', target: { step: live } }, // repaired: succeeds
        ],
        { room: true },
      );
      expect(all.slice(0, 3).map((r) => (r as SetupResult).ring?.id)).toEqual([live, other, stale]);
      const results = all.slice(3);
      const outcome = results.map((r) =>
        r.op === 'destroy'
          ? r.ret === null
            ? r.ringGone
              ? 'gone'
              : 'pending'
            : r.errno
          : r.op === 'clobber'
            ? `clobber ${r.written}`
            : r.op,
      );
      expect(outcome).toEqual([
        EINVAL,
        EINVAL,
        'gone',
        EINVAL,
        'clobber true',
        EINVAL,
        EINVAL,
        EINVAL,
        'clobber true',
        'gone',
      ]);
      await release();
      const completions = await w.drain();
      expect(completions.filter((c) => c.ret !== 0)).toEqual([]);
    });

    it.each([
      ['ENOSYS', ENOSYS],
      ['EPERM', EPERM],
    ])(
      'a seccomp filter answers io_setup with %s, before the pointer is even read',
      async (_name, errno) => {
        // A sandbox is a child of the worker, in its kernel, under a filter of its own.
        const sandboxed = started.worker(await w.spawnChild({ seccompErrno: errno }));
        try {
          expect(parentOf(sandboxed.pid)).toBe(w.pid);
          expect(sandboxed.host.seccompMode).toBe(2);
          expect(w.host.seccompMode).toBe(0);
          const rs = await steps(sandboxed, [
            { op: 'setup', nr: 1, ctx: 'zero' },
            { op: 'setup', nr: 1, ctx: 'null' },
            { op: 'setup', nr: 0, ctx: 'nonzero' },
          ]);
          expect(rs.map((r) => (r as SetupResult).errno)).toEqual([errno, errno, errno]);
        } finally {
          await sandboxed.close();
        }
      },
    );

    it('a worker that crashes mid-batch becomes that case’s result, and the run goes on', async () => {
      const victim = started.worker(await WorkerProcess.start());
      const [made] = (await quietCase(
        'io_setup(100) in the victim',
        victim,
        [{ op: 'setup', nr: 100, ctx: 'zero' }],
        { room: true, confirm: false },
      )) as SetupResult[];
      expect(made!.ret).toBe(0);
      // It maps that one ring.
      const rings = aioRings(victim.pid);
      expect(rings.map((x) => x.bytes)).toEqual([made!.mapBytes]);
      const self = processRef(victim.pid)!;
      const r = await victim.run(
        [{ id: 2, steps: [{ op: 'setup', nr: 1, ctx: 'zero' }, { op: 'debug-crash' }] }],
        10_000,
      );
      expect(r.cases[0]).toMatchObject({ id: 2, status: 'crashed', signal: 'SIGSEGV' });
      expect(victim.alive).toBe(false);
      // The kernel released the dead worker's contexts with it: no process maps its rings.
      await waitFor(() => isGone(self), 'the crashed worker is gone');
      expect(
        processesHoldingAio().filter((h) => h.rings.some((x) => x.file === rings[0]!.file)),
      ).toEqual([]);
      // The other worker is unaffected.
      expect((await measured(1, 'zero', true)).result.ret).toBe(0);
      await release();
    });

    it('a worker that hangs is killed at the timeout; the case says so', async () => {
      const victim = started.worker(await WorkerProcess.start());
      const r = await victim.run([{ id: 7, steps: [{ op: 'debug-hang' }] }], 300);
      expect(r.cases[0]).toMatchObject({ id: 7, status: 'timeout' });
      expect(victim.alive).toBe(false);
    });

    it('gives back every context it made, and leaves aio-max-nr unchanged', async () => {
      await release();
      expect(aioRings(w.pid)).toEqual([]);
      expect(aioMaxNr()).toBe(maxBefore);
    });
  },
);
