/**
 * The fast-check seed as a user sees it: an unsigned 32-bit integer, always
 * printed in decimal. fast-check works on 32-bit ints and folds any integer
 * seed with `seed | 0`, so 4294967295 draws the same stream as -1; keeping the
 * unsigned form means every seed we print is one `--seed` accepts again.
 */
import { parseU32 } from './numbers.js';

/** `--seed` as given: decimal or 0x hex, 0 to 4294967295. */
export function parseSeed(text: string | undefined): number {
  return parseU32('--seed', text);
}

/** A seed for a run given none: any u32, so random seeds look like the ones users type. */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 0x1_0000_0000) >>> 0;
}
