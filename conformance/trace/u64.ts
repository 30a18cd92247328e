/**
 * What a u64 looks like in a trace, defined once for every line that holds
 * one. Two forms, both as the worker writes them (real/worker/executor.ts):
 *
 *   counts     aio-nr, aio-max-nr: a JSON number up to 2^53-1, a decimal
 *              string above (a JSON number past 2^53-1 loses digits in most
 *              parsers, so the worker never writes one). A decimal string
 *              below 2^53 says the same number and is accepted too.
 *   addresses  handles and the 8 bytes at ctx_idp: "0x" and hex digits.
 *
 * Each function says what is wrong with a value ("is negative: no u64 is"),
 * or nothing when it is one; the caller puts the value in front.
 */

export const U64_MAX = (1n << 64n) - 1n;

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX = /^0x[0-9a-fA-F]+$/;

/** Ordered: the first test a value fails says what is wrong with it. */
const COUNT_PROBLEMS: readonly { readonly bad: (v: unknown) => boolean; readonly why: string }[] = [
  {
    bad: (v) => typeof v !== 'number' && typeof v !== 'string',
    why: 'is not a u64 (a number, or a decimal string)',
  },
  { bad: (v) => typeof v === 'number' && !Number.isInteger(v), why: 'is not an integer' },
  { bad: (v) => typeof v === 'number' && v < 0, why: 'is negative: no u64 is' },
  {
    bad: (v) => typeof v === 'number' && !Number.isSafeInteger(v),
    why: 'is past 2^53-1, where a JSON number loses digits: the worker writes it as a decimal string',
  },
  {
    bad: (v) => typeof v === 'string' && !DECIMAL.test(v),
    why: 'is not a decimal u64 (digits only, no sign, no leading zero)',
  },
  { bad: (v) => typeof v === 'string' && BigInt(v) > U64_MAX, why: 'is past 2^64-1' },
];

/** What is wrong with a count (aio-nr, aio-max-nr), or undefined. */
export function u64Problem(v: unknown): string | undefined {
  return COUNT_PROBLEMS.find((x) => x.bad(v))?.why;
}

/** What is wrong with an address (a handle, *ctx_idp), or undefined. */
export function addressProblem(v: unknown): string | undefined {
  if (typeof v !== 'string' || !HEX.test(v)) return 'is not an address (0x and hex digits)';
  if (BigInt(v) > U64_MAX) return 'is past 2^64-1';
  return undefined;
}
