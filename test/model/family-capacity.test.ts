/**
 * Capacity: the §6.3 example table of aio-family.md (computed there from the
 * formulas, independently of this code), and the same numbers reached by
 * submitting one iocb at a time through the slot accounting.
 */
import { describe, expect, it } from 'vitest';
import {
  commitIoGetevents,
  commitReap,
  decideIoGetevents,
  decideReap,
  familyCapacity,
  IOCB_CMD,
  type IocbSpec,
} from '../../model/index.js';
import { rig, submit } from './family-helpers.js';

// C, nr, N, B, K, L ("exact K" rows: L = K)
const TABLE: readonly [number, number, number, number, number, number][] = [
  [1, 1, 127, 31, 124, 124],
  [1, 128, 383, 95, 380, 380],
  [4, 1, 127, 7, 126, 81],
  [4, 128, 383, 23, 368, 225],
  [16, 1, 255, 3, 252, 177],
  [64, 128, 639, 2, 638, 448],
];

describe('familyCapacity (§6.2, §6.3 example table, 4 KiB pages)', () => {
  for (const [c, nr, n, b, k, l] of TABLE)
    it(`C=${c} nr=${nr}: N=${n} B=${b} K=${k} L=${l}`, () => {
      expect(familyCapacity(nr, c, 4096)).toEqual({
        ringNr: n,
        batch: b,
        pinned: k,
        lowerBound: l,
      });
    });
  it("L always exceeds max(nr, 4C) (the kernel comment's promise)", () => {
    for (const [c, nr] of TABLE)
      expect(familyCapacity(nr, c, 4096).lowerBound).toBeGreaterThan(Math.max(nr, 4 * c));
  });
});

const READ: IocbSpec = { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 1 } };

function submitsUntilEagain(r: ReturnType<typeof rig>): number {
  let n = 0;
  for (;;) {
    const o = submit(r, [READ]);
    if (o.errno === 'EAGAIN') return n;
    expect(o.ret).toBe(1);
    n++;
    if (n > 10_000) throw new Error('no EAGAIN');
  }
}

describe('the slot accounting reaches K from a pinned CPU, nothing reaped', () => {
  for (const [c, nr, , , k] of TABLE.slice(0, 4))
    it(`C=${c} nr=${nr}: ${k} successful submissions, then EAGAIN`, () => {
      const r = rig([{ kind: 'file', mode: 'rw', size: 4 }], { cpus: c, nr });
      expect(submitsUntilEagain(r)).toBe(k);
    });

  it('a batch past the boundary returns the partial count K first', () => {
    const r = rig([{ kind: 'file', mode: 'rw', size: 4 }], { cpus: 4, nr: 1 });
    const o = submit(r, new Array(130).fill(READ));
    expect(o.ret).toBe(126);
    expect(o.entries.at(-1)!.rule).toBe('iocb.P4.no-slot');
  });

  it('on a full context a bad fd gets EAGAIN, not EBADF (P4 before P5)', () => {
    const r = rig([{ kind: 'file', mode: 'rw', size: 4 }], { cpus: 1, nr: 1 });
    submitsUntilEagain(r);
    expect(submit(r, [{ ...READ, fd: { fd: 999 } }]).errno).toBe('EAGAIN');
  });

  it('reaping alone frees nothing until a refill: after reaping all, the next submit refills and succeeds', () => {
    const r = rig([{ kind: 'file', mode: 'rw', size: 4 }], { cpus: 1, nr: 1 });
    const k = submitsUntilEagain(r);
    expect(k).toBe(124);
    // 124 events in the ring; user-space reaping moves head only.
    const reap = decideReap(r.env, r.proc, r.fam, { ctx: r.ctx.handle, max: 1000 });
    expect(reap.events.length).toBe(124);
    expect(reap.ring).toEqual({ head: 124, tail: 124 });
    commitReap(r.fam, reap);
    // user_refill_reqs_available() reads the user head: all 124 come back.
    expect(submit(r, [READ]).ret).toBe(1);
  });
});

describe('measured on the host (6.18, C = 2, pinned to CPU 0) while writing the model', () => {
  it('nr = 1: ring->nr 127; after one read reaped by io_getevents, 120 more submissions, then EAGAIN', () => {
    expect(familyCapacity(1, 2, 4096)).toMatchObject({ ringNr: 127, pinned: 120 });
    const r = rig([{ kind: 'file', mode: 'rw', size: 8 }], { cpus: 2, nr: 1 });
    expect(submit(r, [READ]).ret).toBe(1);
    const g = decideIoGetevents(r.env, r.proc, r.fam, { ctx: r.ctx.handle, minNr: 1, nr: 1 });
    commitIoGetevents(r.fam, g);
    expect(submitsUntilEagain(r)).toBe(120);
    expect(r.ctx.header).toMatchObject({ head: 1, tail: 121 });
    // io_getevents with NULL events and events in the ring: EFAULT (measured)
    const f = decideIoGetevents(r.env, r.proc, r.fam, {
      ctx: r.ctx.handle,
      minNr: 0,
      nr: 1,
      events: 'null',
    });
    expect(f.errno).toBe('EFAULT');
  });
});
