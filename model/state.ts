/**
 * Per-process AIO state: the context table (mm->ioctx_table), the live
 * contexts and the global aio-nr as this process last saw it. A small mutable
 * object: the evaluators are pure and return a decision; `commit*` applies it.
 */

import type { RingHeader } from './abi/ring-header.js';
import type { Environment } from './env.js';
import { profile } from './profiles.js';
import type { RingGeometry } from './ring.js';

export interface LiveContext {
  /** Table slot (Linux ctx->id); 0 for gVisor, which has no table. */
  readonly slot: number;
  /** The aio_context_t: the user address of the ring mapping (ctx->user_id). */
  readonly handle: bigint;
  readonly nrEvents: number;
  /** What this context added to aio-nr and gives back on destroy (ctx->max_reqs in v4.14+). */
  readonly charge: bigint;
  readonly ring: RingGeometry;
  /** The header as userspace would read it now; userspace can overwrite it. */
  header: RingHeader;
  /** Whether userspace can write the ring (Linux: PROT_READ|PROT_WRITE; gVisor: read-only). */
  readonly ringWritable: boolean;
}

export interface ProcessState {
  /** /proc/sys/fs/aio-nr; null where the kernel keeps none (gVisor). */
  aioNr: bigint | null;
  /** Slots in mm->ioctx_table: 0 until the first io_setup, then 4, 16, 64, ... (never shrinks). */
  tableSize: number;
  readonly slots: (LiveContext | undefined)[];
  /** Live contexts by handle (what io_destroy is given). */
  readonly contexts: Map<bigint, LiveContext>;
  /** Address space taken by live rings, charged against the environment's headroom. */
  ringBytes: bigint;
  /** Synthetic ring addresses for model-only runs: top-down like mmap, never reused. */
  nextAddress: bigint;
  /** Lowest slot that may be free (every slot below it is taken). */
  freeHint: number;
}

/** Model-only ring addresses start here and grow down, as mmap's top-down allocator does. */
export const SYNTHETIC_MMAP_BASE = 0x7f00_0000_0000n;

export function newProcessState(env: Environment): ProcessState {
  return {
    aioNr: profile(env.profile).accounting ? env.aioNr : null,
    tableSize: 0,
    slots: [],
    contexts: new Map(),
    ringBytes: 0n,
    nextAddress: SYNTHETIC_MMAP_BASE,
    freeHint: 0,
  };
}

/** The slot ioctx_add_table() would pick: the lowest free one, or -1 when the table must grow. */
export function lowestFreeSlot(state: ProcessState): number {
  for (let i = state.freeHint; i < state.tableSize; i++) if (state.slots[i] === undefined) return i;
  return -1;
}

/** ioctx_add_table(): `new_nr = (table ? table->nr : 1) * 4`. */
export function grownTableSize(size: number): number {
  return (size === 0 ? 1 : size) * 4;
}

/** The slot a new context gets and the table size after it (growing as often as needed). */
export function placeContext(state: ProcessState): { slot: number; tableSize: number } {
  const free = lowestFreeSlot(state);
  if (free >= 0) return { slot: free, tableSize: state.tableSize };
  return { slot: state.tableSize, tableSize: grownTableSize(state.tableSize) };
}

/** Take a synthetic address for a ring of `bytes` (model-only runs). */
export function takeSyntheticAddress(state: ProcessState, bytes: number): bigint {
  state.nextAddress -= BigInt(bytes);
  return state.nextAddress;
}

/** Record a new context; `slotted` = it occupies ctx.slot of the table (Linux). */
export function addContext(state: ProcessState, ctx: LiveContext, slotted: boolean): void {
  if (slotted) {
    state.slots[ctx.slot] = ctx;
    // Keep "every slot below freeHint is taken" true, and the next search short.
    while (state.slots[state.freeHint] !== undefined) state.freeHint++;
  }
  state.contexts.set(ctx.handle, ctx);
  state.ringBytes += BigInt(ctx.ring.bytes);
}

export function removeContext(state: ProcessState, ctx: LiveContext, slotted: boolean): void {
  if (slotted) {
    state.slots[ctx.slot] = undefined;
    if (ctx.slot < state.freeHint) state.freeHint = ctx.slot;
  }
  state.contexts.delete(ctx.handle);
  state.ringBytes -= BigInt(ctx.ring.bytes);
}

/** The context whose ring starts exactly at `address`, if any. */
export function contextAt(state: ProcessState, address: bigint): LiveContext | undefined {
  return state.contexts.get(address);
}

/** The context whose ring mapping contains `address` (not necessarily at its start). */
export function ringContaining(state: ProcessState, address: bigint): LiveContext | undefined {
  for (const ctx of state.contexts.values()) {
    if (address >= ctx.handle && address < ctx.handle + BigInt(ctx.ring.bytes)) return ctx;
  }
  return undefined;
}
