/**
 * What a ring's size says about the io_setup that made it. The kernel maps
 * ceil(32 * (ne + 3) / S) pages for ne = 2*max(nr_events, 4C) (u32), so a ring
 * of P pages came from a range of nr_events, and charged aio-nr a range of
 * amounts (nr_events since v4.14, ne before). The ranges are found by asking
 * the model's own geometry (setupFacts) with a binary search, inside the values
 * io_setup can accept at all (so nothing past the internal limit), and are
 * exact: every nr in [nrMin, nrMax] of a range gives exactly P pages.
 */
import { type Environment, newProcessState, setupFacts, U64_MAX } from '../../model/index.js';
import { acceptedIntervals, type Interval, U32_HALVES } from './accepted.js';
import { firstTrue, lastTrue } from './search.js';

export interface NrRange {
  readonly nrMin: number;
  readonly nrMax: number;
  /** What a context in this range added to aio-nr (0 without accounting). */
  readonly chargeMin: bigint;
  readonly chargeMax: bigint;
}

/** The nr_events a ring of some size can have come from: the hull of the possible ranges. */
export interface RingBounds extends NrRange {
  /** The ranges themselves: one below 2^31, and one of wrapped values where those are possible. */
  readonly ranges: readonly NrRange[];
}

const byValue = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** The same machine with nothing in the way of io_setup but the kernel's fixed limits. */
export function unrestricted(env: Environment): Environment {
  return {
    ...env,
    aioMaxNr: U64_MAX,
    aioNr: 0n,
    asHeadroom: null,
    aioCompiled: true,
    seccomp: { action: 'allow' },
    failAlloc: null,
  };
}

/** The nr_events in `within` whose ring has exactly `pages` pages (pages grows with nr there), or null. */
function rangeOfPages(
  within: Interval,
  pages: number,
  pagesOf: (nr: number) => number,
): Interval | null {
  const lo = firstTrue(within.lo, within.hi, (nr) => pagesOf(nr) >= pages);
  if (lo === null || pagesOf(lo) !== pages) return null;
  return { lo, hi: lastTrue(lo, within.hi, (nr) => pagesOf(nr) === pages) };
}

/**
 * A function from a ring's page count to the nr_events it came from, for the
 * profile, CPUs and page size of `env`. Wrapped values (0x80000001...) are
 * counted only if aio-nr could hold their charge, since every live context's
 * charge is part of aio-nr: under v4.14+ they charge over 2^31 each, so on a
 * host with less in aio-nr no ring came from one. `aioNr` null: no such check.
 * Results are memoized per page count.
 */
export function ringBoundsFor(
  env: Environment,
  aioNr: bigint | null,
): (pages: number) => RingBounds | null {
  const any = unrestricted(env);
  const state = newProcessState(any);
  const facts = (nr: number) => setupFacts(any, state, { nrEvents: nr, ctx: 'zero' });
  const pagesOf = (nr: number) => facts(nr).ring.pages;
  const intervals = acceptedIntervals(any);
  const memo = new Map<number, RingBounds | null>();
  const compute = (pages: number): RingBounds | null => {
    const all: NrRange[] = [];
    for (const i of intervals) {
      const r = rangeOfPages(i, pages, pagesOf);
      if (r)
        all.push({
          nrMin: r.lo,
          nrMax: r.hi,
          chargeMin: facts(r.lo).charge,
          chargeMax: facts(r.hi).charge,
        });
    }
    const ranges = all.filter(
      (r) => aioNr === null || r.nrMax <= U32_HALVES[0]!.hi || r.chargeMin <= aioNr,
    );
    if (ranges.length === 0) return null;
    return {
      ranges,
      nrMin: Math.min(...ranges.map((r) => r.nrMin)),
      nrMax: Math.max(...ranges.map((r) => r.nrMax)),
      chargeMin: ranges.map((r) => r.chargeMin).sort(byValue)[0]!,
      chargeMax: ranges
        .map((r) => r.chargeMax)
        .sort(byValue)
        .at(-1)!,
    };
  };
  return (pages) => {
    if (!memo.has(pages)) memo.set(pages, compute(pages));
    return memo.get(pages)!;
  };
}
