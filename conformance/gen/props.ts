/**
 * The `props` suite: single io_setup calls over the whole u32 range of
 * nr_events (weighted to the edges), every ctx kind, aio-nr pre-filled to
 * various levels, and sometimes an RLIMIT_AS close to the ring's size.
 */
import fc from 'fast-check';
import { type CtxKind, linuxRingGeometry, type PageSize, U32_MAX } from '../../model/index.js';
import type { Case } from '../cases.js';
import { nrEventsArb } from './nr-events.js';

export interface PropsHost {
  readonly possibleCpus: number;
  readonly pageSize: PageSize;
  /** aio-max-nr minus aio-nr when the run starts: the most headroom fillers can leave. */
  readonly available: bigint;
}

/** Ordinary pointers most of the time: the interesting paths need a writable zero. */
const CTX_WEIGHTS: readonly [CtxKind, number][] = [
  ['zero', 10],
  ['readonly', 3],
  ['nonzero', 1],
  ['readonly-nonzero', 1],
  ['null', 1],
  ['unmapped', 1],
  ['kernel', 1],
  ['straddle', 1],
];

export function ctxArb(): fc.Arbitrary<CtxKind> {
  return fc.oneof(
    ...CTX_WEIGHTS.map(([kind, weight]) => ({ weight, arbitrary: fc.constant(kind) })),
  );
}

/**
 * aio-nr's headroom before the case: as found, or filled down to one of a few
 * levels (the fillers stay while the cases of a level run, so few levels keep
 * the filling cheap; nr_events is then drawn around the level).
 */
export function headroomLevels(available: bigint): bigint[] {
  const levels = [available / 2n, 4096n, 64n, 1n, 0n].filter((n) => n <= available);
  return [...new Set(levels)];
}

function headroomArb(available: bigint): fc.Arbitrary<bigint | undefined> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(...headroomLevels(available)) },
  );
}

/** nr_events near the headroom (the cumulative-EAGAIN edge) or from the general distribution. */
function nrArb(host: PropsHost, headroom: bigint | undefined): fc.Arbitrary<number> {
  const general = nrEventsArb(host.possibleCpus, host.pageSize);
  if (headroom === undefined || headroom + 1n > BigInt(U32_MAX)) return general;
  const h = Number(headroom);
  return fc.oneof(
    { weight: 2, arbitrary: general },
    { weight: 1, arbitrary: fc.constantFrom(Math.max(h - 1, 0), h, h + 1) },
  );
}

/** RLIMIT_AS headroom around the size of the ring this call would map. */
function asHeadroomArb(host: PropsHost, nr: number): fc.Arbitrary<bigint | undefined> {
  const ne = (2 * Math.max(nr, 4 * host.possibleCpus)) >>> 0;
  const bytes = BigInt(linuxRingGeometry(ne, host.pageSize).bytes);
  const S = BigInt(host.pageSize);
  return fc.oneof(
    { weight: 9, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(0n, bytes - 1n, bytes, bytes + S).filter((b) => b >= 0n),
    },
  );
}

export function propsCaseArb(host: PropsHost): fc.Arbitrary<Case> {
  return headroomArb(host.available).chain((headroom) =>
    nrArb(host, headroom).chain((nr) =>
      fc.tuple(ctxArb(), asHeadroomArb(host, nr)).map(([ctx, asHeadroom]): Case => {
        const step =
          asHeadroom === undefined
            ? { op: 'setup' as const, nr, ctx }
            : { op: 'setup' as const, nr, ctx, asHeadroom };
        return headroom === undefined ? { steps: [step] } : { headroom, steps: [step] };
      }),
    ),
  );
}

/** The same space without chains, so that fast-check can shrink a failing case given as an example. */
export function propsShrinkArb(host: PropsHost): fc.Arbitrary<Case> {
  return fc
    .record({
      headroom: fc.option(fc.bigInt({ min: 0n, max: host.available }), { nil: undefined }),
      nr: fc.integer({ min: 0, max: U32_MAX }),
      ctx: fc.constantFrom<CtxKind>(
        'zero',
        'readonly',
        'nonzero',
        'readonly-nonzero',
        'null',
        'unmapped',
        'kernel',
        'straddle',
      ),
      asHeadroom: fc.option(fc.bigInt({ min: 0n, max: 1n << 40n }), { nil: undefined }),
    })
    .map(
      ({ headroom, nr, ctx, asHeadroom }): Case => {
        const step =
          asHeadroom === undefined
            ? { op: 'setup' as const, nr, ctx }
            : { op: 'setup' as const, nr, ctx, asHeadroom };
        return headroom === undefined ? { steps: [step] } : { headroom, steps: [step] };
      },
      (c: unknown) => {
        const k = c as Case;
        const s = k.steps[0];
        if (k.steps.length !== 1 || s?.op !== 'setup') throw new Error('not a props case');
        return { headroom: k.headroom, nr: s.nr, ctx: s.ctx, asHeadroom: s.asHeadroom };
      },
    );
}

/** `n` props cases, deterministic for a seed. */
export function propsCases(host: PropsHost, n: number, seed: number): Case[] {
  return n <= 0 ? [] : fc.sample(propsCaseArb(host), { numRuns: n, seed });
}
