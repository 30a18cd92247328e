/**
 * What the engine needs from the family model (model/family: decideIoSubmit /
 * commitIoSubmit, decideIoGetevents, decideIoPgetevents, decideIoCancel,
 * decideReap, decideFdWrite / decideFdRead, newFamilyState), narrowed to the
 * few calls the judge makes. The adapter (model-adapter.ts) implements it
 * with the model and provides it at import; the judge's tests give a port of
 * their own, to see the judge alone.
 */

import type { CtxRef, EventObs, FamilyStep, FileSpec } from '../../model/family/steps.js';
import type { Environment, ErrnoName, ProcessState } from '../../model/index.js';
import type { ReportedHost } from '../engine/coverage.js';

/** An event the model predicts, with how it is compared. */
export interface PredictedEvent extends EventObs {
  /**
   * Compare `res & resMask` only (a POLL event: requested ∪ {ERR, HUP}, §2.5);
   * absent: res exactly.
   */
  readonly resMask?: bigint;
  /**
   * Its place among the events is not determined (FSYNC/FDSYNC on the
   * workqueue, a POLL woken later, every event on gVisor): compared as a
   * multiset keyed by (obj, data); the others as a sequence, in order.
   */
  readonly unordered?: boolean;
}

/** ring->head and ring->tail as the model has them (null: no ring this process can read, as on gVisor). */
export type ModelRingEnds = { readonly head: number; readonly tail: number } | null;

/** The model's prediction for one family step. */
export interface FamilyPrediction {
  /** The rule that decided the step (for coverage and reports). */
  readonly rule: string;
  /**
   * Other rules that decided part of the step, for coverage: io_submit's loop
   * and the rule of every iocb it took, not only the one that ended it.
   */
  readonly alsoRules?: readonly string[];
  /**
   * Set when the call would block in a way no case may ask for (a read of an
   * empty blocking pipe inside io_submit, §9): the step is not judged.
   */
  readonly wouldBlock?: string;
  /** What the syscall returns (a count, 0, or -1), and the errno when it is -1. */
  readonly ret: number;
  readonly errno: ErrnoName | null;
  /** submit: aio_key of each entry afterwards (null: not an iocb, or not readable). */
  readonly keys?: readonly (number | null)[];
  /** getevents, pgetevents, reap: the events copied out. */
  readonly events?: readonly PredictedEvent[];
  /** The ring's ends after the step (undefined: not predicted for this step). */
  readonly ring?: ModelRingEnds;
  /**
   * Every ring->tail the kernel may show (completions in flight may have
   * landed by the time the worker reads it); absent: exactly ring.tail.
   */
  readonly ringTails?: readonly number[];
  /**
   * The count depends on timing (completions in flight, a call that need not
   * wait for them all): `ret` is the most the call may return and
   * `retAtLeast` the fewest; the events the model lists last (completions in
   * flight, marked unordered) may be missing; the ring is not compared.
   */
  readonly inexact?: boolean;
  /**
   * The call may instead fail with this errno, returning no events: gVisor,
   * an events buffer it cannot write and completions in flight; one that has
   * landed is popped before the copy fails (aio-family.md §8), one that has
   * not gives 0. Timing decides which.
   */
  readonly orErrno?: ErrnoName;
  /** With `orErrno`: the rule that decides the call when it fails so (for coverage and reports). */
  readonly orRule?: string;
  /** With `inexact`: the fewest events the call returns (default 0). */
  readonly retAtLeast?: number;
  /** fdread of an eventfd: the count read. */
  readonly value?: bigint;
  /** pgetevents with pendingUsr1: how many times the handler runs. */
  readonly usr1?: number;
  /** cancel with a result buffer: whether it is left as it was. */
  readonly resultUntouched?: boolean;
}

/** The call took the alternative the model allows (orErrno): it failed so, with no events. */
export function tookAlternative(m: FamilyPrediction, r: FamilyObserved): boolean {
  return m.orErrno !== undefined && r.errno === m.orErrno && r.ret === -1 && !r.events?.length;
}

/** What the worker saw, in the model's vocabulary (decoded from FamilyStepResult). */
export interface FamilyObserved {
  readonly ret: number;
  readonly errno: ErrnoName | `errno ${number}` | null;
  readonly keys?: readonly (number | null)[];
  readonly events?: readonly EventObs[];
  readonly ring?: ModelRingEnds;
  readonly value?: bigint;
  readonly usr1?: number;
  readonly resultUntouched?: boolean;
}

/** What a case's family state is made from. */
export interface FamilyCaseEnv {
  /** The environment the case's io_setup calls are decided in (the Mirror's). */
  readonly env: Environment;
  /**
   * The Mirror's ProcessState: the contexts live in the worker, by their real
   * handles (kept up to date by io_setup/io_destroy judging), which the family
   * model reads its rings from.
   */
  readonly proc: ProcessState;
  /** The worker's host (kernel release: which Linux the family profile is; CapEff: realtime ioprio), if known. */
  readonly host: ReportedHost | null;
  /** The case's files, opened before its first step. */
  readonly files: readonly FileSpec[];
  /** The case runs pinned to one CPU (the EAGAIN boundary is exact). */
  readonly pinned: boolean;
}

/**
 * The handle a context argument stood for in the worker: the one setup step
 * `setup` made (0 when it made none: the worker then passes 0), or a literal
 * address.
 */
export type CtxResolver = (ctx: CtxRef) => bigint;

/**
 * The family model's state for one case (opaque to the engine): its files,
 * its contexts' rings, slots and pending requests.
 */
export type FamilyState = unknown;

export interface FamilyModelPort {
  /** newFamilyState(env, files): a case begins, with its files opened. */
  newState(c: FamilyCaseEnv): FamilyState;
  /**
   * decideIoSubmit / decideIoGetevents / decideIoPgetevents / decideIoCancel /
   * decideReap / decideFdWrite / decideFdRead, by the step's op.
   */
  decide(
    state: FamilyState,
    step: FamilyStep,
    index: number,
    resolve: CtxResolver,
  ): FamilyPrediction;
  /**
   * commitIoSubmit and the others, or the model's follow* helpers where the
   * kernel did otherwise: follow what really happened (the count submitted,
   * the events taken out of the ring), so later steps are decided from the
   * real state even after a divergence.
   */
  follow(
    state: FamilyState,
    step: FamilyStep,
    index: number,
    prediction: FamilyPrediction,
    real: FamilyObserved,
    resolve: CtxResolver,
  ): void;
  /** The context at this handle is gone (io_destroy): its ring, slots and pending requests go with it. */
  contextGone(state: FamilyState, handle: bigint): void;
}

let provided: FamilyModelPort | null = null;

/** The family model: the adapter provides it when imported (conformance/engine/judge.ts imports it). */
export function familyModel(): FamilyModelPort {
  if (provided === null)
    throw new Error(
      'no family model: conformance/family/model-adapter.ts provides it when imported',
    );
  return provided;
}

/** Provide the family model (the adapter does, at import; a test may swap in a port of its own and put the adapter's back). */
export function provideFamilyModel(port: FamilyModelPort): void {
  provided = port;
}
