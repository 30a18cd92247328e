/**
 * What the process's seccomp filters do with one io_setup or io_destroy call:
 * every filter is run on the call's number and arguments, as the kernel runs
 * them, and the most restrictive answer wins (kernel/seccomp.c
 * seccomp_run_filters(): filters are walked from the newest to the oldest and
 * a result replaces the current one only when ACTION_ONLY() is strictly
 * smaller, so among equal actions the newest filter's data wins).
 */
import type { CtxKind } from './abi/ctx-kinds.js';
import { errnoName, errnoNumber } from './abi/errno.js';
import {
  type ArgCmp,
  actionRank,
  type FilterAction,
  MAX_ERRNO,
  type SeccompActionKind,
  type SeccompFilter,
} from './abi/seccomp.js';
import { SYSCALLS_X86_64 } from './abi/syscall-table.js';
import type { Environment } from './env.js';
import { defaultLabel } from './seccomp-profile.js';

const U64_MASK = (1n << 64n) - 1n;

/**
 * libseccomp's comparisons, on the full 64-bit argument, unsigned. (Its BPF
 * splits each into a compare of the high 32-bit words and then of the low
 * ones; the result is the same as comparing the two u64 values, which is what
 * real/seccomp-bpf.ts's compiler is tested against.)
 */
const CMP: Readonly<Record<ArgCmp['op'], (arg: bigint, a: bigint, b: bigint) => boolean>> = {
  NE: (x, a) => x !== a,
  LT: (x, a) => x < a,
  LE: (x, a) => x <= a,
  EQ: (x, a) => x === a,
  GE: (x, a) => x >= a,
  GT: (x, a) => x > a,
  MASKED_EQ: (x, mask, want) => (x & mask) === want,
};

export function argMatches(c: ArgCmp, args: readonly bigint[]): boolean {
  const x = (args[c.index] ?? 0n) & U64_MASK;
  return CMP[c.op](x, c.value & U64_MASK, c.valueTwo & U64_MASK);
}

/** What one filter returns for a call: its action and the profile rule that decided. */
export interface FilterResult {
  readonly action: FilterAction;
  /** The profile rule, e.g. `syscalls[3] (io_setup: SCMP_ACT_ERRNO errnoRet 1)` or `defaultAction (...)`. */
  readonly rule: string;
  readonly source: string;
  /** The SCMP_ARCH_* the filter was resolved for (a TRAP's return value depends on it); absent for the legacy sandbox. */
  readonly arch?: string;
}

/** Run one filter: the first entry naming the syscall whose conditions hold, else the default. */
export function runSeccompFilter(
  f: SeccompFilter,
  syscall: string,
  args: readonly bigint[],
): FilterResult {
  for (const e of f.entries) {
    if (!e.names.includes(syscall)) continue;
    if (e.alternatives.some((alt) => alt.every((c) => argMatches(c, args))))
      return { action: e.action, rule: e.label, source: f.source, arch: f.arch };
  }
  return { action: f.defaultAction, rule: defaultLabel(f), source: f.source, arch: f.arch };
}

/**
 * What each action does to the caller (kernel/seccomp.c __seccomp_filter()):
 * whether the syscall runs, what it returns instead, what signal comes.
 */
export interface ActionEffect {
  /** The syscall itself runs. */
  readonly runs: boolean;
  /** The errno the caller gets instead ('data': the action's data, capped at MAX_ERRNO). */
  readonly errno: 'data' | 'ENOSYS' | null;
  /** killed: the thread or process dies of SIGSYS; delivered: SIGSYS is sent and the call returns. */
  readonly signal: 'killed' | 'delivered' | null;
  readonly why: string;
}

export const ACTION_EFFECTS: Readonly<Record<SeccompActionKind, ActionEffect>> = {
  'kill-process': {
    runs: false,
    errno: null,
    signal: 'killed',
    why: 'SECCOMP_RET_KILL_PROCESS: do_group_exit(SIGSYS), the whole process dies (a core dump if allowed)',
  },
  'kill-thread': {
    runs: false,
    errno: null,
    signal: 'killed',
    why: 'SECCOMP_RET_KILL_THREAD: do_exit(SIGSYS) of the calling thread; the process dies with it when it is its only thread',
  },
  trap: {
    runs: false,
    errno: null,
    signal: 'delivered',
    why: 'SECCOMP_RET_TRAP: syscall_rollback() restores the return register to its value at entry (x86_64: orig_ax, the syscall number; arm64: orig_x0, the first argument), SIGSYS (si_code SYS_SECCOMP) is sent and the call is skipped: a handler that returns sees that value as the result (a process without a SIGSYS handler dies of the signal)',
  },
  errno: {
    runs: false,
    errno: 'data',
    signal: null,
    why: 'SECCOMP_RET_ERRNO: syscall_set_return_value(-data), data capped at MAX_ERRNO (4095)',
  },
  'user-notif': {
    runs: false,
    errno: 'ENOSYS',
    signal: null,
    why: 'SECCOMP_RET_USER_NOTIF with no listener: seccomp_do_user_notification() answers -ENOSYS',
  },
  trace: {
    runs: false,
    errno: 'ENOSYS',
    signal: null,
    why: 'SECCOMP_RET_TRACE with no tracer (!ptrace_event_enabled(PTRACE_EVENT_SECCOMP)): syscall_set_return_value(-ENOSYS), skipped',
  },
  log: {
    runs: true,
    errno: null,
    signal: null,
    why: 'SECCOMP_RET_LOG: seccomp_log() records it, then the call runs',
  },
  allow: { runs: true, errno: null, signal: null, why: 'SECCOMP_RET_ALLOW: the call runs' },
};

/** What the filters decided for one call. */
export interface SeccompVerdict {
  readonly action: SeccompActionKind;
  /** The errno number the caller gets instead of running the call (capped), or null. */
  readonly errno: number | null;
  readonly signal: 'killed' | 'delivered' | null;
  /**
   * TRAP only: the raw value the call returns once a SIGSYS handler returns (what
   * syscall_rollback() left in the return register); null for every other action.
   */
  readonly returned: bigint | null;
  /** The rule that decided, with its profile: `file.json syscalls[3] (...)`; 'no filter' when none. */
  readonly rule: string;
}

export const NO_FILTER: SeccompVerdict = {
  action: 'allow',
  errno: null,
  signal: null,
  returned: null,
  rule: 'no seccomp filter',
};

/**
 * What syscall_rollback() puts back in the return register, per architecture
 * (arch/x86/include/asm/syscall.h: regs->ax = regs->orig_ax; arm64's:
 * regs->regs[0] = regs->orig_x0). null: an architecture the model has no rule for.
 */
const ROLLBACK: Readonly<
  Record<string, (syscall: string, args: readonly bigint[]) => bigint | null>
> = {
  SCMP_ARCH_X86_64: (syscall) =>
    SYSCALLS_X86_64[syscall] === undefined ? null : BigInt(SYSCALLS_X86_64[syscall]!),
  SCMP_ARCH_AARCH64: (_syscall, args) => (args[0] ?? 0n) & U64_MASK,
};

function verdictOf(r: FilterResult, syscall: string, args: readonly bigint[]): SeccompVerdict {
  const effect = ACTION_EFFECTS[r.action.kind];
  const errno =
    effect.errno === 'data'
      ? Math.min(r.action.data, MAX_ERRNO)
      : effect.errno === 'ENOSYS'
        ? errnoNumber('ENOSYS')
        : null;
  const returned =
    r.action.kind === 'trap' ? (ROLLBACK[r.arch ?? '']?.(syscall, args) ?? null) : null;
  return {
    action: r.action.kind,
    errno,
    signal: effect.signal,
    returned,
    rule: `${r.source} ${r.rule}`,
  };
}

/**
 * The raw result of a call the filters stopped without an errno: a TRAP's
 * rolled-back register (as a double: exact up to 2^53, which every x86_64
 * syscall number and every u32 nr_events is), 0 where the call never returns.
 */
export function trapReturn(v: SeccompVerdict): number {
  return v.returned === null ? 0 : Number(v.returned);
}

/** Filters in the order the kernel walks them (newest first) for a syscall; the legacy errno sandbox is the newest. */
function results(env: Environment, syscall: string, args: readonly bigint[]): FilterResult[] {
  const out: FilterResult[] = [];
  if (syscall === 'io_setup' && env.seccomp.action === 'errno')
    out.push({
      action: { kind: 'errno', data: errnoNumber(env.seccomp.errno) },
      rule: `io_setup: SECCOMP_RET_ERRNO(${env.seccomp.errno})`,
      source: 'the sandbox filter',
    });
  const filters = env.seccompFilters ?? [];
  for (let i = filters.length - 1; i >= 0; i--)
    out.push(runSeccompFilter(filters[i]!, syscall, args));
  return out;
}

/** The verdict of every filter of the process on a call (NO_FILTER when it has none). */
/** The AIO syscalls whose seccomp verdict the model computes. */
export type AioSyscall =
  | 'io_setup'
  | 'io_destroy'
  | 'io_submit'
  | 'io_getevents'
  | 'io_pgetevents'
  | 'io_cancel';

export function seccompVerdict(
  env: Environment,
  syscall: AioSyscall,
  args: readonly bigint[],
): SeccompVerdict {
  let best: FilterResult | null = null;
  for (const r of results(env, syscall, args))
    if (best === null || actionRank(r.action.kind) < actionRank(best.action.kind)) best = r;
  return best === null ? NO_FILTER : verdictOf(best, syscall, args);
}

/**
 * The address io_setup's second argument is taken to have when the caller
 * did not say (explain): NULL is 0 and the kernel-half pointer x86_64's first
 * kernel address; every user-half kind is a typical mmap address. A run passes
 * the worker's real address.
 */
export function typicalCtxAddress(kind: CtxKind): bigint {
  if (kind === 'null') return 0n;
  if (kind === 'kernel') return 0xffff_8000_0000_0000n;
  return 0x7f00_0000_0000n;
}

/** io_setup(nr_events, ctx_idp) and io_destroy(ctx) take 2 and 1 arguments; the other registers hold whatever the caller left. */
export const AIO_ARITY: Readonly<Record<'io_setup' | 'io_destroy', number>> = {
  io_setup: 2,
  io_destroy: 1,
};

/**
 * Why the model cannot follow this filter on io_setup/io_destroy, or null:
 * a rule comparing an argument the call does not have (its register holds
 * whatever the caller left there), or an errno the model does not name.
 */
export function aioFilterProblem(f: SeccompFilter): string | null {
  for (const syscall of ['io_setup', 'io_destroy'] as const) {
    const entries = f.entries.filter((e) => e.names.includes(syscall));
    for (const e of entries)
      for (const alt of e.alternatives)
        for (const c of alt)
          if (c.index >= AIO_ARITY[syscall])
            return `${e.label}: ${syscall} has ${AIO_ARITY[syscall]} argument(s); args[${c.index}] holds whatever the caller left in that register, which no model can predict`;
    for (const [label, a] of [
      ...entries.map((e) => [e.label, e.action] as const),
      [defaultLabel(f), f.defaultAction] as const,
    ]) {
      if (a.kind !== 'errno') continue;
      const n = Math.min(a.data, MAX_ERRNO);
      if (n === 0)
        return `${label}: errnoRet 0 makes ${syscall} return 0 without running, which the model does not follow`;
      if (errnoName(n) === undefined)
        return `${label}: errno ${n} (errnoRet ${a.data}, capped at MAX_ERRNO ${MAX_ERRNO}) is not one the model names`;
    }
  }
  return null;
}

/**
 * The family calls' arguments the model passes to the filters: the handle and
 * the counts; the pointers (iocbpp, events, timeout, usig, iocb, result) are
 * addresses only the worker knows.
 */
export const FAMILY_KNOWN_ARGS: Readonly<
  Record<'io_submit' | 'io_getevents' | 'io_pgetevents' | 'io_cancel', number>
> = {
  io_submit: 2,
  io_getevents: 3,
  io_pgetevents: 3,
  io_cancel: 1,
};

/**
 * Why the model cannot follow this filter on the family calls, or null: a rule
 * comparing a pointer argument, or an errno the model does not name
 * (io_setup/io_destroy are aioFilterProblem's).
 */
export function familyFilterProblem(f: SeccompFilter): string | null {
  for (const syscall of Object.keys(FAMILY_KNOWN_ARGS) as (keyof typeof FAMILY_KNOWN_ARGS)[]) {
    const known = FAMILY_KNOWN_ARGS[syscall];
    const entries = f.entries.filter((e) => e.names.includes(syscall));
    for (const e of entries)
      for (const alt of e.alternatives)
        for (const c of alt)
          if (c.index >= known)
            return `${e.label}: ${syscall}'s args[${c.index}] is a pointer whose value only the worker knows`;
    for (const [label, a] of [
      ...entries.map((e) => [e.label, e.action] as const),
      [defaultLabel(f), f.defaultAction] as const,
    ]) {
      if (a.kind !== 'errno') continue;
      const n = Math.min(a.data, MAX_ERRNO);
      if (n === 0)
        return `${label}: errnoRet 0 makes ${syscall} return 0 without running, which the model does not follow`;
      if (errnoName(n) === undefined)
        return `${label}: errno ${n} (errnoRet ${a.data}, capped at MAX_ERRNO ${MAX_ERRNO}) is not one the model names`;
    }
  }
  return null;
}
