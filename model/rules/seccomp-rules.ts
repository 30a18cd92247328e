/**
 * What a seccomp filter does to io_setup and io_destroy, as rules: one per
 * action that stops the call (LOG and ALLOW let it run, so the kernel's rules
 * decide). The filters' combined verdict is computed once per call
 * (seccomp-eval.ts); each rule says which action it stands for, and the
 * outcome names the profile rule that produced it.
 */
import type { SeccompActionKind } from '../abi/seccomp.js';
import { ACTION_EFFECTS, type SeccompVerdict } from '../seccomp-eval.js';
import type { Rule } from './rule.js';

const MAN: Readonly<Record<string, string>> = {
  'kill-process': 'seccomp(2) SECCOMP_RET_KILL_PROCESS',
  'kill-thread': 'seccomp(2) SECCOMP_RET_KILL_THREAD',
  trap: 'seccomp(2) SECCOMP_RET_TRAP',
  errno: 'seccomp(2) SECCOMP_RET_ERRNO',
  'user-notif': 'seccomp(2) SECCOMP_RET_USER_NOTIF; seccomp_unotify(2)',
  trace:
    'seccomp(2) SECCOMP_RET_TRACE ("If there is no tracer present, the system call is not executed and returns a failure status with errno set to ENOSYS")',
};

const WHEN: Readonly<Record<string, string>> = {
  'kill-process':
    'a seccomp filter answers SECCOMP_RET_KILL_PROCESS: the process is killed by SIGSYS and the call never returns',
  'kill-thread':
    "a seccomp filter answers SECCOMP_RET_KILL_THREAD (libseccomp's SCMP_ACT_KILL): the calling thread is killed by SIGSYS",
  trap: 'a seccomp filter answers SECCOMP_RET_TRAP: SIGSYS is delivered and the call, not run, returns what was in the return register at entry (x86_64: the syscall number; arm64: the first argument)',
  errno:
    'a seccomp filter answers SECCOMP_RET_ERRNO: the call fails with that errno and never runs',
  'user-notif':
    'a seccomp filter answers SECCOMP_RET_USER_NOTIF and no supervisor listens: ENOSYS, not run',
  trace:
    'a seccomp filter answers SECCOMP_RET_TRACE and no tracer asked for PTRACE_O_TRACESECCOMP: ENOSYS, not run',
};

/** The actions that stop a call, most restrictive first (the kernel's precedence). */
export const STOPPING_ACTIONS = [
  'kill-process',
  'kill-thread',
  'trap',
  'errno',
  'user-notif',
  'trace',
] as const satisfies readonly SeccompActionKind[];

export type StoppingAction = (typeof STOPPING_ACTIONS)[number];

/** The rule for one action, for a call whose facts carry the filters' verdict. */
export function seccompRule<Id extends string, F extends { readonly seccomp: SeccompVerdict }>(
  id: Id,
  action: StoppingAction,
  /** Whether the table suite's own sandboxes reach it (io_setup's ERRNO); the others need a profile. */
  sandboxed = false,
): Rule<Id, F> {
  const effect = ACTION_EFFECTS[action];
  return {
    id,
    errno: effect.errno === null ? null : 'filter',
    when: WHEN[action]!,
    source: {
      man: `${MAN[action]} (the call's own man page lists none of this)`,
      linux: `kernel/seccomp.c __seccomp_filter(): ${effect.why}`,
      ...(action === 'errno'
        ? { gvisor: 'pkg/sentry/kernel/seccomp.go: linux.SECCOMP_RET_ERRNO' }
        : {}),
    },
    ...(sandboxed ? {} : { needs: ['seccomp-profile' as const] }),
    decides: (f) => f.seccomp.action === action,
  };
}
