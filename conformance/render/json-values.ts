/** JSON has no u64: numbers up to 2^53-1 stay numbers, larger ones become decimal strings. */
export type JsonU64 = number | string;

export function jsonU64(n: bigint): JsonU64 {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

export function jsonU64OrNull(n: bigint | null): JsonU64 | null {
  return n === null ? null : jsonU64(n);
}

/** The inverse, for reading traces and case files back. */
export function parseJsonU64(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)) {
    const n = BigInt(v);
    if (n < 1n << 64n) return n;
  }
  throw new Error(
    `${what}: expected an unsigned 64-bit integer (a number, or a decimal string past 2^53), got ${JSON.stringify(v)}`,
  );
}
