/**
 * Strict parsing of numeric flags: decimal or 0x hex, no sign, no junk, in range.
 * Every error names the flag so a user sees exactly which argument is wrong.
 */
import { UsageError } from './usage-error.js';

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;

/** Parse an unsigned integer up to `max` (inclusive) as a bigint. */
export function parseUnsigned(
  flag: string,
  text: string | undefined,
  max: bigint,
  what: string,
): bigint {
  if (text === undefined || text === '')
    throw new UsageError(`${flag}: missing value (expected ${what})`);
  const t = text.replaceAll('_', '');
  if (!DECIMAL.test(t) && !HEX.test(t))
    throw new UsageError(`${flag}: "${text}" is not ${what} (decimal or 0x hex)`);
  const n = BigInt(t);
  if (n > max)
    throw new UsageError(`${flag}: ${text} is out of range (expected ${what}, at most ${max})`);
  return n;
}

export function parseU32(flag: string, text: string | undefined): number {
  return Number(parseUnsigned(flag, text, 0xffff_ffffn, 'an unsigned 32-bit integer'));
}

export function parseU64(flag: string, text: string | undefined): bigint {
  return parseUnsigned(flag, text, (1n << 64n) - 1n, 'an unsigned 64-bit integer');
}

/** A positive integer in [min, max]. */
export function parseIntIn(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number {
  const what = `an integer from ${min} to ${max}`;
  const n = parseUnsigned(flag, text, BigInt(max), what);
  if (n < BigInt(min)) throw new UsageError(`${flag}: ${text} is out of range (expected ${what})`);
  return Number(n);
}
