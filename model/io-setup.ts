/**
 * io_setup(nr_events, ctx_idp): decide the outcome of one call from the
 * environment and the process state, then (separately) commit it.
 */

import { type ErrnoName, errnoName, errnoNumber } from './abi/errno.js';
import type { RingHeader } from './abi/ring-header.js';
import type { Environment } from './env.js';
import { linuxRingHeader, type RingGeometry, ZERO_HEADER } from './ring.js';
import { SETUP_RULES, type SetupRuleId } from './rules/io-setup-rules.js';
import { decide, type Rule } from './rules/rule.js';
import { type SeccompVerdict, trapReturn } from './seccomp-eval.js';
import { type SetupCall, type SetupFacts, setupFacts } from './setup-facts.js';
import {
  addContext,
  grownTableSize,
  type LiveContext,
  type ProcessState,
  placeContext,
  takeSyntheticAddress,
} from './state.js';
import { addU64 } from './u32.js';

/** The ring as the caller can observe it after a successful call. */
export interface RingView extends RingGeometry {
  readonly header: RingHeader;
}

export interface SetupOutcome {
  readonly call: SetupCall;
  /** The raw syscall result: 0 or -errno (libaio's io_setup() returns this too); after a seccomp TRAP, the rolled-back register. */
  readonly ret: number;
  readonly errno: ErrnoName | null;
  readonly rule: SetupRuleId;
  readonly trail: readonly SetupRuleId[];
  /** What the seccomp filters did, and the profile rule that decided (NO_FILTER's rule when none). */
  readonly seccomp: SeccompVerdict;
  /** SIGSYS: the caller killed by it (the call never returns), or delivered to it; null: no signal. */
  readonly signal: 'killed' | 'delivered' | null;
  /** Whether *ctx_idp holds the new handle afterwards (otherwise it is left as it was). */
  readonly ctxWritten: boolean;
  /** The mapped ring on success; null otherwise (the EFAULT-on-write ring is unmapped again). */
  readonly ring: RingView | null;
  /** The table slot of the new context (ring->id); null on failure or where there is no table. */
  readonly slot: number | null;
  readonly aioNrBefore: bigint | null;
  readonly aioNrAfter: bigint | null;
  /** Slots in the context table afterwards (it can grow even when the call fails at the final write). */
  readonly tableSizeAfter: number;
  readonly facts: SetupFacts;
}

/** The errno a rule gives: its own, or (for 'filter') the one the seccomp verdict carries. */
export function ruleErrno(
  e: ErrnoName | 'filter' | null,
  seccomp: SeccompVerdict,
): ErrnoName | null {
  if (e !== 'filter') return e;
  if (seccomp.errno === null) return null;
  const name = errnoName(seccomp.errno);
  // aioFilterProblem() refuses filters with errnos the model does not name before any call.
  if (name === undefined)
    throw new RangeError(`seccomp errno ${seccomp.errno} is not one the model names`);
  return name;
}

export type SetupRuleTable = Readonly<Record<SetupRuleId, Rule<SetupRuleId, SetupFacts>>>;

/** Decide io_setup(call) in `state` without changing it. `rules` replaces the rule table (for experiments and tests). */
export function decideIoSetup(
  env: Environment,
  state: ProcessState,
  call: SetupCall,
  rules: SetupRuleTable = SETUP_RULES,
): SetupOutcome {
  const facts = setupFacts(env, state, call);
  const { rule, trail } = decide(rules, facts.profile.setupRules, facts);
  const errno = ruleErrno(rules[rule].errno, facts.seccomp);
  const filtered = rule.startsWith('seccomp.');
  const ok = rule === 'setup.ok';
  const slotted = facts.profile.slotIds;
  // The context reaches the table only on these two paths (the write fault tears it down again).
  const placed = (ok || rule === 'setup.ctx-write-fault') && slotted ? placeContext(state) : null;
  const header = !ok ? null : slotted ? linuxRingHeader(placed!.slot, facts.ring) : ZERO_HEADER;
  return {
    call,
    ret: errno !== null ? -errnoNumber(errno) : filtered ? trapReturn(facts.seccomp) : 0,
    errno,
    rule,
    trail,
    seccomp: facts.seccomp,
    signal: filtered ? facts.seccomp.signal : null,
    ctxWritten: ok,
    ring: header ? { ...facts.ring, header } : null,
    slot: ok && placed ? placed.slot : null,
    aioNrBefore: facts.aioNr,
    aioNrAfter: ok && facts.sum !== null ? facts.sum : facts.aioNr,
    tableSizeAfter: placed ? placed.tableSize : state.tableSize,
    facts,
  };
}

/**
 * Apply a decided outcome to the state. `handle` is the ring address the kernel
 * chose (a differential run passes the real one); model-only runs get a
 * synthetic top-down address. Returns the new context on success.
 */
export function commitIoSetup(
  state: ProcessState,
  outcome: SetupOutcome,
  handle?: bigint,
): LiveContext | null {
  state.tableSize = outcome.tableSizeAfter;
  if (outcome.ring === null) return null;
  const ctx: LiveContext = {
    slot: outcome.slot ?? 0,
    handle: handle ?? takeSyntheticAddress(state, outcome.ring.bytes),
    nrEvents: outcome.call.nrEvents,
    charge: outcome.facts.charge,
    ring: { pages: outcome.ring.pages, bytes: outcome.ring.bytes, nr: outcome.ring.nr },
    header: outcome.ring.header,
    ringWritable: outcome.facts.profile.ring === 'linux',
  };
  addContext(state, ctx, outcome.slot !== null);
  if (state.aioNr !== null) state.aioNr = addU64(state.aioNr, ctx.charge);
  return ctx;
}

/**
 * Take into the state a context the kernel made where the model predicted a
 * failure, as the kernel made it (its slot, its charge, its header): a
 * differential run follows the real state after a divergence. The table grows
 * as ioctx_add_table() grows it until the kernel's slot fits.
 */
export function adoptContext(
  state: ProcessState,
  outcome: SetupOutcome,
  made: {
    readonly handle: bigint;
    readonly slot: number;
    readonly charge: bigint;
    readonly header: RingHeader | null;
  },
): LiveContext {
  const prof = outcome.facts.profile;
  const ctx: LiveContext = {
    slot: made.slot,
    handle: made.handle,
    nrEvents: outcome.call.nrEvents,
    charge: made.charge,
    ring: outcome.facts.ring,
    header: made.header ?? ZERO_HEADER,
    ringWritable: prof.ring === 'linux',
  };
  addContext(state, ctx, prof.slotIds);
  if (prof.slotIds)
    while (made.slot >= state.tableSize) state.tableSize = grownTableSize(state.tableSize);
  return ctx;
}

/** Decide and commit in one step. */
export function ioSetup(
  env: Environment,
  state: ProcessState,
  call: SetupCall,
  handle?: bigint,
): SetupOutcome {
  const outcome = decideIoSetup(env, state, call);
  commitIoSetup(state, outcome, handle);
  return outcome;
}
