/** Positions on the page's drawings, as percentages. Pure. */

/** Where v lies on a log2 scale of 0..2^bits (v+1, so that 0 sits at the left end). */
export function log2Percent(v: number, bits: number): number {
  return Math.min(100, (Math.log2(v + 1) / bits) * 100);
}

/** Where v lies on a linear scale of 0..max (bigints: aio-nr and aio-max-nr are u64). */
export function linearPercent(v: bigint, max: bigint): number {
  if (max <= 0n) return 0;
  const clamped = v > max ? max : v;
  // Scale down to keep Number() exact enough for a drawing.
  return Number((clamped * 100_000n) / max) / 1000;
}

/** Thousands separated, as a person reads a count. */
export function grouped(n: bigint | number): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
