/**
 * io_cancel(ctx, iocb, result) (aio-family.md §5; gVisor §8). Only a pending
 * POLL is ever on active_reqs for the case files: cancelling it answers
 * EINPROGRESS and queues its completion (an event with res 0) for later.
 */
import { type ErrnoName, errnoNumber } from '../abi/errno.js';
import { ruleErrno } from '../io-setup.js';
import {
  CANCEL_RULES,
  GVISOR_CANCEL_ORDER,
  LINUX_CANCEL_ORDER,
} from '../rules/family-call-rules.js';
import type { CancelRuleId } from '../rules/family-rule-ids.js';
import { decide } from '../rules/rule.js';
import { type SeccompVerdict, seccompVerdict, trapReturn } from '../seccomp-eval.js';
import type { LiveContext, ProcessState } from '../state.js';
import type { CancelFacts } from './call-facts.js';
import type { FamilyEnv } from './kernel.js';
import { lookupContext } from './lookup.js';
import { copyFamilyState, type FamilyState, familyContext, iocbKey, ringEnds } from './state.js';
import type { CancelTarget } from './steps.js';
import { commitFamily, type RingAfter } from './submit.js';

export interface CancelCall {
  readonly ctx: bigint;
  readonly iocb: CancelTarget;
  readonly result?: 'null';
}

export interface CancelOutcome {
  readonly call: CancelCall;
  readonly ret: number;
  readonly errno: ErrnoName | null;
  readonly rule: CancelRuleId;
  readonly trail: readonly CancelRuleId[];
  readonly seccomp: SeccompVerdict;
  readonly signal: 'killed' | 'delivered' | null;
  /** `result` is never read or written (when a buffer was passed, it stays as it was). */
  readonly resultUntouched: boolean;
  /** A cancelled POLL's event (res 0) is now in flight. */
  readonly queuedEvent: boolean;
  readonly ring: RingAfter | null;
  readonly inFlight: number;
  readonly next: FamilyState;
  readonly live: LiveContext | null;
}

/** aio_key as io_cancel reads it: what the submit left (0 from P7 on) or the fresh iocb's. */
function keyOf(fam: FamilyState, t: CancelTarget): number | null {
  if ('null' in t || 'unmapped' in t) return null;
  if ('fresh' in t) return t.fresh.key ?? 0;
  return fam.keys.get(iocbKey(t.submitted, t.index)) ?? 0;
}

export function decideIoCancel(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: CancelCall,
): CancelOutcome {
  const work = copyFamilyState(fam);
  const profile = work.profile;
  const seccomp = seccompVerdict(env, 'io_cancel', [call.ctx]);
  const live = lookupContext(proc, profile, call.ctx);
  const c = live ? familyContext(work, live) : undefined;
  const key = keyOf(work, call.iocb);
  const t = call.iocb;
  const pollIndex =
    c && 'submitted' in t
      ? c.polls.findIndex((p) => p.obj.submitted === t.submitted && p.obj.index === t.index)
      : -1;
  const facts: CancelFacts = {
    profile,
    seccomp,
    aioCompiled: env.aioCompiled,
    keyReadable: key !== null,
    key: key ?? 0,
    ctxFound: live !== null,
    found: pollIndex >= 0,
  };
  const order = profile === 'gvisor' ? GVISOR_CANCEL_ORDER : LINUX_CANCEL_ORDER;
  const { rule, trail } = decide(CANCEL_RULES, order, facts);
  const errno = ruleErrno(CANCEL_RULES[rule].errno, seccomp);
  const filtered = rule.startsWith('seccomp.');
  let queuedEvent = false;
  if (rule === 'cancel.in-progress' && c) {
    // aio_poll_cancel(): marked cancelled, completion work queued: an event with an empty mask.
    const p = c.polls[pollIndex]!;
    c.polls.splice(pollIndex, 1);
    c.inFlight.push({
      event: { data: p.data, obj: p.obj, res: 0n, res2: 0n, ordered: false, resMask: null },
      resfd: p.resfd,
    });
    queuedEvent = true;
  }
  return {
    call,
    ret: errno !== null ? -errnoNumber(errno) : filtered ? trapReturn(seccomp) : 0,
    errno,
    rule,
    trail,
    seccomp,
    signal: filtered ? seccomp.signal : null,
    resultUntouched: true,
    queuedEvent,
    ring: ringEnds(work, c),
    inFlight: c ? c.inFlight.length : 0,
    next: work,
    live,
  };
}

export function commitIoCancel(fam: FamilyState, outcome: CancelOutcome): void {
  commitFamily(fam, outcome.next, outcome.live);
}
