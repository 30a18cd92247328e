/**
 * io_getevents(ctx, min_nr, nr, events, timeout) and io_pgetevents(..., usig)
 * (aio-family.md §3, §4, §8): decide on a copy of the family state, commit
 * separately. Completions still in flight (FSYNC on the workqueue, woken or
 * cancelled POLLs, everything on gVisor) land while the call waits for them;
 * how many a call returns is then exact only when the call waits for all
 * (min_nr = everything expected) or nr caps it; `exact` says which.
 */
import { type ErrnoName, errnoNumber } from '../abi/errno.js';
import { ruleErrno } from '../io-setup.js';
import {
  GETEVENTS_RULES,
  GVISOR_GETEVENTS_ORDER,
  GVISOR_PGETEVENTS_ORDER,
  LINUX_GETEVENTS_ORDER,
  LINUX_PGETEVENTS_ORDER,
} from '../rules/family-call-rules.js';
import type { GeteventsRuleId } from '../rules/family-rule-ids.js';
import { decide } from '../rules/rule.js';
import { type SeccompVerdict, seccompVerdict, trapReturn } from '../seccomp-eval.js';
import type { LiveContext, ProcessState } from '../state.js';
import type { GetFacts } from './call-facts.js';
import { flushInFlight, landSeen } from './completion.js';
import type { FamilyEnv } from './kernel.js';
import { lookupContext } from './lookup.js';
import {
  copyFamilyState,
  type FamilyState,
  familyContext,
  type PredictedEvent,
  ringEnds,
} from './state.js';
import type { EventObs, EventsSpec, SigSpec, TimeoutSpec } from './steps.js';
import type { RingAfter } from './submit.js';
import { commitFamily } from './submit.js';

export interface GeteventsCall {
  readonly ctx: bigint;
  readonly minNr: bigint | number;
  readonly nr: bigint | number;
  readonly events?: EventsSpec;
  /** Default {0, 0}. */
  readonly timeout?: TimeoutSpec;
  /** SIGUSR1 blocked and raised before the call (io_getevents installs no mask: it stays blocked). */
  readonly pendingUsr1?: boolean;
}

export interface PgeteventsCall extends GeteventsCall {
  /** Default NULL. */
  readonly sig?: SigSpec;
}

export interface GeteventsOutcome {
  readonly op: 'getevents' | 'pgetevents';
  readonly call: PgeteventsCall;
  /** The raw kernel return: the count, or -errno (meaningless when wouldBlock is set). */
  readonly ret: number;
  readonly errno: ErrnoName | null;
  readonly rule: GeteventsRuleId;
  readonly trail: readonly GeteventsRuleId[];
  readonly seccomp: SeccompVerdict;
  readonly signal: 'killed' | 'delivered' | null;
  /** The events copied out, in ring order; `ordered: false` ones are compared as a multiset. */
  readonly events: readonly PredictedEvent[];
  /** Whether completions that were in flight are among them (landed while the call waited). */
  readonly includesAsync: boolean;
  /** False when the count depends on timing (in-flight completions and a call that need not wait for them all). */
  readonly exact: boolean;
  /** The call would sleep forever: the model predicts nothing else. */
  readonly wouldBlock: string | null;
  /**
   * gVisor, events not writable, nothing landed yet but completions in
   * flight: the call returns 0 if none has landed when it looks, else it
   * pops one, fails to copy it and returns EFAULT, the event lost
   * (loseFirstEvent follows that). Timing decides which.
   */
  readonly orFault: boolean;
  /** Whether the call waits (a non-zero timeout it has to let run, or until in-flight completions land). */
  readonly waits: boolean;
  /** Times the SIGUSR1 handler runs during the call (the §4 recipe). */
  readonly usr1: number;
  readonly ring: RingAfter | null;
  readonly inFlight: number;
  readonly next: FamilyState;
  readonly live: LiveContext | null;
}

/** KTIME_SEC_MAX: ktime_set() gives KTIME_MAX (no timer) from here on. */
export const KTIME_SEC_MAX = 9_223_372_036n;

/** How read_events() treats the timeout: no wait, a finite wait, none (forever). */
export type TimeoutKind = 'zero' | 'finite' | 'infinite';

export function timeoutKind(t: TimeoutSpec): TimeoutKind {
  if (t === 'null' || t === 'unmapped') return 'infinite';
  if (t.sec >= KTIME_SEC_MAX) return 'infinite';
  // ktime_set(): secs * NSEC_PER_SEC + (s64)nsecs, in s64 (wraps like the kernel's arithmetic).
  const until = BigInt.asIntN(64, t.sec * 1_000_000_000n + BigInt.asIntN(64, t.nsec));
  // A negative `until` never expires: the relative hrtimer's expiry is ktime_add_safe(until, now),
  // which saturates to KTIME_MAX whenever the sum is below an operand (kernel/time/hrtimer.c).
  // Seen for real: io_getevents(ctx, 1, 1, ev, {0, -1}) with nothing to collect slept until the
  // worker was killed (the engine's would-block check refuses such cases since).
  return until === 0n ? 'zero' : until < 0n ? 'infinite' : 'finite';
}

const big = (v: bigint | number) => (typeof v === 'bigint' ? v : BigInt(v));
const minN = (a: bigint, b: number) => (a < BigInt(b) ? Number(a) : b);

/** Shared by both calls. */
function decideGet(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: PgeteventsCall,
  op: 'getevents' | 'pgetevents',
): GeteventsOutcome {
  const work = copyFamilyState(fam);
  const profile = work.profile;
  const syscall = op === 'getevents' ? 'io_getevents' : 'io_pgetevents';
  const minNr = profile === 'gvisor' ? BigInt.asIntN(32, big(call.minNr)) : big(call.minNr);
  const nr = profile === 'gvisor' ? BigInt.asIntN(32, big(call.nr)) : big(call.nr);
  const seccomp = seccompVerdict(env, syscall, [call.ctx, minNr, nr]);
  const live = lookupContext(proc, profile, call.ctx);
  const c = live ? familyContext(work, live) : undefined;
  const timeout = call.timeout ?? { sec: 0n, nsec: 0n };
  const sig = op === 'pgetevents' ? (call.sig ?? 'null') : 'null';
  const kind = timeoutKind(timeout);
  const unblocks = typeof sig === 'object' && sig.mask === 'empty' && sig.size === 8n;
  const interrupted = op === 'pgetevents' && (call.pendingUsr1 ?? false) && unblocks;
  const available = c ? c.events.length : 0;
  const flying = c ? c.inFlight.length : 0;
  const nrCap = nr < 0n ? 0 : minN(nr, Number.MAX_SAFE_INTEGER);
  const min = minNr < 0n ? 0 : minN(minNr, Number.MAX_SAFE_INTEGER);
  // What the call waits for: nothing (zero/expired timeout, a pending signal, enough already there), or the flights.
  const noWait = kind === 'zero' || interrupted || available >= min;
  const reachable = available + flying >= min;
  const wouldBlock = !noWait && !reachable && kind === 'infinite';
  const lands = !noWait && !wouldBlock;
  const total = lands ? available + flying : available;
  const collected = Math.min(nrCap, total);
  const facts: GetFacts = {
    profile,
    call: op,
    seccomp,
    aioCompiled: env.aioCompiled,
    timeout,
    sig,
    ctxFound: live !== null,
    minNr,
    nr,
    eventsWritable: (call.events ?? 'buffer') === 'buffer',
    firstPass: collected,
    collected,
    wouldBlock,
    interrupted,
  };
  const order =
    profile === 'gvisor'
      ? op === 'getevents'
        ? GVISOR_GETEVENTS_ORDER
        : GVISOR_PGETEVENTS_ORDER
      : op === 'getevents'
        ? LINUX_GETEVENTS_ORDER
        : LINUX_PGETEVENTS_ORDER;
  const { rule, trail } = decide(GETEVENTS_RULES, order, facts);
  const errno = ruleErrno(GETEVENTS_RULES[rule].errno, seccomp);
  const filtered = rule.startsWith('seccomp.');
  // The temporary mask is in force from set_user_sigmask() on: a pending SIGUSR1 it unblocks is handled.
  const maskInstalled =
    op === 'pgetevents' && profile === 'linux' && trail.includes('getevents.ctx-lookup');
  const usr1 = interrupted && maskInstalled ? 1 : 0;
  let events: PredictedEvent[] = [];
  let includesAsync = false;
  let exact = true;
  if (
    c &&
    (rule === 'getevents.collected' || (rule === 'getevents.events-fault' && profile === 'gvisor'))
  ) {
    if (lands) {
      flushInFlight(work, c);
      includesAsync = flying > 0;
      // It returns once min_nr are there: more may have landed unless nr caps it or it needs them all.
      exact = min >= Math.min(nrCap, total) || (kind === 'finite' && !reachable);
    } else exact = flying === 0 || collected === nrCap;
    const copied = c.events.slice(0, collected);
    // gVisor's loop stops at the first failed copy: one event popped and lost.
    c.events = c.events.slice(rule === 'getevents.collected' ? collected : 1);
    // gVisor pops before copying: after a fault the events are lost, not returned.
    if (rule === 'getevents.collected') events = copied;
    if (profile === 'linux') c.head = (c.head + collected) % c.ringNr;
  } else if (c && rule === 'getevents.events-fault' && lands) {
    // The flights landed; the copy failed and the ring head stayed.
    flushInFlight(work, c);
  }
  const ret =
    errno !== null
      ? -errnoNumber(errno)
      : filtered
        ? trapReturn(seccomp)
        : rule === 'getevents.collected'
          ? events.length
          : 0;
  return {
    op,
    call,
    ret,
    errno,
    rule,
    trail,
    seccomp,
    signal: filtered ? seccomp.signal : null,
    events,
    includesAsync,
    exact,
    wouldBlock:
      rule === 'getevents.would-block'
        ? 'min_nr more events than can ever arrive, with no timeout'
        : null,
    orFault:
      profile === 'gvisor' &&
      rule === 'getevents.collected' &&
      !facts.eventsWritable &&
      collected === 0 &&
      nrCap > 0 &&
      flying > 0,
    waits: rule === 'getevents.collected' && (lands || (kind === 'finite' && !noWait)),
    usr1,
    ring: ringEnds(work, c),
    inFlight: c ? c.inFlight.length : 0,
    next: work,
    live,
  };
}

export function decideIoGetevents(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: GeteventsCall,
): GeteventsOutcome {
  return decideGet(env, proc, fam, call, 'getevents');
}

export function decideIoPgetevents(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: PgeteventsCall,
): GeteventsOutcome {
  return decideGet(env, proc, fam, call, 'pgetevents');
}

export function commitIoGetevents(fam: FamilyState, outcome: GeteventsOutcome): void {
  if (outcome.wouldBlock !== null) return;
  commitFamily(fam, outcome.next, outcome.live);
}

export const commitIoPgetevents = commitIoGetevents;

/**
 * gVisor answered EFAULT where the model had nothing landed (orFault): a
 * completion in flight landed first and was popped and lost. Let the flights
 * land and drop one. Which one gVisor popped is the first to complete, which
 * the model does not know: it drops the oldest submitted.
 */
export function loseFirstEvent(proc: ProcessState, fam: FamilyState, ctx: bigint): void {
  const live = lookupContext(proc, fam.profile, ctx);
  const c = live ? fam.contexts.get(live.handle) : undefined;
  if (!c) return;
  flushInFlight(fam, c);
  c.events = c.events.slice(1);
}

/**
 * Follow the kernel where it differed from the prediction: take exactly
 * `realCount` events out of the ring (letting in-flight completions land if
 * that many are needed); realCount ≤ 0 leaves the state as it is.
 */
export function followIoGetevents(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: PgeteventsCall,
  realCount: number,
  seen?: readonly EventObs[],
): GeteventsOutcome | null {
  if (realCount <= 0) return null;
  const take = (sec: bigint) =>
    decideGet(
      env,
      proc,
      fam,
      {
        ctx: call.ctx,
        minNr: realCount,
        nr: realCount,
        events: 'buffer',
        timeout: { sec, nsec: 0n },
      },
      'getevents',
    );
  // With the kernel's events at hand, land just the flights among them; a zero timeout then takes them.
  const live = seen ? lookupContext(proc, fam.profile, call.ctx) : null;
  if (live && seen) {
    const c = familyContext(fam, live);
    landSeen(fam, c, seen);
    if (c.events.length >= realCount) {
      const o = take(0n);
      commitIoGetevents(fam, o);
      return o;
    }
  }
  const o = take(1n);
  commitIoGetevents(fam, o);
  return o;
}
