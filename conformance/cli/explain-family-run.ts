/**
 * One family call through the model, in the world explain sets up for it: a
 * process with one context made by io_setup(--ctx-nr), the case's files
 * (explain-family-values.ts), the requests submitted before the call
 * (--pending, --in-flight, io_cancel's target), then the call itself.
 * Node-free: the world is decided and committed step by step, like a case.
 */
import {
  type CancelOutcome,
  type CancelTarget,
  type CtxFamily,
  commitIoSetup,
  commitIoSubmit,
  copyFamilyState,
  decideIoCancel,
  decideIoGetevents,
  decideIoPgetevents,
  decideIoSetup,
  decideIoSubmit,
  type FamilyCapacity,
  type FamilyState,
  familyCapacity,
  familyContext,
  type GeteventsOutcome,
  IOCB_CMD,
  type IocbEntry,
  iocbKey,
  type LiveContext,
  newFamilyState,
  newProcessState,
  type ProcessState,
  type SlotPool,
  type SubmitOutcome,
} from '../../model/index.js';
import type { FamilyExplainInput } from './explain-family-input.js';
import { explainFiles } from './explain-family-values.js';
import { UsageError } from './usage-error.js';

/** The case steps before the call, and the call's own: events name their iocb by these. */
export const PRIOR_STEP = { pending: 1, inFlight: 2, target: 3 } as const;
export const CALL_STEP = 4;

/** The ring and slot pool of the context, at one moment. */
export interface CtxSnapshot {
  readonly head: number;
  readonly tail: number;
  /** Events between head and tail. */
  readonly events: number;
  /** Completions that have not reached the ring yet (FSYNC on the workqueue, a cancelled POLL). */
  readonly inFlight: number;
  /** POLLs waiting on their file (on ctx->active_reqs). */
  readonly polls: number;
  /** Linux's slot accounting (§6.3); null on gVisor. */
  readonly pool: SlotPool | null;
}

export interface FamilyWorld {
  readonly live: LiveContext;
  /** The handle the call is given: the context's, or 0 (--bad-ctx). */
  readonly handle: bigint;
  /** Linux: ring->nr, batch, K, L; null on gVisor (capacity is nr_events exactly). */
  readonly capacity: FamilyCapacity | null;
  readonly before: CtxSnapshot;
}

export type FamilyExplained = FamilyWorld &
  (
    | { readonly syscall: 'io_submit'; readonly outcome: SubmitOutcome }
    | { readonly syscall: 'io_getevents' | 'io_pgetevents'; readonly outcome: GeteventsOutcome }
    | { readonly syscall: 'io_cancel'; readonly outcome: CancelOutcome }
  ) & { readonly after: CtxSnapshot };

export function snapshot(fam: FamilyState, live: LiveContext): CtxSnapshot {
  // A context no call has used yet: its fresh family view (full pool), made on a copy.
  const c: CtxFamily = fam.contexts.get(live.handle) ?? familyContext(copyFamilyState(fam), live);
  const gvisor = fam.profile === 'gvisor';
  return {
    head: gvisor ? 0 : c.head,
    tail: gvisor ? 0 : c.tail,
    events: c.events.length,
    inFlight: c.inFlight.length,
    polls: c.polls.length,
    pool: gvisor ? null : { ...c.pool, cpu: [...c.pool.cpu] },
  };
}

/** Requests submitted before the call: they must all go in, or the flags ask for the impossible. */
function priorSubmit(
  input: FamilyExplainInput,
  proc: ProcessState,
  fam: FamilyState,
  live: LiveContext,
  step: number,
  iocbs: readonly IocbEntry[],
  what: string,
): void {
  if (iocbs.length === 0) return;
  const o = decideIoSubmit(input.priorEnv, proc, fam, {
    ctx: live.handle,
    ctxReadable: true,
    nr: BigInt(iocbs.length),
    array: 'readable',
    iocbs,
    submitStep: step,
  });
  if (o.ret !== iocbs.length)
    throw new UsageError(
      `${what}: only ${Math.max(o.ret, 0)} of ${iocbs.length} requests can be submitted to a context of io_setup(${input.ctxNr}) (then ${o.entries.at(-1)?.errno ?? 'nothing'})`,
    );
  commitIoSubmit(fam, o);
}

const range = (n: number, f: (i: number) => IocbEntry) => Array.from({ length: n }, (_, i) => f(i));

/** The process, its context, the files and the requests made before the call. */
function world(input: FamilyExplainInput) {
  const proc = newProcessState(input.priorEnv);
  const setup = decideIoSetup(input.priorEnv, proc, { nrEvents: input.ctxNr, ctx: 'zero' });
  if (setup.errno !== null)
    throw new UsageError(
      `--ctx-nr ${input.ctxNr}: io_setup(${input.ctxNr}) fails in this environment (${setup.errno}, rule ${setup.rule}); the call needs a context`,
    );
  commitIoSetup(proc, setup);
  const live = [...proc.contexts.values()][0]!;
  const fam = newFamilyState(input.priorEnv, explainFiles(input.fill));
  // The pending requests: PREADs of 16 bytes of file #0, complete inside io_submit.
  priorSubmit(
    input,
    proc,
    fam,
    live,
    PRIOR_STEP.pending,
    range(input.pending, (i) => ({
      opcode: IOCB_CMD.PREAD,
      fd: { file: 0 },
      buf: { bytes: 16 },
      data: 0x100n + BigInt(i),
    })),
    '--pending',
  );
  // The in-flight ones: FSYNCs of file #0, completed later by the workqueue.
  priorSubmit(
    input,
    proc,
    fam,
    live,
    PRIOR_STEP.inFlight,
    range(input.inFlight, (i) => ({
      opcode: IOCB_CMD.FSYNC,
      fd: { file: 0 },
      data: 0x200n + BigInt(i),
    })),
    '--in-flight',
  );
  return { proc, fam, live };
}

/** io_cancel's iocb: submit the target first when it is one that was submitted. */
function cancelTarget(
  input: FamilyExplainInput,
  proc: ProcessState,
  fam: FamilyState,
  live: LiveContext,
): CancelTarget {
  if (input.call.syscall !== 'io_cancel') throw new Error('not io_cancel');
  const { target, key } = input.call.args;
  if (target === 'null') return { null: true };
  if (target === 'unmapped') return { unmapped: true };
  if (target === 'never-submitted')
    return {
      fresh: { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 16 }, key: key ?? 0 },
    };
  const iocb: IocbEntry =
    target === 'pending-poll'
      ? // POLLIN on an empty pipe: queued on its waitqueue, on ctx->active_reqs.
        { opcode: IOCB_CMD.POLL, fd: { file: 6, end: 'read' }, buf: { value: 1n }, data: 0x300n }
      : { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 16 }, data: 0x300n };
  // gVisor refuses POLL at submit; its io_cancel answers ENOSYS before looking at the iocb.
  if (fam.profile !== 'gvisor')
    priorSubmit(input, proc, fam, live, PRIOR_STEP.target, [iocb], `--iocb ${target}`);
  // The caller overwrote aio_key after io_submit wrote KIOCB_KEY.
  if (key !== null) fam.keys.set(iocbKey(PRIOR_STEP.target, 0), key);
  return { submitted: PRIOR_STEP.target, index: 0 };
}

export function explainFamilyCall(input: FamilyExplainInput): FamilyExplained {
  const { proc, fam, live } = world(input);
  const handle = input.badCtx ? 0n : live.handle;
  const capacity =
    fam.profile === 'linux'
      ? familyCapacity(input.ctxNr, input.env.possibleCpus, input.env.pageSize)
      : null;
  const env = input.callEnv;
  const c = input.call;
  if (c.syscall === 'io_cancel') {
    const iocb = cancelTarget(input, proc, fam, live);
    const before = snapshot(fam, live);
    const outcome = decideIoCancel(env, proc, fam, {
      ctx: handle,
      iocb,
      ...(c.args.result === 'null' ? { result: 'null' as const } : {}),
    });
    return {
      syscall: c.syscall,
      outcome,
      live,
      handle,
      capacity,
      before,
      after: snapshot(outcome.next, live),
    };
  }
  const before = snapshot(fam, live);
  if (c.syscall === 'io_submit') {
    const outcome = decideIoSubmit(env, proc, fam, {
      ctx: handle,
      ctxReadable: !input.badCtx,
      nr: c.args.nr,
      array: c.args.iocbpp === 'array' ? 'readable' : 'unmapped',
      iocbs: c.args.iocbs,
      submitStep: CALL_STEP,
    });
    return {
      syscall: c.syscall,
      outcome,
      live,
      handle,
      capacity,
      before,
      after: snapshot(outcome.next, live),
    };
  }
  const call = { ctx: handle, ...c.args };
  const outcome =
    c.syscall === 'io_getevents'
      ? decideIoGetevents(env, proc, fam, call)
      : decideIoPgetevents(env, proc, fam, call);
  return {
    syscall: c.syscall,
    outcome,
    live,
    handle,
    capacity,
    before,
    after: snapshot(outcome.next, live),
  };
}
