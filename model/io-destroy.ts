/**
 * io_destroy(ctx_id): decide, then commit. The argument is an address; what
 * the kernel reads there comes from the model's rings or, for memory the model
 * does not own, from the caller's description of it.
 */

import { type ErrnoName, errnoNumber } from './abi/errno.js';
import { type DestroyCall, type DestroyFacts, destroyFacts } from './destroy-facts.js';
import type { Environment } from './env.js';
import { ruleErrno } from './io-setup.js';
import { DESTROY_RULES, type DestroyRuleId } from './rules/io-destroy-rules.js';
import { decide, type Rule } from './rules/rule.js';
import { type SeccompVerdict, trapReturn } from './seccomp-eval.js';
import { contextAt, type LiveContext, type ProcessState, removeContext } from './state.js';
import { aioNrSub } from './u32.js';

export interface DestroyOutcome {
  readonly call: DestroyCall;
  readonly ret: number;
  readonly errno: ErrnoName | null;
  readonly rule: DestroyRuleId;
  readonly trail: readonly DestroyRuleId[];
  /** What the seccomp filters did, and the profile rule that decided. */
  readonly seccomp: SeccompVerdict;
  /** SIGSYS: the caller killed by it, or delivered to it; null: no signal. */
  readonly signal: 'killed' | 'delivered' | null;
  /** The context destroyed, on success. */
  readonly destroyed: LiveContext | null;
  readonly aioNrAfter: bigint | null;
  /** gVisor unmaps one page at a readable page-aligned argument, context or not. */
  readonly unmapsPage: boolean;
  readonly facts: DestroyFacts;
}

export type DestroyRuleTable = Readonly<Record<DestroyRuleId, Rule<DestroyRuleId, DestroyFacts>>>;

/** Decide io_destroy(call) in `state` without changing it. `rules` replaces the rule table. */
export function decideIoDestroy(
  env: Environment,
  state: ProcessState,
  call: DestroyCall,
  rules: DestroyRuleTable = DESTROY_RULES,
): DestroyOutcome {
  const facts = destroyFacts(env, state, call);
  const { rule, trail } = decide(rules, facts.profile.destroyRules, facts);
  const errno = ruleErrno(rules[rule].errno, facts.seccomp);
  const filtered = rule.startsWith('seccomp.');
  const destroyed = rule === 'destroy.ok' ? (facts.target ?? null) : null;
  const gvisor = facts.profile.ring === 'gvisor-zero-page';
  return {
    call,
    ret: errno !== null ? -errnoNumber(errno) : filtered ? trapReturn(facts.seccomp) : 0,
    errno,
    rule,
    trail,
    seccomp: facts.seccomp,
    signal: filtered ? facts.seccomp.signal : null,
    destroyed,
    aioNrAfter:
      state.aioNr === null
        ? null
        : destroyed
          ? aioNrSub(state.aioNr, destroyed.charge)
          : state.aioNr,
    unmapsPage: gvisor && facts.read.readable && call.handle % BigInt(env.pageSize) === 0n,
    facts,
  };
}

export function commitIoDestroy(state: ProcessState, outcome: DestroyOutcome): void {
  if (outcome.destroyed) removeContext(state, outcome.destroyed, outcome.facts.profile.slotIds);
  state.aioNr = outcome.aioNrAfter;
}

export function ioDestroy(
  env: Environment,
  state: ProcessState,
  call: DestroyCall,
): DestroyOutcome {
  const outcome = decideIoDestroy(env, state, call);
  commitIoDestroy(state, outcome);
  return outcome;
}

/**
 * Userspace overwrites ring->id of a live context (a "clobber"). Returns
 * whether the write lands: gVisor maps its ring read-only.
 */
export function clobberRingId(state: ProcessState, handle: bigint, id: number): boolean {
  const ctx = contextAt(state, handle);
  if (!ctx?.ringWritable) return false;
  ctx.header = { ...ctx.header, id: id >>> 0 };
  return true;
}
