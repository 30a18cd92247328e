/**
 * seccomp filters as the kernel sees them: the return actions, their order,
 * and a filter resolved for one architecture as data (what a profile says
 * once its includes/excludes, archMap and errno defaults are settled). The
 * model evaluates this data; real/ compiles the same data to classic BPF.
 *
 * Sources: include/uapi/linux/seccomp.h (SECCOMP_RET_*, struct seccomp_data),
 * include/linux/err.h (MAX_ERRNO), kernel/seccomp.c, libseccomp's seccomp.h
 * (SCMP_ACT_*, SCMP_CMP_*) and seccomp_rule_add(3).
 */

/** The kernel's actions, from most to least restrictive. */
export type SeccompActionKind =
  | 'kill-process'
  | 'kill-thread'
  | 'trap'
  | 'errno'
  | 'user-notif'
  | 'trace'
  | 'log'
  | 'allow';

/**
 * SECCOMP_RET_* (include/uapi/linux/seccomp.h). The kernel orders actions by
 * the signed value of `ret & SECCOMP_RET_ACTION_FULL` (ACTION_ONLY() in
 * kernel/seccomp.c): the smallest wins across stacked filters, which is why
 * KILL_PROCESS is 0x80000000 (negative as s32).
 */
export const SECCOMP_RET: Readonly<Record<SeccompActionKind, number>> = {
  'kill-process': 0x8000_0000,
  'kill-thread': 0x0000_0000,
  trap: 0x0003_0000,
  errno: 0x0005_0000,
  'user-notif': 0x7fc0_0000,
  trace: 0x7ff0_0000,
  log: 0x7ffc_0000,
  allow: 0x7fff_0000,
};

export const SECCOMP_RET_ACTION_FULL = 0xffff_0000;
export const SECCOMP_RET_DATA = 0x0000_ffff;

/** include/linux/err.h: __seccomp_filter() caps SECCOMP_RET_ERRNO's data at this. */
export const MAX_ERRNO = 4095;

/** An action with its 16-bit data (the errno of ERRNO, the message of TRACE). */
export interface FilterAction {
  readonly kind: SeccompActionKind;
  readonly data: number;
}

/** The value a filter program returns for this action. */
export function actionValue(a: FilterAction): number {
  return (SECCOMP_RET[a.kind] | (a.data & SECCOMP_RET_DATA)) >>> 0;
}

/** The kernel's precedence: smaller is more restrictive (ACTION_ONLY() compares as s32). */
export function actionRank(kind: SeccompActionKind): number {
  return SECCOMP_RET[kind] | 0;
}

/**
 * libseccomp's comparisons (enum scmp_compare), all on the full 64-bit argument,
 * unsigned. MASKED_EQ: (arg & value) == valueTwo.
 */
export type CmpOp = 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';

export const CMP_OPS: readonly CmpOp[] = ['NE', 'LT', 'LE', 'EQ', 'GE', 'GT', 'MASKED_EQ'];

export interface ArgCmp {
  /** seccomp_data.args[index], 0..5. */
  readonly index: number;
  readonly op: CmpOp;
  /** u64 (for MASKED_EQ: the mask). */
  readonly value: bigint;
  /** u64 (for MASKED_EQ: what the masked argument must equal; otherwise unused). */
  readonly valueTwo: bigint;
}

/**
 * One rule of a profile as it applies on this architecture. It matches a call
 * of one of `names` when any of `alternatives` holds, each alternative being
 * comparisons that must all hold (an empty one: always). runc and Docker add
 * a rule's args as one AND-ed libseccomp rule, except when two args name the
 * same index: then each arg becomes a rule of its own (an OR).
 */
export interface FilterEntry {
  /** How a person finds it in the profile: `syscalls[3]` and what it says. */
  readonly label: string;
  readonly names: readonly string[];
  readonly action: FilterAction;
  readonly alternatives: readonly (readonly ArgCmp[])[];
}

/** A profile resolved for one architecture: what the kernel will run. */
export interface SeccompFilter {
  /** Where it came from (a file name). */
  readonly source: string;
  /** The SCMP_ARCH_* it was resolved for (the native one). */
  readonly arch: string;
  readonly defaultAction: FilterAction;
  readonly entries: readonly FilterEntry[];
}

/** The argument index a 64-bit argument starts at in struct seccomp_data: nr, arch, ip, then args[6]. */
export const SECCOMP_DATA_ARGS_OFFSET = 16;

/** libseccomp's architecture names and the AUDIT_ARCH_* the kernel puts in seccomp_data.arch. */
export const SCMP_ARCHES: Readonly<
  Record<string, { readonly audit: number; readonly go: string }>
> = {
  SCMP_ARCH_X86_64: { audit: 0xc000_003e, go: 'amd64' },
  SCMP_ARCH_X86: { audit: 0x4000_0003, go: '386' },
  // x32 shares AUDIT_ARCH_X86_64; its syscall numbers carry __X32_SYSCALL_BIT.
  SCMP_ARCH_X32: { audit: 0xc000_003e, go: 'x32' },
  SCMP_ARCH_AARCH64: { audit: 0xc000_00b7, go: 'arm64' },
  SCMP_ARCH_ARM: { audit: 0x4000_0028, go: 'arm' },
  SCMP_ARCH_MIPS: { audit: 0x0000_0008, go: 'mips' },
  SCMP_ARCH_MIPS64: { audit: 0x8000_0008, go: 'mips64' },
  SCMP_ARCH_MIPS64N32: { audit: 0xa000_0008, go: 'mips64n32' },
  SCMP_ARCH_MIPSEL: { audit: 0x4000_0008, go: 'mipsle' },
  SCMP_ARCH_MIPSEL64: { audit: 0xc000_0008, go: 'mips64le' },
  SCMP_ARCH_MIPSEL64N32: { audit: 0xe000_0008, go: 'mips64n32le' },
  SCMP_ARCH_PPC: { audit: 0x0000_0014, go: 'ppc' },
  SCMP_ARCH_PPC64: { audit: 0x8000_0015, go: 'ppc64' },
  SCMP_ARCH_PPC64LE: { audit: 0xc000_0015, go: 'ppc64le' },
  SCMP_ARCH_S390: { audit: 0x0000_0016, go: 's390' },
  SCMP_ARCH_S390X: { audit: 0x8000_0016, go: 's390x' },
  SCMP_ARCH_RISCV64: { audit: 0xc000_00f3, go: 'riscv64' },
  SCMP_ARCH_PARISC: { audit: 0x0000_000f, go: 'parisc' },
  SCMP_ARCH_PARISC64: { audit: 0x8000_000f, go: 'parisc64' },
  SCMP_ARCH_LOONGARCH64: { audit: 0xc000_0102, go: 'loong64' },
  SCMP_ARCH_M68K: { audit: 0x0000_0004, go: 'm68k' },
  SCMP_ARCH_SH: { audit: 0x4000_002a, go: 'sh' },
  SCMP_ARCH_SHEB: { audit: 0x0000_002a, go: 'sheb' },
};

/** x86_64's __X32_SYSCALL_BIT: x32 calls arrive with AUDIT_ARCH_X86_64 and this bit set in nr. */
export const X32_SYSCALL_BIT = 0x4000_0000;
