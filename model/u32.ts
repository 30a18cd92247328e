/**
 * Fixed-width unsigned arithmetic exactly as C does it in fs/aio.c.
 *
 * `nr_events` and everything derived from it are `unsigned int` (u32): every
 * operation wraps modulo 2^32. `aio_nr` and `aio_max_nr` are `unsigned long`
 * (u64 on the 64-bit ABIs we model): every operation wraps modulo 2^64, and
 * values past 2^53 need bigint to stay exact.
 */

export const U32_MAX = 0xffff_ffff;
export const U64_MAX = (1n << 64n) - 1n;

/** True when `n` is an integer in [0, 2^32). */
export function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= U32_MAX;
}

/** True when `n` is in [0, 2^64). */
export function isU64(n: bigint): boolean {
  return n >= 0n && n <= U64_MAX;
}

/** `a * b` in u32, as `unsigned int` multiplication wraps. Exact for any u32 operands. */
export function mulU32(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) & 0xffff_ffffn);
}

/** `max(a, b)` on u32 values (the kernel's max() on two unsigned ints). */
export function maxU32(a: number, b: number): number {
  return Math.max(a, b);
}

/** `a + b` in u64, as `unsigned long` addition wraps. */
export function addU64(a: bigint, b: bigint): bigint {
  return (a + b) & U64_MAX;
}

/** `a - b` in u64. */
export function subU64(a: bigint, b: bigint): bigint {
  return (a - b) & U64_MAX;
}

/**
 * fs/aio.c aio_nr_sub(): `if (WARN_ON(aio_nr - nr > aio_nr)) aio_nr = 0; else aio_nr -= nr;`
 * An underflow (someone else's accounting went wrong) clamps to 0 instead of wrapping.
 */
export function aioNrSub(aioNr: bigint, nr: bigint): bigint {
  const d = subU64(aioNr, nr);
  return d > aioNr ? 0n : d;
}

/** `a * b` in u64. */
export function mulU64(a: bigint, b: bigint): bigint {
  return (a * b) & U64_MAX;
}

/** `ceil(a / b)` for positive integers (the kernel's PFN_UP / DIV_ROUND_UP). */
export function divRoundUp(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Hexadecimal rendering used in explanations: 0x-prefixed, lower case. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
