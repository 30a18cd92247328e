/**
 * How big is the mapping at a ring's handle? /proc/self/maps answers, but
 * costs ~150 us in a Node process. /proc/self/map_files/<start>-<end> exists
 * exactly when one mapping spans [start, end), and the kernel finds it with one
 * lookup (~3 us). So: check the size the ring's own header implies; only if
 * that is not the mapping, read /proc/self/maps for the truth.
 */
import { existsSync } from 'node:fs';
import { mappingSizes } from './proc-maps.js';

let mapFilesWorks: boolean | undefined;

function exactMapping(start: bigint, end: bigint): boolean {
  return existsSync(`/proc/self/map_files/${start.toString(16)}-${end.toString(16)}`);
}

/** Size of the mapping starting at `handle`; `guess` (bytes) is tried first. null if none starts there. */
export function mappingSizeAt(handle: bigint, guess: number | null): number | null {
  if (mapFilesWorks === undefined) mapFilesWorks = existsSync('/proc/self/map_files');
  if (mapFilesWorks && guess !== null && guess > 0 && exactMapping(handle, handle + BigInt(guess)))
    return guess;
  return mappingSizes([handle]).get(handle) ?? null;
}
