/**
 * Properties of the family model over random step sequences: decide* never
 * throw and never change the state they are given; after every commit the
 * Linux ring and slot pool stay consistent (at most N − 1 events, tail − head
 * = events in the ring, and every slot of the pool is in exactly one place:
 * pool, a CPU cache, an uncompleted request, or a completion not yet given back).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commitFd,
  commitIoCancel,
  commitIoGetevents,
  commitIoSubmit,
  commitReap,
  decideFdRead,
  decideFdWrite,
  decideIoCancel,
  decideIoGetevents,
  decideIoPgetevents,
  decideIoSubmit,
  decideReap,
  type FamilyState,
  type FileSpec,
  type IocbEntry,
} from '../../model/index.js';
import { rig } from './family-helpers.js';

const FILES: readonly FileSpec[] = [
  { kind: 'file', mode: 'rw', size: 64 },
  { kind: 'pipe', nonblock: true, fill: 3 },
  { kind: 'eventfd', count: 1, nonblock: true },
  { kind: 'dir' },
];

const fdArb = fc.constantFrom(
  { file: 0 },
  { file: 1, end: 'read' as const },
  { file: 1, end: 'write' as const },
  { file: 2 },
  { file: 3 },
  { fd: 999 },
);

const iocbArb: fc.Arbitrary<IocbEntry> = fc.oneof(
  fc.record({
    opcode: fc.constantFrom(0, 1, 2, 3, 5, 6, 7, 8, 4, 9),
    fd: fdArb,
    data: fc.bigInt({ min: 0n, max: 100n }),
    key: fc.constantFrom(0, 0xdead),
    buf: fc.constantFrom(
      { bytes: 8 },
      { value: 1n },
      { value: 0n },
      { unmapped: true as const },
      { iov: [{ bytes: 4 }] },
    ),
    offset: fc.constantFrom(0n, 8n, -1n),
    rwFlags: fc.constantFrom(0, 0, 0x8, 0x20, 0x100),
  }),
  fc.constant({ null: true as const }),
);

type Step =
  | { op: 'submit'; iocbs: IocbEntry[] }
  | { op: 'get'; min: number; nr: number; timeout: 0 | 1 }
  | { op: 'pget'; usr1: boolean }
  | { op: 'cancel'; submitted: number; index: number }
  | { op: 'reap'; max: number }
  | { op: 'fdwrite'; file: number; bytes: number }
  | { op: 'fdread'; file: number; bytes: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('submit' as const),
      iocbs: fc.array(iocbArb, { maxLength: 4 }),
    }),
  },
  fc.record({
    op: fc.constant('get' as const),
    min: fc.nat(3),
    nr: fc.nat(4),
    timeout: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ op: fc.constant('pget' as const), usr1: fc.boolean() }),
  fc.record({ op: fc.constant('cancel' as const), submitted: fc.nat(6), index: fc.nat(3) }),
  fc.record({ op: fc.constant('reap' as const), max: fc.nat(3) }),
  fc.record({
    op: fc.constant('fdwrite' as const),
    file: fc.constantFrom(1, 2),
    bytes: fc.constantFrom(1, 8),
  }),
  fc.record({
    op: fc.constant('fdread' as const),
    file: fc.constantFrom(1, 2),
    bytes: fc.constantFrom(1, 8),
  }),
);

function snapshot(fam: FamilyState): string {
  return JSON.stringify(
    { files: fam.files, contexts: [...fam.contexts], keys: [...fam.keys] },
    (_k, v) => (typeof v === 'bigint' ? `${v}n` : v),
  );
}

describe('family model properties', () => {
  it('decide* are pure and never throw; the ring and the slot pool stay consistent', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('linux' as const, 'gvisor' as const),
        fc.constantFrom('6.1' as const, '6.12' as const, '6.18' as const),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(1, 4),
        fc.array(stepArb, { maxLength: 14 }),
        (profile, kernel, cpus, nr, steps) => {
          const r = rig(FILES, { profile, kernel, cpus, nr });
          const ctx = r.ctx.handle;
          steps.forEach((s, i) => {
            const before = snapshot(r.fam);
            switch (s.op) {
              case 'submit': {
                const o = decideIoSubmit(r.env, r.proc, r.fam, {
                  ctx,
                  ctxReadable: true,
                  nr: BigInt(s.iocbs.length),
                  array: 'readable',
                  iocbs: s.iocbs,
                  submitStep: i,
                });
                expect(snapshot(r.fam)).toBe(before);
                if (o.ret > 0)
                  expect(o.entries.slice(0, o.ret).every((e) => e.errno === null)).toBe(true);
                commitIoSubmit(r.fam, o);
                break;
              }
              case 'get': {
                const o = decideIoGetevents(r.env, r.proc, r.fam, {
                  ctx,
                  minNr: s.min,
                  nr: s.nr,
                  timeout: { sec: BigInt(s.timeout), nsec: 0n },
                });
                expect(snapshot(r.fam)).toBe(before);
                if (o.errno === null && o.wouldBlock === null) expect(o.ret).toBe(o.events.length);
                commitIoGetevents(r.fam, o);
                break;
              }
              case 'pget': {
                const o = decideIoPgetevents(r.env, r.proc, r.fam, {
                  ctx,
                  minNr: 0,
                  nr: 2,
                  pendingUsr1: s.usr1,
                  sig: { mask: 'empty', size: 8n },
                });
                expect(snapshot(r.fam)).toBe(before);
                commitIoGetevents(r.fam, o);
                break;
              }
              case 'cancel': {
                const o = decideIoCancel(r.env, r.proc, r.fam, {
                  ctx,
                  iocb: { submitted: s.submitted, index: s.index },
                });
                expect(snapshot(r.fam)).toBe(before);
                commitIoCancel(r.fam, o);
                break;
              }
              case 'reap': {
                const o = decideReap(r.env, r.proc, r.fam, { ctx, max: s.max });
                expect(snapshot(r.fam)).toBe(before);
                commitReap(r.fam, o);
                break;
              }
              default: {
                const decideFd = s.op === 'fdwrite' ? decideFdWrite : decideFdRead;
                const end = s.op === 'fdwrite' ? ('write' as const) : ('read' as const);
                const o = decideFd(r.env, r.fam, {
                  fd: s.file === 1 ? { file: 1, end } : { file: 2 },
                  bytes: s.bytes,
                });
                expect(snapshot(r.fam)).toBe(before);
                commitFd(r.fam, o);
              }
            }
            const c = r.fam.contexts.get(ctx);
            if (c && profile === 'linux') {
              expect(c.events.length).toBeLessThanOrEqual(c.ringNr - 1);
              expect((c.tail - c.head + c.ringNr) % c.ringNr).toBe(c.events.length);
              const cached = c.pool.cpu.reduce((a, b) => a + b, 0);
              expect(
                c.pool.global + cached + c.inFlight.length + c.polls.length + c.pool.completed,
              ).toBe(c.ringNr - 1);
              expect([r.ctx.header.head, r.ctx.header.tail]).toEqual([c.head, c.tail]);
            }
            if (c && profile === 'gvisor')
              expect(c.events.length + c.inFlight.length).toBeLessThanOrEqual(nr);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
