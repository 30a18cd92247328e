import {
  commitIoSubmit,
  decideIoSubmit,
  type FamilyEnv,
  type FamilyKernel,
  type FamilyState,
  type FileSpec,
  type IocbEntry,
  type LiveContext,
  makeEnv,
  newFamilyState,
  type ProcessState,
  type SubmitOutcome,
} from '../../model/index.js';
import { processWith } from './helpers.js';

/** A process with one context of `nr` events, and the family state of a case with these files. */
export interface Rig {
  readonly env: FamilyEnv;
  readonly proc: ProcessState;
  readonly fam: FamilyState;
  readonly ctx: LiveContext;
  step: number;
}

export function rig(
  files: readonly FileSpec[] = [],
  opts: {
    nr?: number;
    kernel?: FamilyKernel;
    cpus?: number;
    profile?: 'linux' | 'gvisor';
    rtIoprio?: boolean;
    /** CONFIG_BLOCK (absent: true). */
    blockLayer?: boolean;
  } = {},
): Rig {
  const base = makeEnv({ possibleCpus: opts.cpus ?? 1, profile: opts.profile ?? 'linux' });
  const env: FamilyEnv = {
    ...base,
    kernel: opts.kernel ?? '6.18',
    ...(opts.rtIoprio ? { rtIoprio: true } : {}),
    ...(opts.blockLayer === false ? { blockLayer: false } : {}),
  };
  const proc = processWith(env, 1, opts.nr ?? 8);
  const ctx = [...proc.contexts.values()][0]!;
  return { env, proc, fam: newFamilyState(env, files), ctx, step: 0 };
}

/** io_submit of these entries on the rig's context, decided and committed. */
export function submit(
  r: Rig,
  iocbs: readonly IocbEntry[],
  over: { nr?: bigint; ctx?: bigint; array?: 'readable' | 'unmapped' } = {},
): SubmitOutcome {
  r.step++;
  const o = decideIoSubmit(r.env, r.proc, r.fam, {
    ctx: over.ctx ?? r.ctx.handle,
    ctxReadable: true,
    nr: over.nr ?? BigInt(iocbs.length),
    array: over.array ?? 'readable',
    iocbs,
    submitStep: r.step,
  });
  commitIoSubmit(r.fam, o);
  return o;
}

/** The one entry's errno (or null), from a fresh rig, for the table tests. */
export function firstErrno(o: SubmitOutcome): string | null {
  return o.errno;
}
