/**
 * The doctor's seccomp answers, from the model: what a profile
 * (--seccomp-profile) does to io_setup(N) and io_destroy, which of its rules
 * decides, and whether what this process's own filter was seen doing
 * (filter-probe.ts) is what that profile says.
 */
import {
  type Environment,
  type ErrnoName,
  errnoName,
  type SeccompVerdict,
  seccompVerdict,
  typicalCtxAddress,
} from '../../model/index.js';
import type { CallObservation, ObservedKind, ProbedCall } from './filter-probe.js';

/** What the model says a call does under the profile. */
export interface CallVerdict {
  readonly call: ProbedCall;
  readonly shown: string;
  readonly verdict: SeccompVerdict;
}

/**
 * io_setup(nrEvents, &ctx) and io_destroy(ctx) of a typical process: ctx a
 * user address as mmap gives (the model's typical one), the handle a ring's.
 */
export function profileVerdicts(env: Environment, nrEvents: number): readonly CallVerdict[] {
  const user = typicalCtxAddress('zero');
  return [
    {
      call: 'io_setup',
      shown: `io_setup(${nrEvents}, &ctx)`,
      verdict: seccompVerdict(env, 'io_setup', [BigInt(nrEvents), user]),
    },
    {
      call: 'io_destroy',
      shown: 'io_destroy(ctx)',
      verdict: seccompVerdict(env, 'io_destroy', [user]),
    },
  ];
}

/** The verdict for exactly the call the probe made (io_setup with a nonzero *ctx, io_destroy(0)). */
export function verdictForProbe(
  env: Environment,
  o: CallObservation,
  nrEvents: number,
): SeccompVerdict {
  return o.call === 'io_setup'
    ? seccompVerdict(env, 'io_setup', [BigInt(nrEvents), typicalCtxAddress('nonzero')])
    : seccompVerdict(env, 'io_destroy', [0n]);
}

const KIND_OF_ACTION: Readonly<Record<SeccompVerdict['action'], ObservedKind>> = {
  allow: 'kernel',
  log: 'kernel',
  errno: 'errno',
  trace: 'errno',
  'user-notif': 'errno',
  trap: 'trap',
  'kill-process': 'killed',
  'kill-thread': 'killed',
};

const nameOf = (n: number | null): ErrnoName | number | null =>
  n === null ? null : (errnoName(n) ?? n);

/** Whether an observed call is what the verdict predicts (kind, and the errno when a filter answered). */
export function observationMatches(o: CallObservation, v: SeccompVerdict): boolean {
  const kind = KIND_OF_ACTION[v.action];
  if (kind !== o.kind) return false;
  return kind !== 'errno' || nameOf(v.errno) === o.errno;
}

/** A verdict in a few words: `EPERM (SCMP_ACT_ERRNO)`, `allowed`, `killed by SIGSYS`. */
export function verdictText(v: SeccompVerdict): string {
  switch (KIND_OF_ACTION[v.action]) {
    case 'kernel':
      return v.action === 'log' ? 'allowed (logged)' : 'allowed';
    case 'errno':
      return `-1 ${nameOf(v.errno)} (blocked: ${v.action})`;
    case 'trap':
      return `SIGSYS delivered, the call skipped (trap; returns ${v.returned})`;
    default:
      return `the process is killed by SIGSYS (${v.action})`;
  }
}

/** An observation in a few words. */
export function observationText(o: CallObservation): string {
  switch (o.kind) {
    case 'kernel':
      return `-1 ${o.errno}: reached the kernel (the filter allows it)`;
    case 'errno':
      return `-1 ${o.errno}: blocked (the filter answers, not the kernel, which says EINVAL here)`;
    case 'trap':
      return `returned ${o.ret} with SIGSYS: trapped (the call did not run)`;
    case 'killed':
      return 'the process was killed by SIGSYS: the filter kills callers';
    case 'unknown':
      return `not known (${o.note})`;
  }
}

/** Whether the filter keeps io_setup(N) from running (it errs, traps or kills). */
export function blocks(v: SeccompVerdict): boolean {
  return KIND_OF_ACTION[v.action] !== 'kernel';
}
