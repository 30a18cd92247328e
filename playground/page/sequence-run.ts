/**
 * A sequence of io_setup / io_destroy / ring->id overwrites run through the
 * model in one process, with what the process holds after each step: the
 * context table (its size grows 4, 16, 64, ...), the live rings and aio-nr.
 * The steps are a conformance case's steps (`aiospec run --case` takes the
 * same JSON); destroy targets are resolved as the engine's judge resolves them.
 * Pure: no DOM.
 */
import type { ContextStep as Step } from '../../conformance/cases.js';
import { modelTarget } from '../../conformance/engine/judge.js';
import {
  clobberRingId,
  describeErrno,
  type Environment,
  type ErrnoName,
  hex,
  ioDestroy,
  ioSetup,
  newProcessState,
  type ProcessState,
} from '../../model/index.js';

export interface LiveRing {
  /** The setup step that made it. */
  readonly step: number;
  readonly handle: bigint;
  readonly slot: number;
  readonly nr: number;
  readonly pages: number;
  /** ring->id as userspace reads it now (an overwrite changes it, not the slot). */
  readonly id: number;
}

export interface Snapshot {
  readonly tableSize: number;
  /** Per table slot: the setup step whose context holds it, or null. */
  readonly slots: readonly (number | null)[];
  readonly rings: readonly LiveRing[];
  readonly aioNr: bigint | null;
}

export interface StepRun {
  /** The call as C and its result. */
  readonly line: string;
  readonly errno: ErrnoName | null;
  readonly rule: string | null;
  readonly after: Snapshot;
}

/** Addresses for targets that are not rings: below any ring, as the worker's are (real/ctx-pointers.ts). */
const UNMAPPED_ADDRESS = '0x100000';

function result(errno: ErrnoName | null): string {
  return errno === null ? '0' : `-1 ${describeErrno(errno)}`;
}

function snapshot(state: ProcessState, steps: ReadonlyMap<bigint, number>): Snapshot {
  const rings = [...state.contexts.values()].map((c) => ({
    step: steps.get(c.handle) ?? -1,
    handle: c.handle,
    slot: c.slot,
    nr: c.ring.nr,
    pages: c.ring.pages,
    id: c.header.id,
  }));
  const slots = Array.from({ length: state.tableSize }, (_, i) => {
    const c = state.slots[i];
    return c === undefined ? null : (steps.get(c.handle) ?? -1);
  });
  return { tableSize: state.tableSize, slots, rings, aioNr: state.aioNr };
}

export function runSequence(env: Environment, steps: readonly Step[]): StepRun[] {
  const state = newProcessState(env);
  /** Per step index, the handle its setup made (undefined: it made none). */
  const handles: (bigint | undefined)[] = [];
  const madeBy = new Map<bigint, number>();
  return steps.map((s, i) => {
    if (s.op === 'setup') {
      const stepEnv = s.asHeadroom === undefined ? env : { ...env, asHeadroom: s.asHeadroom };
      const o = ioSetup(stepEnv, state, { nrEvents: s.nr, ctx: s.ctx });
      const made = o.ring ? [...state.contexts.values()].at(-1) : undefined;
      handles[i] = made?.handle;
      if (made) madeBy.set(made.handle, i);
      const slot = o.slot === null ? '' : ` (slot ${o.slot}, table of ${o.tableSizeAfter})`;
      return {
        line: `io_setup(${s.nr}, &ctx${i}) = ${result(o.errno)}${slot}`,
        errno: o.errno,
        rule: o.rule,
        after: snapshot(state, madeBy),
      };
    }
    if (s.op === 'destroy') {
      const call = modelTarget(s.target, handles, UNMAPPED_ADDRESS);
      const o = ioDestroy(env, state, call);
      return {
        line: `io_destroy(${hex(call.handle)}) = ${result(o.errno)}`,
        errno: o.errno,
        rule: o.rule,
        after: snapshot(state, madeBy),
      };
    }
    const handle = handles[s.setup];
    const landed = handle !== undefined && clobberRingId(state, handle, s.id);
    return {
      line: `ring(ctx${s.setup})->id = ${s.id}: ${landed ? 'written' : handle === undefined ? 'no ring' : 'the ring is read-only here'}`,
      errno: null,
      rule: null,
      after: snapshot(state, madeBy),
    };
  });
}
