/**
 * A rule is one decision of the syscall: an errno, the condition in words,
 * where it comes from, and the predicate. Rules are evaluated in the order a
 * profile lists them; the first whose predicate holds decides the call
 * (first failure wins, as in the kernel's sequence of early returns).
 */
import type { ErrnoName } from '../abi/errno.js';

export interface RuleSource {
  /** Where the man page says it (section and errno), or why it does not. */
  readonly man: string;
  /** The Linux function and statement (fs/aio.c unless said otherwise). */
  readonly linux?: string;
  /** gVisor's function (pkg/sentry/...), where the rule applies there. */
  readonly gvisor?: string;
}

/**
 * What a kernel must offer for a rule to decide a real call, as LTP's
 * `.needs_kconfigs` says it of a test: kernel fault injection (an allocation
 * made to fail), no AIO at all (CONFIG_AIO=n), or a run under a seccomp
 * profile whose action is the rule's (--seccomp-profile).
 */
export type KernelFeature =
  | 'fault-injection'
  | 'no-aio'
  | 'seccomp-profile'
  /** A kernel without a block layer (CONFIG_BLOCK=n: ioprio_check_cap() is a stub). */
  | 'no-block'
  /** A caller without CAP_SYS_NICE and CAP_SYS_ADMIN (realtime I/O priority refused). */
  | 'no-rt-ioprio';

export interface Rule<Id extends string, Facts> {
  readonly id: Id;
  /** The errno it returns; 'filter' = whatever the seccomp filter says; null = success. */
  readonly errno: ErrnoName | 'filter' | null;
  /** The condition under which this rule decides the call, in words. */
  readonly when: string;
  readonly source: RuleSource;
  /**
   * Set when no input the model accepts can make the rule decide, with the reason
   * (e.g. the caller is already dying). Such a rule is listed for completeness.
   */
  readonly unobservable?: string;
  /** What the kernel under test must offer for this rule to decide a real call; absent: any kernel. */
  readonly needs?: readonly KernelFeature[];
  readonly decides: (facts: Facts) => boolean;
}

export interface Decision<Id extends string> {
  readonly rule: Id;
  /** The rules evaluated, in order; every one but the last passed. */
  readonly trail: readonly Id[];
}

/** Walk `order` and return the first rule that decides. The last rule of every profile always decides. */
export function decide<Id extends string, Facts>(
  table: Readonly<Record<Id, Rule<Id, Facts>>>,
  order: readonly Id[],
  facts: Facts,
): Decision<Id> {
  for (let i = 0; i < order.length; i++) {
    const id = order[i]!;
    if (table[id].decides(facts)) return { rule: id, trail: order.slice(0, i + 1) };
  }
  throw new Error(`rule order ${order.join(',')} has no final rule`);
}
