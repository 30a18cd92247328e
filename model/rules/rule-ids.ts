/**
 * The names of the rules, on their own: profiles list them and tables define
 * them, and neither needs the other's imports (facts, state) to say a name.
 */

/** io_setup's rules (rules/io-setup-rules.ts). */
export type SetupRuleId =
  | 'seccomp.kill-process'
  | 'seccomp.kill-thread'
  | 'seccomp.trap'
  | 'seccomp.errno'
  | 'seccomp.user-notif'
  | 'seccomp.trace'
  | 'kernel.no-aio'
  | 'setup.ctx-fault'
  | 'setup.ctx-nonzero'
  | 'setup.nr-zero'
  | 'setup.internal-limit'
  | 'setup.ne-wrapped-zero'
  | 'setup.over-max'
  | 'setup.kmem'
  | 'setup.ring-pages'
  | 'setup.mmap-lock-killed'
  | 'setup.ring-mmap'
  | 'setup.over-available'
  | 'setup.table-grow'
  | 'gvisor.id-collision'
  | 'setup.ctx-write-fault'
  | 'setup.ok';

/** io_destroy's rules (rules/io-destroy-rules.ts). */
export type DestroyRuleId =
  | 'seccomp.destroy-kill-process'
  | 'seccomp.destroy-kill-thread'
  | 'seccomp.destroy-trap'
  | 'seccomp.destroy-errno'
  | 'seccomp.destroy-user-notif'
  | 'seccomp.destroy-trace'
  | 'kernel.no-aio-destroy'
  | 'destroy.id-fault'
  | 'destroy.no-table'
  | 'destroy.id-out-of-range'
  | 'destroy.slot-empty'
  | 'destroy.handle-mismatch'
  | 'gvisor.destroy-unreadable'
  | 'gvisor.destroy-not-context'
  | 'destroy.ok';

/** The seccomp rules of each call, in the kernel's precedence (the most restrictive action first). */
export const SECCOMP_SETUP_RULES = [
  'seccomp.kill-process',
  'seccomp.kill-thread',
  'seccomp.trap',
  'seccomp.errno',
  'seccomp.user-notif',
  'seccomp.trace',
] as const satisfies readonly SetupRuleId[];

export const SECCOMP_DESTROY_RULES = [
  'seccomp.destroy-kill-process',
  'seccomp.destroy-kill-thread',
  'seccomp.destroy-trap',
  'seccomp.destroy-errno',
  'seccomp.destroy-user-notif',
  'seccomp.destroy-trace',
] as const satisfies readonly DestroyRuleId[];

/** The rest of the AIO family's rules (io_submit, io_getevents, io_pgetevents, io_cancel). */
export * from './family-rule-ids.js';
