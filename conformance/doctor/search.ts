/** Binary search over integer ranges, for predicates that switch once (true then false, or false then true). */

/** The last n in [lo, hi] where `ok` holds, given ok(lo) and that ok is true then false over [lo, hi]. */
export function lastTrue(lo: number, hi: number, ok: (n: number) => boolean): number {
  let good = lo;
  let bad = hi + 1;
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** The first n in [lo, hi] where `ok` holds, given that ok is false then true; null if never. */
export function firstTrue(lo: number, hi: number, ok: (n: number) => boolean): number | null {
  if (!ok(hi)) return null;
  if (ok(lo)) return lo;
  return lastTrue(lo, hi, (n) => !ok(n)) + 1;
}

/** The same for u64 values held as bigint: the first n in [lo, hi] where `ok` holds, or null. */
export function firstTrueU64(lo: bigint, hi: bigint, ok: (n: bigint) => boolean): bigint | null {
  if (!ok(hi)) return null;
  let bad = lo - 1n;
  let good = hi;
  while (good - bad > 1n) {
    const mid = bad + (good - bad) / 2n;
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** The last n in [lo, hi] where `ok` holds, given ok is true then false; null if ok(lo) is false. */
export function lastTrueU64(lo: bigint, hi: bigint, ok: (n: bigint) => boolean): bigint | null {
  if (!ok(lo)) return null;
  let good = lo;
  let bad = hi + 1n;
  while (bad - good > 1n) {
    const mid = good + (bad - good) / 2n;
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}
