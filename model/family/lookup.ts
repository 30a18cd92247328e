/**
 * lookup_ioctx() as the family calls see it (aio-family.md §1.2): Linux reads
 * u32 ring->id at the handle (a fault is "not found"), indexes the table and
 * requires the context there to carry this handle; gVisor looks the handle up
 * among its contexts. Any failure is EINVAL for the caller.
 */
import { readU32 } from '../memory.js';
import type { LiveContext, ProcessState } from '../state.js';

export function lookupContext(
  proc: ProcessState,
  profile: 'linux' | 'gvisor',
  handle: bigint,
): LiveContext | null {
  if (profile === 'gvisor') return proc.contexts.get(handle) ?? null;
  const id = readU32(proc, handle);
  if (!id.readable || id.u32 >= proc.tableSize) return null;
  const ctx = proc.slots[id.u32];
  return ctx !== undefined && ctx.handle === handle ? ctx : null;
}
