/**
 * io_submit(ctx, nr, iocbpp): decide the outcome of one call from the
 * environment, the process's contexts and the family state (on a copy), then
 * (separately) commit it. aio-family.md §2.
 */
import { type ErrnoName, errnoNumber } from '../abi/errno.js';
import { ruleErrno } from '../io-setup.js';
import {
  GVISOR_SUBMIT_ORDER,
  LINUX_SUBMIT_ORDER,
  SUBMIT_RULES,
} from '../rules/family-call-rules.js';
import {
  GVISOR_IOCB_ORDER,
  IOCB_RULES,
  keyWrittenBy,
  linuxIocbOrder,
} from '../rules/family-iocb-rules.js';
import type { IocbRuleId, SubmitRuleId } from '../rules/family-rule-ids.js';
import { decide } from '../rules/rule.js';
import { type SeccompVerdict, seccompVerdict, trapReturn } from '../seccomp-eval.js';
import type { LiveContext, ProcessState } from '../state.js';
import type { SubmitFacts } from './call-facts.js';
import { familyCapacity } from './capacity.js';
import { complete, wakePolls } from './completion.js';
import { readFile, readyMask, writeFile } from './files.js';
import { gvisorResult } from './gvisor-io.js';
import {
  bufValue,
  DEFAULT_POLLMASK,
  type IocbFacts,
  iocbFacts,
  POLL_ALWAYS,
} from './iocb-facts.js';
import type { FamilyEnv } from './kernel.js';
import { lookupContext } from './lookup.js';
import { adoptSlotPool, copySlotPool, getSlot, putSlots } from './slots.js';
import {
  type CtxFamily,
  copyFamilyState,
  type FamilyState,
  familyContext,
  heldRequests,
  iocbKey,
  type PredictedEvent,
  replaceFamilyState,
  ringEnds,
  SUBMIT_CPU,
} from './state.js';
import type { IocbEntry } from './steps.js';

export interface SubmitCall {
  /** The handle, already resolved (0n or any address is looked up in proc.contexts). */
  readonly ctx: bigint;
  /** Whether u32 ring->id at the handle can be read (the model reads live rings itself; informative). */
  readonly ctxReadable: boolean;
  /** nr as passed (a long). */
  readonly nr: bigint;
  readonly array: 'readable' | 'unmapped';
  readonly iocbs: readonly IocbEntry[];
  /** The case step this call is: events name their obj {submitted: submitStep, index}. */
  readonly submitStep: number;
}

export interface EntryOutcome {
  readonly index: number;
  readonly rule: IocbRuleId;
  readonly trail: readonly IocbRuleId[];
  readonly errno: ErrnoName | null;
  /** aio_key holds KIOCB_KEY (0) afterwards (Linux: every iocb that got past P7, failing or not). */
  readonly keyWritten: boolean;
  /** now: the event is in the ring when io_submit returns; later: async (FSYNC, pending POLL, gVisor); never: failed. */
  readonly completes: 'now' | 'later' | 'never';
  /** The event, when its res is known now (sync ops, FSYNC's 0, gVisor's results). */
  readonly event?: PredictedEvent;
  /** Why the event's res may differ from the prediction (the worker's memory layout), or null. */
  readonly doubt: string | null;
}

export interface RingAfter {
  readonly head: number;
  readonly tail: number;
}

export interface SubmitOutcome {
  readonly call: SubmitCall;
  /** The raw kernel return: the count submitted, or -errno (meaningless when wouldBlock is set). */
  readonly ret: number;
  readonly errno: ErrnoName | null;
  readonly rule: SubmitRuleId;
  readonly trail: readonly SubmitRuleId[];
  readonly seccomp: SeccompVerdict;
  readonly signal: 'killed' | 'delivered' | null;
  /** One per iocb the kernel looked at, in order (later ones are never read). */
  readonly entries: readonly EntryOutcome[];
  /** An op that sleeps inside io_submit: the model predicts nothing else (never generate it). */
  readonly wouldBlock: string | null;
  /** aio_key of each entry of call.iocbs afterwards (null: a NULL or unmapped entry). */
  readonly keys: readonly (number | null)[];
  /**
   * Why the EAGAIN boundary of this call is not exact, or null: the worker is
   * not pinned and the context holds L or more requests (§6.3), so slots
   * stranded on other CPUs may end the batch earlier (never below L).
   */
  readonly capacityDoubt: string | null;
  /** ring->head/tail after the call (null: no live context); with inFlight > 0 the tail may be further on. */
  readonly ring: RingAfter | null;
  /** Completions that may or may not have reached the ring yet (FSYNC on the workqueue, gVisor's goroutines). */
  readonly inFlight: number;
  /** The family state after the call (commitIoSubmit keeps it). */
  readonly next: FamilyState;
  readonly live: LiveContext | null;
}

/** What the op of a submitted iocb does: an event now, one later, a pending POLL, or a sleep. */
type OpEffect =
  | { readonly now: PredictedEvent }
  | { readonly later: PredictedEvent | null }
  | { readonly block: string };

function eventOf(
  f: IocbFacts,
  obj: { submitted: number; index: number },
  res: bigint,
  ordered: boolean,
  resMask: bigint | null = null,
): PredictedEvent {
  return { data: f.iocb?.data ?? 0n, obj, res, res2: 0n, ordered, resMask };
}

function ioRequest(f: IocbFacts) {
  const b = f.buffer.error === null ? f.buffer : { count: 0n, accessible: 0n };
  return { count: b.count, accessible: b.accessible, pos: f.offset, rwFlags: f.rwFlags };
}

/** Linux R7 / F4 / Q3: run the op on the working state. */
function linuxOp(
  fam: FamilyState,
  c: CtxFamily,
  f: IocbFacts,
  rule: IocbRuleId,
  obj: { submitted: number; index: number },
  resfd: number | null,
): OpEffect {
  const t = f.target!;
  if (rule === 'iocb.F4.fsync') {
    c.inFlight.push({ event: eventOf(f, obj, 0n, false), resfd });
    return { later: eventOf(f, obj, 0n, false) };
  }
  if (rule === 'iocb.Q3.poll') {
    const requested = Number((bufValue(f.iocb!) ?? 0n) & 0xffffn) | POLL_ALWAYS;
    const ready = readyMask(t.file, t.end);
    const met = (ready ?? DEFAULT_POLLMASK) & requested;
    if (met !== 0) {
      const ev = eventOf(f, obj, BigInt(met), true);
      complete(fam, c, ev, resfd);
      return { now: ev };
    }
    c.polls.push({ obj, data: f.iocb?.data ?? 0n, requested, file: t.index, end: t.end, resfd });
    return { later: null };
  }
  const r =
    f.op === 'read'
      ? readFile(t.file, ioRequest(f))
      : writeFile(t.file, ioRequest(f), t.file.kind === 'file' && t.file.append, fam.pageSize);
  if ('block' in r) return r;
  const ev = eventOf(f, obj, r.res, true);
  complete(fam, c, ev, resfd);
  if (t.file.kind === 'pipe' || t.file.kind === 'eventfd') wakePolls(fam, t.index);
  return { now: ev };
}

/** gVisor: every request runs on a goroutine; results land later, in no fixed order (§8). */
function gvisorOp(
  c: CtxFamily,
  f: IocbFacts,
  obj: { submitted: number; index: number },
  resfd: number | null,
): OpEffect {
  const b = ioRequest(f);
  const op = f.op === 'read' || f.op === 'write' || f.op === 'fsync' ? f.op : 'noop';
  const res = gvisorResult(f.target!.file, {
    op,
    modeOk: f.modeOk,
    count: b.count,
    accessible: b.accessible,
    pos: b.pos,
  });
  const ev = eventOf(f, obj, res, false);
  c.inFlight.push({ event: ev, resfd });
  return { later: ev };
}

function resfdIndex(f: IocbFacts): number | null {
  if (f.resfd !== 'eventfd') return null;
  const ref = f.iocb?.resfd;
  return ref && 'file' in ref ? ref.file : null;
}

/** Decide io_submit(call) without changing `fam` (the outcome carries the next state). */
export function decideIoSubmit(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: SubmitCall,
): SubmitOutcome {
  const work = copyFamilyState(fam);
  const profile = work.profile;
  const seccomp = seccompVerdict(env, 'io_submit', [call.ctx, call.nr]);
  const live = lookupContext(proc, profile, call.ctx);
  const facts: SubmitFacts = {
    profile,
    seccomp,
    aioCompiled: env.aioCompiled,
    nr: profile === 'gvisor' ? BigInt.asIntN(32, call.nr) : call.nr,
    ctxFound: live !== null,
  };
  const order = profile === 'gvisor' ? GVISOR_SUBMIT_ORDER : LINUX_SUBMIT_ORDER;
  const { rule, trail } = decide(SUBMIT_RULES, order, facts);
  const c = live ? familyContext(work, live) : undefined;
  const entries: EntryOutcome[] = [];
  let wouldBlock: string | null = null;
  let capacityDoubt: string | null = null;
  const lowerBound =
    profile === 'linux' && !work.pinned && live
      ? familyCapacity(live.nrEvents, work.possibleCpus, env.pageSize).lowerBound
      : null;
  let errno = ruleErrno(SUBMIT_RULES[rule].errno, seccomp);
  let ret =
    errno !== null ? -errnoNumber(errno) : rule.startsWith('seccomp.') ? trapReturn(seccomp) : 0;
  if (rule === 'submit.loop') {
    // Linux clamps nr to ring->nr; gVisor takes the int32 as it is.
    const n = profile === 'linux' && c ? minBig(facts.nr, BigInt(c.ringNr)) : facts.nr;
    let submitted = 0;
    let firstError: ErrnoName | null = null;
    for (let i = 0; BigInt(i) < n; i++) {
      const entry = call.iocbs[i];
      if (capacityDoubt === null && lowerBound !== null && c && heldRequests(c) + 1 > lowerBound)
        capacityDoubt = `not pinned: ${heldRequests(c) + 1} requests held, past the lower bound L = ${lowerBound} (§6.3)`;
      const obj = { submitted: call.submitStep, index: i };
      const pool = c ? copySlotPool(c.pool) : null;
      const slotFree =
        profile === 'gvisor'
          ? c !== undefined && c.events.length + c.inFlight.length < c.ringNr
          : pool !== null && getSlot(pool, SUBMIT_CPU, c!.ringNr, c!.head, c!.tail);
      const f = iocbFacts(
        work,
        env.pageSize,
        entry,
        call.array === 'readable',
        slotFree,
        live !== null,
      );
      const iorder = profile === 'gvisor' ? GVISOR_IOCB_ORDER : linuxIocbOrder(f.op);
      const d = decide(IOCB_RULES, iorder, f);
      const keyWritten = keyWrittenBy(d.rule, profile);
      if (keyWritten) work.keys.set(iocbKey(call.submitStep, i), 0);
      else if (f.iocb) work.keys.set(iocbKey(call.submitStep, i), f.iocb.key ?? 0);
      // Linux took the slot at P4: keep the pool as get_reqs_available() left it.
      const pastP4 =
        profile === 'linux' && d.trail.includes('iocb.P4.no-slot') && d.rule !== 'iocb.P4.no-slot';
      if (pastP4 && pool && c) adoptSlotPool(c.pool, pool);
      const e = IOCB_RULES[d.rule].errno;
      const base = { index: i, rule: d.rule, trail: d.trail, keyWritten };
      if (e !== null && e !== 'filter') {
        // put_reqs_available(ctx, 1) on the submitting CPU for failures after P4.
        if (pastP4 && c) putSlots(c.pool, SUBMIT_CPU, 1);
        entries.push({ ...base, errno: e, completes: 'never', doubt: null });
        firstError = e;
        break;
      }
      const resfd = resfdIndex(f);
      const effect =
        profile === 'gvisor'
          ? gvisorOp(c!, f, obj, resfd)
          : linuxOp(work, c!, f, d.rule, obj, resfd);
      if ('block' in effect) {
        wouldBlock = effect.block;
        entries.push({ ...base, errno: null, completes: 'never', doubt: f.doubt });
        break;
      }
      if ('now' in effect)
        entries.push({ ...base, errno: null, completes: 'now', event: effect.now, doubt: f.doubt });
      else
        entries.push({
          ...base,
          errno: null,
          completes: 'later',
          doubt: f.doubt,
          ...(effect.later ? { event: effect.later } : {}),
        });
      submitted++;
    }
    // Partial success hides the error.
    errno = submitted > 0 ? null : firstError;
    ret = submitted > 0 ? submitted : firstError ? -errnoNumber(firstError) : 0;
  }
  return {
    call,
    ret,
    errno,
    rule,
    trail,
    seccomp,
    signal: rule.startsWith('seccomp.') ? seccomp.signal : null,
    entries,
    wouldBlock,
    keys: call.iocbs.map((e, j) =>
      'opcode' in e ? (entries[j]?.keyWritten ? 0 : (e.key ?? 0)) : null,
    ),
    capacityDoubt,
    ring: ringEnds(work, c),
    inFlight: c ? c.inFlight.length : 0,
    next: work,
    live,
  };
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Keep the outcome's state; Linux's ring header (in ProcessState) gets the new head and tail. */
export function commitIoSubmit(fam: FamilyState, outcome: SubmitOutcome): void {
  if (outcome.wouldBlock !== null) return;
  commitFamily(fam, outcome.next, outcome.live);
}

/** Shared by every commit*: take the next state and mirror head/tail into the live context's header. */
export function commitFamily(fam: FamilyState, next: FamilyState, live: LiveContext | null): void {
  replaceFamilyState(fam, next);
  if (live === null || fam.profile !== 'linux') return;
  const c = fam.contexts.get(live.handle);
  if (c) live.header = { ...live.header, head: c.head, tail: c.tail };
}

/**
 * Follow the kernel where it differed from the prediction: keep the state of
 * submitting only its first `realRet` iocbs (realRet ≤ 0: none). If the kernel
 * submitted more than the model allows, the model's own stop is kept.
 */
export function followIoSubmit(
  env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: SubmitCall,
  realRet: number,
): SubmitOutcome {
  const n = realRet > 0 ? BigInt(realRet) : 0n;
  const o = decideIoSubmit(env, proc, fam, { ...call, nr: n < call.nr ? n : call.nr });
  commitIoSubmit(fam, o);
  return o;
}
