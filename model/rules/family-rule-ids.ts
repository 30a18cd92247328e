/**
 * The names of the family's rules (io_submit, io_getevents, io_pgetevents,
 * io_cancel), on their own, in the kernel's order (aio-family.md §2–§5, §8),
 * so coverage can list them without importing the tables.
 */

/** What a seccomp filter or a kernel without AIO does to any family call (checked before the call runs). */
export const FAMILY_GATE_RULES = [
  'seccomp.family-kill-process',
  'seccomp.family-kill-thread',
  'seccomp.family-trap',
  'seccomp.family-errno',
  'seccomp.family-user-notif',
  'seccomp.family-trace',
  'kernel.no-aio-family',
] as const;
export type FamilyGateRuleId = (typeof FAMILY_GATE_RULES)[number];

/** io_submit, syscall level (§2.1; gVisor §8). */
export const SUBMIT_RULE_IDS = [
  ...FAMILY_GATE_RULES,
  'submit.nr-negative',
  'submit.ctx-lookup',
  'submit.nr-zero',
  'gvisor.submit-nr-zero',
  'submit.loop',
] as const;
export type SubmitRuleId = (typeof SUBMIT_RULE_IDS)[number];

/** One iocb of io_submit (§2.2–§2.5; gVisor §8), Linux's order. */
export const IOCB_RULE_IDS = [
  'submit.array-fault',
  'iocb.P1.copy-fault',
  'iocb.P2.reserved2',
  'iocb.P3.nbytes-sign',
  'iocb.P4.no-slot',
  'iocb.P5.bad-fd',
  'iocb.P6.resfd-bad',
  'iocb.P6.resfd-not-eventfd',
  'iocb.P7.key-write-fault',
  'iocb.P8.opcode',
  'iocb.R1.ioprio-no-block',
  'iocb.R1.ioprio-perm',
  'iocb.R1.ioprio-invalid',
  'iocb.R2.rwf-unknown',
  'iocb.R2.rwf-append-conflict',
  'iocb.R2.rwf-nowait',
  'iocb.R2.rwf-atomic',
  'iocb.R2.rwf-dontcache',
  'iocb.R2.noappend-append-only',
  'iocb.R3.access-mode',
  'iocb.R4.no-iter',
  'iocb.R5.buffer-fault',
  'iocb.R5.iovec-count',
  'iocb.R5.iovec-fault',
  'iocb.R5.iov-len',
  'iocb.R5.iov-base-fault',
  'iocb.R6.offset',
  'iocb.R7.rw',
  'iocb.F1.fields',
  'iocb.F2.no-fsync',
  'iocb.F3.creds',
  'iocb.F4.fsync',
  'iocb.Q1.mask-bits',
  'iocb.Q2.fields',
  'iocb.Q3.no-poll-unmet',
  'iocb.Q3.poll',
  'gvisor.iocb-opcode',
  'gvisor.iocb-iovec-count',
  'gvisor.iocb-iov-len',
  'gvisor.iocb-buffer',
  'gvisor.iocb-offset',
  'gvisor.iocb-ctx',
  'gvisor.iocb-queued',
] as const;
export type IocbRuleId = (typeof IOCB_RULE_IDS)[number];

/** io_getevents (§3) and io_pgetevents (§4); gVisor (§8). */
export const GETEVENTS_RULE_IDS = [
  ...FAMILY_GATE_RULES,
  'gvisor.pgetevents-enosys',
  'getevents.timeout-fault',
  'pgetevents.usig-fault',
  'pgetevents.sigsetsize',
  'pgetevents.sigmask-fault',
  'getevents.ctx-lookup',
  'getevents.min-nr',
  'gvisor.getevents-timespec',
  'getevents.events-fault',
  'getevents.would-block',
  'getevents.interrupted',
  'getevents.collected',
] as const;
export type GeteventsRuleId = (typeof GETEVENTS_RULE_IDS)[number];

/** io_cancel (§5); gVisor (§8). */
export const CANCEL_RULE_IDS = [
  ...FAMILY_GATE_RULES,
  'gvisor.cancel-enosys',
  'cancel.key-fault',
  'cancel.key-nonzero',
  'cancel.ctx-lookup',
  'cancel.not-found',
  'cancel.in-progress',
] as const;
export type CancelRuleId = (typeof CANCEL_RULE_IDS)[number];

export type FamilyRuleId = SubmitRuleId | IocbRuleId | GeteventsRuleId | CancelRuleId;

/** Every family rule id, once (the gate rules are shared by the four calls). */
export const FAMILY_RULE_IDS: readonly FamilyRuleId[] = [
  ...new Set<FamilyRuleId>([
    ...SUBMIT_RULE_IDS,
    ...IOCB_RULE_IDS,
    ...GETEVENTS_RULE_IDS,
    ...CANCEL_RULE_IDS,
  ]),
];
