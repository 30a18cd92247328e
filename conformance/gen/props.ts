/**
 * The `props` suite: single io_setup calls over the whole u32 range of
 * nr_events (weighted to the edges), every ctx kind, aio-nr pre-filled to
 * various levels, and sometimes an RLIMIT_AS close to the ring's size.
 */
import fc from 'fast-check';
import { type CtxKind, linuxRingFor, type PageSize } from '../../model/index.js';
import type { Case } from '../cases.js';
import { nrEventsArb } from './nr-events.js';

/** Let a drawn value shrink across the alternatives, toward the first (the simplest). */
const CROSS = { withCrossShrink: true } as const;

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
    CROSS,
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
    CROSS,
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(...headroomLevels(available)) },
  );
}

/** RLIMIT_AS headroom around the size of the ring a call would map: none, or one of four offsets from it. */
function asHeadroomFor(host: PropsHost, nr: number, choice: number): bigint | undefined {
  if (choice >= 4) return undefined;
  const bytes = BigInt(linuxRingFor(nr, host.possibleCpus, host.pageSize).bytes);
  const S = BigInt(host.pageSize);
  return [0n, bytes - 1n, bytes, bytes + S][choice];
}

/**
 * One io_setup. Drawn as a flat tuple and mapped (no chains): fast to
 * generate, and every part shrinks. Where a small headroom is set, nr_events
 * is often drawn right at it (headroom - 1, headroom, headroom + 1).
 */
export function propsCaseArb(host: PropsHost): fc.Arbitrary<Case> {
  return fc
    .tuple(
      headroomArb(host.available),
      nrEventsArb(host.possibleCpus, host.pageSize),
      fc.oneof(
        CROSS,
        { weight: 2, arbitrary: fc.constant(-2) },
        { weight: 1, arbitrary: fc.integer({ min: -1, max: 1 }) },
      ),
      ctxArb(),
      fc.oneof(
        CROSS,
        { weight: 36, arbitrary: fc.constant(4) },
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
      ),
    )
    .map(([headroom, general, nearHeadroom, ctx, asChoice]): Case => {
      const atHeadroom = headroom !== undefined && headroom <= 4096n && nearHeadroom >= -1;
      const nr = atHeadroom ? Math.max(0, Number(headroom) + nearHeadroom) : general;
      const asHeadroom = asHeadroomFor(host, nr, asChoice);
      const step =
        asHeadroom === undefined
          ? { op: 'setup' as const, nr, ctx }
          : { op: 'setup' as const, nr, ctx, asHeadroom };
      return headroom === undefined ? { steps: [step] } : { headroom, steps: [step] };
    });
}

/** `n` props cases, deterministic for a seed. */
export function propsCases(host: PropsHost, n: number, seed: number): Case[] {
  return n <= 0 ? [] : fc.sample(propsCaseArb(host), { numRuns: n, seed });
}
