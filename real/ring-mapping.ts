/**
 * How big is the mapping at a ring's handle? /proc/self/maps answers, but a
 * read costs ~150 us to several ms in a Node process (hundreds of mappings).
 * /proc/self/map_files/<start>-<end> exists exactly when one mapping spans
 * [start, end), and the kernel finds it in one lookup (~5 us). So: check the
 * size each ring's own header implies; read /proc/self/maps once, for the
 * rings where that is not the mapping (or where map_files does not exist).
 */
import { existsSync } from 'node:fs';
import { mappingSizes } from './proc-maps.js';

let mapFiles: boolean | undefined;

function exactMapping(start: bigint, bytes: number): boolean {
  return existsSync(
    `/proc/self/map_files/${start.toString(16)}-${(start + BigInt(bytes)).toString(16)}`,
  );
}

/** Sizes of the mappings starting at each handle (null: none starts there), trying `guess` bytes first. */
export function ringMappingSizes(
  rings: readonly { readonly handle: bigint; readonly guess: number | null }[],
): (number | null)[] {
  mapFiles ??= existsSync('/proc/self/map_files');
  const sizes = rings.map((r) =>
    mapFiles && r.guess !== null && r.guess > 0 && exactMapping(r.handle, r.guess)
      ? r.guess
      : undefined,
  );
  const missing = rings.filter((_, i) => sizes[i] === undefined).map((r) => r.handle);
  if (missing.length === 0) return sizes as number[];
  const found = mappingSizes(missing);
  return sizes.map((s, i) => (s === undefined ? (found.get(rings[i]!.handle) ?? null) : s));
}
