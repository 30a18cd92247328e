/**
 * The names of the rules, on their own: profiles list them and tables define
 * them, and neither needs the other's imports (facts, state) to say a name.
 */

/** io_setup's rules (rules/io-setup-rules.ts). */
export type SetupRuleId =
  | 'seccomp.errno'
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
  | 'kernel.no-aio-destroy'
  | 'destroy.id-fault'
  | 'destroy.no-table'
  | 'destroy.id-out-of-range'
  | 'destroy.slot-empty'
  | 'destroy.handle-mismatch'
  | 'gvisor.destroy-unreadable'
  | 'gvisor.destroy-not-context'
  | 'destroy.ok';
