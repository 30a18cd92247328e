/**
 * The family model (model/family) behind the engine's port (model-port.ts):
 * each family step decided by its decide* function, committed when the kernel
 * agreed and followed (follow* helpers) where it did not. Imported for its
 * effect: it provides the port as the module loads.
 */
import {
  commitFd,
  commitIoCancel,
  commitIoGetevents,
  commitIoSubmit,
  commitReap,
  decideFdRead,
  decideFdWrite,
  decideIoCancel,
  decideIoGetevents,
  decideIoPgetevents,
  decideIoSubmit,
  decideReap,
  dropFamilyContext,
  type FamilyEnv,
  familyKernel,
  flushInFlight,
  followIoGetevents,
  followIoSubmit,
  landSeen,
  loseFirstEvent,
  type PredictedEvent as ModelEvent,
  type FamilyState as ModelFamilyState,
  newFamilyState,
} from '../../model/family/index.js';
import type { FamilyStep } from '../../model/family/steps.js';
import type { ProcessState } from '../../model/index.js';
import { hasRtIoprio, type ReportedHost } from '../engine/coverage.js';
import {
  type CtxResolver,
  type FamilyCaseEnv,
  type FamilyModelPort,
  type FamilyObserved,
  type FamilyPrediction,
  type PredictedEvent,
  provideFamilyModel,
  tookAlternative,
} from './model-port.js';

interface AdapterState {
  readonly env: FamilyEnv;
  readonly proc: ProcessState;
  readonly fam: ModelFamilyState;
  /** Iocbs whose event res the model doubts (`${submit step}:${index}`): compared on obj and data only. */
  readonly doubtful: Set<string>;
  /** The outcome of the step last decided, for follow(). */
  last: { readonly index: number; readonly outcome: unknown } | null;
}

function rtIoprio(host: ReportedHost | null): boolean {
  return host?.capEff !== undefined && hasRtIoprio(host.capEff);
}

/** The worker's raw return: -1 for an error (the model's is -errno). */
const rawRet = (ret: number, errno: string | null) => (errno !== null ? -1 : ret);

function event(e: ModelEvent, doubtful: ReadonlySet<string>): PredictedEvent {
  const key = 'submitted' in e.obj ? `${e.obj.submitted}:${e.obj.index}` : null;
  const resMask = key !== null && doubtful.has(key) ? 0n : (e.resMask ?? undefined);
  return {
    data: e.data,
    obj: e.obj,
    res: e.res,
    res2: e.res2,
    ...(resMask === undefined ? {} : { resMask }),
    ...(e.ordered ? {} : { unordered: true }),
  };
}

/** Tails the worker may read: the model's, or up to `inFlight` further on (mod ring->nr). */
function tails(
  ring: { head: number; tail: number } | null,
  inFlight: number,
  ringNr: number | undefined,
) {
  if (ring === null || inFlight === 0 || !ringNr) return {};
  return {
    ringTails: Array.from({ length: inFlight + 1 }, (_, k) => (ring.tail + k) % ringNr),
  };
}

/** ring->nr of the context at this handle, in the state a decision leads to (a fresh context is made there). */
const keyOf = (e: { obj: ModelEvent['obj']; data: bigint }) =>
  `${'submitted' in e.obj ? `${e.obj.submitted}:${e.obj.index}` : `raw:${e.obj.raw}`}/${e.data}`;

/**
 * A count that depends on timing: the events the model has, then the
 * completions in flight before the call that it does not list (they may have
 * landed meanwhile, at the ring's tail), unordered; the count between what
 * is sure and all of them (capped by nr).
 */
function timed(
  s: AdapterState,
  ctx: bigint,
  sure: readonly ModelEvent[],
  nr: number,
  least: number,
): Pick<FamilyPrediction, 'events' | 'ret' | 'retAtLeast' | 'inexact'> {
  const listed = new Set(sure.map(keyOf));
  const flying = (s.fam.contexts.get(ctx)?.inFlight ?? [])
    .map((f) => f.event)
    .filter((e) => !listed.has(keyOf(e)));
  const events = [
    ...sure.map((e) => event(e, s.doubtful)),
    ...flying.map((e) => ({ ...event(e, s.doubtful), unordered: true })),
  ];
  const most = Math.min(Math.max(nr, 0), events.length);
  return { events, ret: most, retAtLeast: Math.min(least, most), inexact: true };
}

const ringNrOf = (next: ModelFamilyState, handle: bigint) => next.contexts.get(handle)?.ringNr;

function submitCall(step: Extract<FamilyStep, { op: 'submit' }>, index: number, ctx: bigint) {
  return {
    ctx,
    ctxReadable: true,
    nr: BigInt(step.nr ?? step.iocbs.length),
    array: step.array === 'unmapped' ? ('unmapped' as const) : ('readable' as const),
    iocbs: step.iocbs,
    submitStep: index,
  };
}

function getCall(step: Extract<FamilyStep, { op: 'getevents' | 'pgetevents' }>, ctx: bigint) {
  return {
    ctx,
    minNr: step.minNr,
    nr: step.nr,
    ...(step.events === undefined ? {} : { events: step.events }),
    ...(step.timeout === undefined ? {} : { timeout: step.timeout }),
    ...(step.op === 'pgetevents' && step.sig !== undefined ? { sig: step.sig } : {}),
    ...(step.op === 'pgetevents' && step.pendingUsr1 ? { pendingUsr1: true } : {}),
  };
}

function decide(
  s: AdapterState,
  step: FamilyStep,
  index: number,
  resolve: CtxResolver,
): FamilyPrediction {
  const keep = (outcome: unknown) => {
    s.last = { index, outcome };
  };
  switch (step.op) {
    case 'submit': {
      const ctx = resolve(step.ctx);
      const o = decideIoSubmit(s.env, s.proc, s.fam, submitCall(step, index, ctx));
      keep(o);
      for (const e of o.entries) if (e.doubt !== null) s.doubtful.add(`${index}:${e.index}`);
      return {
        // The loop over the iocbs decided: the iocb rule that stopped it, else the last one's.
        rule:
          o.rule === 'submit.loop'
            ? ((o.entries.find((e) => e.errno !== null) ?? o.entries.at(-1))?.rule ?? o.rule)
            : o.rule,
        alsoRules:
          o.rule === 'submit.loop' ? ['submit.loop', ...new Set(o.entries.map((e) => e.rule))] : [],
        ...(o.wouldBlock === null ? {} : { wouldBlock: o.wouldBlock }),
        ret: rawRet(o.ret, o.errno),
        errno: o.errno,
        keys: o.keys,
        ring: o.ring,
        ...tails(o.ring, o.inFlight, ringNrOf(o.next, ctx)),
      };
    }
    case 'getevents':
    case 'pgetevents': {
      const call = getCall(step, resolve(step.ctx));
      const o =
        step.op === 'getevents'
          ? decideIoGetevents(s.env, s.proc, s.fam, call)
          : decideIoPgetevents(s.env, s.proc, s.fam, call);
      keep(o);
      const counted =
        o.exact || o.errno !== null
          ? { ret: rawRet(o.ret, o.errno), events: o.events.map((e) => event(e, s.doubtful)) }
          : // Waiting: it returns once min_nr are there; not waiting: what is there, and what landed since.
            timed(
              s,
              call.ctx,
              o.events,
              Math.min(step.nr, Number.MAX_SAFE_INTEGER),
              o.waits ? Math.max(step.minNr, 0) : o.events.length,
            );
      return {
        rule: o.rule,
        ...(o.wouldBlock === null ? {} : { wouldBlock: o.wouldBlock }),
        errno: o.errno,
        ...counted,
        ...(o.orFault ? { orErrno: 'EFAULT' as const, orRule: 'getevents.events-fault' } : {}),
        ring: o.ring,
        ...(step.op === 'pgetevents' && step.pendingUsr1 ? { usr1: o.usr1 } : {}),
      };
    }
    case 'cancel': {
      const ctx = resolve(step.ctx);
      const o = decideIoCancel(s.env, s.proc, s.fam, {
        ctx,
        iocb: step.iocb,
        ...(step.result === undefined ? {} : { result: step.result }),
      });
      keep(o);
      return {
        rule: o.rule,
        ret: rawRet(o.ret, o.errno),
        errno: o.errno,
        ring: o.ring,
        ...tails(o.ring, o.inFlight, ringNrOf(o.next, ctx)),
        ...(step.result === 'null' ? {} : { resultUntouched: o.resultUntouched }),
      };
    }
    case 'reap': {
      const ctx = resolve(step.ctx);
      const o = decideReap(s.env, s.proc, s.fam, { ctx, max: step.max });
      keep(o);
      return {
        rule: 'reap',
        errno: null,
        ...(o.exact
          ? { ret: o.events.length, events: o.events.map((e) => event(e, s.doubtful)) }
          : timed(s, ctx, o.events, step.max, o.events.length)),
        ring: o.ring,
      };
    }
    case 'fdwrite':
    case 'fdread': {
      const call = { fd: step.fd, bytes: step.bytes };
      const o =
        step.op === 'fdwrite'
          ? decideFdWrite(s.env, s.fam, call)
          : decideFdRead(s.env, s.fam, call);
      keep(o);
      return {
        rule: step.op,
        ...(o.wouldBlock === null ? {} : { wouldBlock: o.wouldBlock }),
        ret: rawRet(o.ret, o.errno),
        errno: o.errno,
        ...(o.value === undefined ? {} : { value: o.value }),
      };
    }
  }
}

function follow(
  s: AdapterState,
  step: FamilyStep,
  index: number,
  p: FamilyPrediction,
  real: FamilyObserved,
  resolve: CtxResolver,
): void {
  const outcome = s.last?.index === index ? s.last.outcome : null;
  s.last = null;
  if (outcome === null || p.wouldBlock !== undefined) return;
  const agreed = p.ret === real.ret && p.errno === real.errno;
  switch (step.op) {
    case 'submit':
      if (agreed) commitIoSubmit(s.fam, outcome as Parameters<typeof commitIoSubmit>[1]);
      else
        followIoSubmit(s.env, s.proc, s.fam, submitCall(step, index, resolve(step.ctx)), real.ret);
      return;
    case 'getevents':
    case 'pgetevents':
      if (tookAlternative(p, real)) loseFirstEvent(s.proc, s.fam, resolve(step.ctx));
      else if (
        agreed &&
        (real.events?.length ?? 0) === (outcome as { events: unknown[] }).events.length
      )
        commitIoGetevents(s.fam, outcome as Parameters<typeof commitIoGetevents>[1]);
      else
        followIoGetevents(
          s.env,
          s.proc,
          s.fam,
          getCall(step, resolve(step.ctx)),
          real.events?.length ?? 0,
          real.events,
        );
      return;
    case 'cancel':
      commitIoCancel(s.fam, outcome as Parameters<typeof commitIoCancel>[1]);
      return;
    case 'reap':
      if ((real.events?.length ?? 0) === (outcome as { events: unknown[] }).events.length)
        commitReap(s.fam, outcome as Parameters<typeof commitReap>[1]);
      else {
        // Completions in flight landed before the worker read the ring: let those it reaped land
        // (the others may still be in flight: landSeen), then take as many as it reaped.
        const ctx = resolve(step.ctx);
        const c = s.fam.contexts.get(ctx);
        const reaped = real.events?.length ?? 0;
        if (c) {
          landSeen(s.fam, c, real.events ?? []);
          if (c.events.length < reaped) flushInFlight(s.fam, c);
        }
        commitReap(s.fam, decideReap(s.env, s.proc, s.fam, { ctx, max: reaped }));
      }
      return;
    case 'fdwrite':
    case 'fdread':
      commitFd(s.fam, outcome as Parameters<typeof commitFd>[1]);
      return;
  }
}

export const FAMILY_MODEL_ADAPTER: FamilyModelPort = {
  newState(c: FamilyCaseEnv): AdapterState {
    const env: FamilyEnv = {
      ...c.env,
      ...(c.host ? { kernel: familyKernel(c.host.release) } : {}),
      rtIoprio: rtIoprio(c.host),
      blockLayer: c.host?.features?.block ?? true,
      pinned: c.pinned,
    };
    return {
      env,
      proc: c.proc,
      fam: newFamilyState(env, c.files),
      doubtful: new Set(),
      last: null,
    };
  },
  decide: (state, step, index, resolve) => decide(state as AdapterState, step, index, resolve),
  follow: (state, step, index, p, real, resolve) =>
    follow(state as AdapterState, step, index, p, real, resolve),
  contextGone: (state, handle) => dropFamilyContext((state as AdapterState).fam, handle),
};

provideFamilyModel(FAMILY_MODEL_ADAPTER);
