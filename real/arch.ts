/**
 * Syscall numbers and address-space facts per architecture, as data.
 * Sources: arch/x86/entry/syscalls/syscall_64.tbl, syscall_32.tbl,
 * arch/arm/tools/syscall.tbl, include/uapi/asm-generic/unistd.h (arm64, riscv64),
 * arch/powerpc/kernel/syscalls/syscall.tbl, arch/s390/kernel/syscalls/syscall.tbl.
 */

export interface SyscallNumbers {
  readonly io_setup: number;
  readonly io_destroy: number;
  readonly io_getevents: number;
  readonly io_submit: number;
  readonly io_cancel: number;
  readonly io_pgetevents: number;
  /** seccomp(2), for installing the sandbox filter with SECCOMP_FILTER_FLAG_TSYNC. */
  readonly seccomp: number;
}

export interface ArchInfo {
  /** `uname -m`. */
  readonly machine: string;
  readonly syscalls: SyscallNumbers;
  /** AUDIT_ARCH_* as seen in seccomp_data.arch (include/uapi/linux/audit.h). */
  readonly auditArch: number;
  /** An address in the kernel half of the address space: any access from user mode faults. */
  readonly kernelAddress: bigint;
  /** Whether the raw syscall backend is wired for this architecture (the others are kept as data). */
  readonly supported: boolean;
}

/** Node's process.arch -> facts. */
export const ARCHES: Readonly<Record<string, ArchInfo>> = {
  x64: {
    machine: 'x86_64',
    syscalls: {
      io_setup: 206,
      io_destroy: 207,
      io_getevents: 208,
      io_submit: 209,
      io_cancel: 210,
      io_pgetevents: 333,
      seccomp: 317,
    },
    auditArch: 0xc000003e,
    kernelAddress: 0xffff_8000_0000_0000n,
    supported: true,
  },
  arm64: {
    machine: 'aarch64',
    syscalls: {
      io_setup: 0,
      io_destroy: 1,
      io_submit: 2,
      io_cancel: 3,
      io_getevents: 4,
      io_pgetevents: 292,
      seccomp: 277,
    },
    auditArch: 0xc00000b7,
    kernelAddress: 0xffff_0000_0000_0000n,
    supported: true,
  },
  riscv64: {
    machine: 'riscv64',
    syscalls: {
      io_setup: 0,
      io_destroy: 1,
      io_submit: 2,
      io_cancel: 3,
      io_getevents: 4,
      io_pgetevents: 292,
      seccomp: 277,
    },
    auditArch: 0xc00000f3,
    kernelAddress: 0xffff_ffc0_0000_0000n,
    supported: false,
  },
  ia32: {
    machine: 'i686',
    syscalls: {
      io_setup: 245,
      io_destroy: 246,
      io_getevents: 247,
      io_submit: 248,
      io_cancel: 249,
      io_pgetevents: 385,
      seccomp: 354,
    },
    auditArch: 0x40000003,
    kernelAddress: 0xc000_0000n,
    supported: false,
  },
  arm: {
    machine: 'armv7l',
    syscalls: {
      io_setup: 243,
      io_destroy: 244,
      io_getevents: 245,
      io_submit: 246,
      io_cancel: 247,
      io_pgetevents: 399,
      seccomp: 383,
    },
    auditArch: 0x40000028,
    kernelAddress: 0xc000_0000n,
    supported: false,
  },
  ppc64: {
    machine: 'ppc64le',
    syscalls: {
      io_setup: 227,
      io_destroy: 228,
      io_getevents: 229,
      io_submit: 230,
      io_cancel: 231,
      io_pgetevents: 388,
      seccomp: 358,
    },
    auditArch: 0xc0000015,
    kernelAddress: 0xc000_0000_0000_0000n,
    supported: false,
  },
  s390x: {
    machine: 's390x',
    syscalls: {
      io_setup: 243,
      io_destroy: 244,
      io_getevents: 245,
      io_submit: 246,
      io_cancel: 247,
      io_pgetevents: 382,
      seccomp: 348,
    },
    auditArch: 0x80000016,
    kernelAddress: 0x0n, // s390 has separate user and kernel address spaces; no user address is "the kernel's"
    supported: false,
  },
};

/** Thrown whenever the real backend cannot run here; model-only commands are unaffected. */
export class RealUnavailable extends Error {
  override name = 'RealUnavailable';
  constructor(why: string) {
    super(`real backend unavailable: ${why}`);
  }
}

/** The running architecture's facts, or RealUnavailable. */
export function currentArch(
  platform: string = process.platform,
  arch: string = process.arch,
): ArchInfo {
  if (platform !== 'linux') throw new RealUnavailable(`this is ${platform}, not Linux`);
  const info = ARCHES[arch];
  if (!info) throw new RealUnavailable(`unknown architecture ${arch}`);
  if (!info.supported)
    throw new RealUnavailable(
      `architecture ${arch} (${info.machine}) is described but not wired up yet; x64 and arm64 are`,
    );
  return info;
}
