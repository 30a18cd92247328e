/**
 * fast-check arbitraries for nr_events: the whole u32 range, weighted to the
 * values where the kernel's arithmetic changes behaviour.
 */
import fc from 'fast-check';
import { INTERNAL_LIMIT_NR, U32_MAX } from '../../model/index.js';
import { pageEdges } from './page-edges.js';

/** Let a drawn value shrink across the alternatives, toward the first (the simplest). */
const CROSS = { withCrossShrink: true } as const;

export { pageEdges };

const edgeCache = new Map<string, number[]>();

/** The values every run should try: 0, 1, the 4*C floor, page edges, the internal limit, the u32 wrap. */
export function edgeValues(cpus: number, pageSize: number): number[] {
  const key = `${cpus}/${pageSize}`;
  const cached = edgeCache.get(key);
  if (cached) return cached;
  const values = computeEdges(cpus, pageSize);
  edgeCache.set(key, values);
  return values;
}

function computeEdges(cpus: number, pageSize: number): number[] {
  const floor = 4 * cpus;
  const halfLimit = INTERNAL_LIMIT_NR; // 0x400000
  const values = [
    0,
    1,
    2,
    floor - 1,
    floor,
    floor + 1,
    65535,
    65536,
    65537,
    halfLimit - 1,
    halfLimit,
    halfLimit + 1,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0001,
    0x8000_0002,
    0x8000_0000 + halfLimit - 1,
    0x8000_0000 + halfLimit,
    0x8000_0000 + halfLimit + 1,
    0xffff_fc18, // -1000, libaio harness 2.t
    U32_MAX - 1,
    U32_MAX, // -1, LTP io_setup01
    ...pageEdges(pageSize),
  ];
  return [...new Set(values.filter((v) => v >= 0 && v <= U32_MAX))].sort((a, b) => a - b);
}

const arbCache = new Map<string, fc.Arbitrary<number>>();

/**
 * nr_events that succeed with a multi-megabyte ring under the default
 * aio-max-nr: valuable, but each costs the kernel about 0.4 to 1.5 ms of page
 * allocation and zeroing (measured here: io_setup(8192) takes ~0.2 ms,
 * io_setup(4) ~15 us), as much as a hundred ordinary cases. So they get 1 part
 * in 81 of the draws (about 120 of a default run's 10,000), on top of the table
 * suite's rows at 65536 and 65537. The same arithmetic is tested all over the
 * range by the cheap edges and the pre-filled headroom levels.
 */
function isCostlyEdge(n: number): boolean {
  return n > 16_384 && n <= 65_537;
}

/** Any u32, mostly near the edges, often small, sometimes anywhere. No chains: every value shrinks. */
export function nrEventsArb(cpus: number, pageSize: number): fc.Arbitrary<number> {
  const key = `${cpus}/${pageSize}`;
  const cached = arbCache.get(key);
  if (cached) return cached;
  const edges = edgeValues(cpus, pageSize);
  const cheap = edges.filter((e) => !isCostlyEdge(e));
  const costly = edges.filter(isCostlyEdge);
  const near = fc
    .tuple(fc.constantFrom(...cheap), fc.integer({ min: -3, max: 3 }))
    .map(([e, d]) => Math.min(U32_MAX, Math.max(0, e + d)));
  const arb = fc.oneof(
    CROSS,
    { weight: 32, arbitrary: fc.constantFrom(...cheap) },
    { weight: 16, arbitrary: near },
    ...(costly.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...costly) }] : []),
    { weight: 24, arbitrary: fc.integer({ min: 1, max: 2048 }) },
    { weight: 8, arbitrary: fc.integer({ min: 0, max: U32_MAX }) },
  );
  arbCache.set(key, arb);
  return arb;
}
/** Any u64, weighted to 0, small values, the 2^53 boundary and the top of the range. */
export function u64Arb(): fc.Arbitrary<bigint> {
  const top = (1n << 64n) - 1n;
  return fc.oneof(
    CROSS,
    fc.constantFrom(
      0n,
      1n,
      65535n,
      65536n,
      65537n,
      (1n << 53n) - 1n,
      1n << 53n,
      (1n << 53n) + 1n,
      top - 1n,
      top,
      1n << 63n,
    ),
    fc.bigInt({ min: 0n, max: 1n << 32n }),
    fc.bigInt({ min: 0n, max: top }),
  );
}
