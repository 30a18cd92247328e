/**
 * The real backend on this kernel: every ctx kind, every errno reachable here,
 * ring readback, slot ids, io_destroy's EINVAL cases, sandboxes (seccomp,
 * RLIMIT_AS, a filled aio-nr), and isolation (a crashing or hanging worker).
 * Expected values come from the kernel's documented behaviour
 * (../shared/notes/kernel-semantics.md, fs/aio.c), not from the model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CtxKind } from '../../real/ctx-pointers.js';
import type { SetupResult } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { aioMaxNr, aioNr, REAL } from '../support/real.js';
import { step, steps } from '../support/worker.js';

const EPERM = 1;
const EAGAIN = 11;
const ENOMEM = 12;
const EFAULT = 14;
const EINVAL = 22;
const ENOSYS = 38;
const MAGIC = 0xa10a10a1;

describe.skipIf(REAL !== null)(
  `real backend on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    let w: WorkerProcess;
    let baseline: bigint;
    let maxBefore: bigint;

    beforeAll(async () => {
      baseline = aioNr();
      maxBefore = aioMaxNr();
      w = await WorkerProcess.start();
    });

    afterAll(async () => {
      await w?.close();
    });

    const setup = (nr: number, ctx: CtxKind) => step(w, { op: 'setup', nr, ctx });
    const release = () => step(w, { op: 'release' });

    it('detects the host: page size, possible CPUs, aio sysctls, no seccomp', () => {
      expect([4096, 16384, 65536]).toContain(w.host.pageSize);
      expect(w.host.possibleCpus).toBeGreaterThan(0);
      expect(BigInt(w.host.aioMaxNr!)).toBe(maxBefore);
      expect(w.host.seccompMode).toBe(0);
      expect(w.host.gvisor).toBe(false);
    });

    it('io_setup(1, &ctx) with ctx = 0 succeeds: handle written, ring readable, aio-nr + 1', async () => {
      const r = await setup(1, 'zero');
      expect(r.ret).toBe(0);
      expect(r.handle).toBe(r.ctxAfter);
      expect(BigInt(r.handle!) % BigInt(w.host.pageSize)).toBe(0n);
      expect(BigInt(r.aioNrAfter!) - BigInt(r.aioNrBefore!)).toBe(1n);
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
        const r = await setup(nr, ctx);
        expect({ ret: r.ret, errno: r.errno, ctxAfter: r.ctxAfter }).toEqual({
          ret: -1,
          errno,
          ctxAfter: after,
        });
        expect(r.aioNrAfter).toBe(r.aioNrBefore);
      },
    );

    it('EAGAIN for one request over aio-max-nr (LTP io_setup01), only while that is under the internal limit', async () => {
      const max = Number(maxBefore);
      const r = await setup(max + 1, 'zero');
      expect(r.errno).toBe(max + 1 <= 4_194_304 ? EAGAIN : EINVAL);
    });

    it('EFAULT on the final write: a read-only page holding 0 gets a full context, torn down, aio-nr given back', async () => {
      const r = await setup(64, 'readonly');
      expect({ ret: r.ret, errno: r.errno, ctxAfter: r.ctxAfter }).toEqual({
        ret: -1,
        errno: EFAULT,
        ctxAfter: '0x0',
      });
      expect(r.aioNrAfter).toBe(r.aioNrBefore);
      // The torn-down context took slot 0 for a moment; the next one gets slot 0 again.
      const ok = await setup(1, 'zero');
      expect(ok.ring!.id).toBe(0);
      await release();
    });

    it('cumulative EAGAIN: aio-nr filled with real contexts; equality allowed, one more refused', async () => {
      const [fill] = await steps(w, [{ op: 'fill', headroom: 5 }]);
      expect(fill!.op === 'fill' && fill!.reached).toBe(true);
      expect((await setup(6, 'zero')).errno).toBe(EAGAIN);
      expect((await setup(5, 'zero')).ret).toBe(0);
      expect((await setup(1, 'zero')).errno).toBe(EAGAIN);
      const rel = await release();
      expect(BigInt(rel.aioNrAfter!)).toBe(baseline);
    });

    it('ENOMEM when RLIMIT_AS leaves less room than the ring', async () => {
      const page = w.host.pageSize;
      const short = await step(w, { op: 'setup', nr: 1, ctx: 'zero', asHeadroom: page - 1 });
      expect(short.errno).toBe(ENOMEM);
      expect(short.aioNrAfter).toBe(short.aioNrBefore);
      const enough = await step(w, { op: 'setup', nr: 1, ctx: 'zero', asHeadroom: page });
      expect(enough.ret).toBe(0);
      await release();
    });

    it('ring->nr and the mapping size over a spread of nr_events', async () => {
      const S = w.host.pageSize;
      const C = w.host.possibleCpus;
      for (const nr of [
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
      ]) {
        if (nr > Number(maxBefore)) continue;
        const r = await setup(nr, 'zero');
        const ne = 2 * Math.max(nr, 4 * C);
        const pages = Math.ceil((32 * (ne + 3)) / S);
        expect({ nr, mapBytes: r.mapBytes, ringNr: r.ring?.nr }).toEqual({
          nr,
          mapBytes: pages * S,
          ringNr: (pages * S) / 32 - 1,
        });
        await release();
      }
    });

    it('slot ids are the lowest free slot, reused after io_destroy', async () => {
      const made = await steps(
        w,
        Array.from({ length: 5 }, () => ({ op: 'setup' as const, nr: 1, ctx: 'zero' as const })),
      );
      const refs = made.map((r) => (r as SetupResult).ref!);
      expect(made.map((r) => (r as SetupResult).ring!.id)).toEqual([0, 1, 2, 3, 4]);
      const d = await step(w, { op: 'destroy', target: { ref: refs[1]! } });
      expect(d.ringGone).toBe(true);
      expect(BigInt(d.aioNrAfter!) - BigInt(d.aioNrBefore!)).toBe(-1n);
      await step(w, { op: 'destroy', target: { ref: refs[3]! } });
      const again = await steps(w, [
        { op: 'setup', nr: 1, ctx: 'zero' },
        { op: 'setup', nr: 1, ctx: 'zero' },
        { op: 'setup', nr: 1, ctx: 'zero' },
      ]);
      expect(again.map((r) => (r as SetupResult).ring!.id)).toEqual([1, 3, 5]);
      await release();
      const completions = await w.drain();
      expect(completions.every((c) => c.ret === 0)).toBe(true);
    });

    it("io_destroy's EINVAL cases: 0, all-ones (LTP io_destroy01), stale, clobbered, a bogus page, unmapped", async () => {
      const live = await setup(1, 'zero');
      const other = await setup(1, 'zero');
      const stale = await setup(1, 'zero');
      const results = await steps(w, [
        { op: 'destroy', target: { address: '0' } },
        { op: 'destroy', target: { address: '0xffffffffffffffff' } },
        { op: 'destroy', target: { ref: stale.ref! } }, // succeeds
        { op: 'destroy', target: { ref: stale.ref! } }, // now stale
        { op: 'clobber', ref: live.ref!, id: other.ring!.id },
        { op: 'destroy', target: { ref: live.ref! } }, // names another context's slot
        { op: 'destroy', target: { scratch: { u32: 0, offset: 0 } } },
        { op: 'destroy', target: { unmapped: true } },
        { op: 'clobber', ref: live.ref!, id: live.ring!.id },
        { op: 'destroy', target: { ref: live.ref! } }, // repaired: succeeds
      ]);
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
        const sandboxed = await WorkerProcess.start({ seccompErrno: errno });
        try {
          expect(sandboxed.host.seccompMode).toBe(2);
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
      const victim = await WorkerProcess.start();
      const made = await victim.run(
        [{ id: 1, steps: [{ op: 'setup', nr: 100, ctx: 'zero' }] }],
        10_000,
      );
      expect(made.cases[0]!.status).toBe('ok');
      expect(aioNr()).toBeGreaterThanOrEqual(baseline + 100n);
      const r = await victim.run(
        [{ id: 2, steps: [{ op: 'setup', nr: 1, ctx: 'zero' }, { op: 'debug-crash' }] }],
        10_000,
      );
      expect(r.cases[0]).toMatchObject({ id: 2, status: 'crashed', signal: 'SIGSEGV' });
      expect(victim.alive).toBe(false);
      // The kernel released the dead worker's contexts with it.
      await waitFor(() => aioNr() === baseline);
      // The other worker is unaffected.
      expect((await setup(1, 'zero')).ret).toBe(0);
      await release();
    });

    it('a worker that hangs is killed at the timeout; the case says so', async () => {
      const victim = await WorkerProcess.start();
      const r = await victim.run([{ id: 7, steps: [{ op: 'debug-hang' }] }], 300);
      expect(r.cases[0]).toMatchObject({ id: 7, status: 'timeout' });
      expect(victim.alive).toBe(false);
    });

    it('leaves aio-nr at its baseline and aio-max-nr unchanged', async () => {
      await release();
      await waitFor(() => aioNr() === baseline);
      expect(aioMaxNr()).toBe(maxBefore);
    });
  },
);

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
