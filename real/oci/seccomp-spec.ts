/**
 * A seccomp profile resolved for this architecture (model/abi/seccomp.ts), written back as
 * the OCI runtime-spec's `linux.seccomp` object, for the OCI runtime (runc, crun) to compile
 * with libseccomp: what Docker does with its own format (moby converts its profile for the
 * container's architecture and capabilities, and hands the runtime this object). The
 * filter in the container is then the runtime's compilation, not aiospec's: that is what
 * `--target oci` tests, and the model predicts.
 */
import type {
  ArgCmp,
  FilterAction,
  SeccompActionKind,
  SeccompFilter,
} from '../../model/abi/seccomp.js';

/** libseccomp's action names, as runc reads them (KILL_THREAD spelled out; SCMP_ACT_KILL is the same). */
const ACTION_NAMES: Readonly<Record<SeccompActionKind, string>> = {
  'kill-process': 'SCMP_ACT_KILL_PROCESS',
  'kill-thread': 'SCMP_ACT_KILL_THREAD',
  trap: 'SCMP_ACT_TRAP',
  errno: 'SCMP_ACT_ERRNO',
  'user-notif': 'SCMP_ACT_NOTIFY',
  trace: 'SCMP_ACT_TRACE',
  log: 'SCMP_ACT_LOG',
  allow: 'SCMP_ACT_ALLOW',
};

export interface OciSeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo: number;
  readonly op: string;
}

export interface OciSeccompRule {
  readonly names: readonly string[];
  readonly action: string;
  readonly errnoRet?: number;
  readonly args?: readonly OciSeccompArg[];
}

export interface OciSeccomp {
  readonly defaultAction: string;
  readonly defaultErrnoRet?: number;
  readonly architectures: readonly string[];
  readonly syscalls: readonly OciSeccompRule[];
}

/** The action and, where it carries one, its errno (runc: errnoRet for ERRNO and TRACE). */
function action(a: FilterAction): { action: string; errnoRet?: number } {
  const carries = a.kind === 'errno' || a.kind === 'trace';
  return carries
    ? { action: ACTION_NAMES[a.kind], errnoRet: a.data }
    : { action: ACTION_NAMES[a.kind] };
}

/** profile values are at most 2^53-1 (seccomp-profile.ts refuses more), so they stay exact as JSON numbers. */
function arg(c: ArgCmp): OciSeccompArg {
  return {
    index: c.index,
    value: Number(c.value),
    valueTwo: Number(c.valueTwo),
    op: `SCMP_CMP_${c.op}`,
  };
}

/**
 * The filter as `linux.seccomp`. One OCI rule per alternative: an alternative's comparisons are
 * AND-ed by runc exactly when their indexes differ, which they do once resolved (a profile
 * repeating an index was already split into alternatives of one comparison each).
 */
export function ociSeccomp(f: SeccompFilter): OciSeccomp {
  const def = action(f.defaultAction);
  return {
    defaultAction: def.action,
    ...(def.errnoRet === undefined ? {} : { defaultErrnoRet: def.errnoRet }),
    architectures: [f.arch],
    syscalls: f.entries.flatMap((e) =>
      e.alternatives.map((alt) => ({
        names: [...e.names],
        ...action(e.action),
        ...(alt.length > 0 ? { args: alt.map(arg) } : {}),
      })),
    ),
  };
}
