/**
 * Which Linux the family model follows, as data: the few behaviours of
 * io_submit that differ between the three targets (aio-family.md §1.3), and
 * the mapping from a kernel release string to one of them. gVisor is a
 * profile of its own (model/profiles.ts), not a version here.
 */
import type { Environment } from '../env.js';

export type FamilyKernel = '6.1' | '6.12' | '6.18';

export const FAMILY_KERNELS: readonly FamilyKernel[] = ['6.1', '6.12', '6.18'];

export interface FamilyKernelFacts {
  readonly title: string;
  /** RWF_SUPPORTED: aio_rw_flags bits kiocb_set_rw_flags() accepts at all (others: EOPNOTSUPP). */
  readonly rwfSupported: number;
  /** RWF_APPEND|RWF_NOAPPEND together is EINVAL (the NOAPPEND patch, 6.9). */
  readonly appendConflict: boolean;
  /** Pipes carry FMODE_NOWAIT (the 2023-03 pipe patch, assumed v6.4): RWF_NOWAIT accepted, empty pipe → -EAGAIN. */
  readonly pipeNowait: boolean;
  /** ioprio_check_cap() checks only the 3-bit level (hint bits 3–12 allowed, ~6.5); before, the 13-bit data. */
  readonly ioprioHints: boolean;
}

/** aio-family.md §1.3, one row per target. */
export const FAMILY_KERNEL_FACTS: Readonly<Record<FamilyKernel, FamilyKernelFacts>> = {
  '6.1': {
    title: 'Linux 6.1 (and older 5.x/6.x: same rules)',
    rwfSupported: 0x1f,
    appendConflict: false,
    pipeNowait: false,
    ioprioHints: false,
  },
  '6.12': {
    title: 'Linux 6.9 to 6.13 (6.12 LTS): +RWF_NOAPPEND, +RWF_ATOMIC',
    rwfSupported: 0x7f,
    appendConflict: true,
    pipeNowait: true,
    ioprioHints: true,
  },
  '6.18': {
    title: 'Linux 6.14 and later (6.18): +RWF_DONTCACHE, +0x100',
    // Measured on 6.18.44 (x86_64): bit 0x100 is accepted on tmpfs reads and writes, 0x200 and
    // above are EOPNOTSUPP. 0x100 is RWF_NOSIGNAL by its uapi value [unverified: the release that
    // added it]; a 6.14-6.17 kernel that lacks it would show as a divergence on that bit.
    rwfSupported: 0x1ff,
    appendConflict: true,
    pipeNowait: true,
    ioprioHints: true,
  },
};

/**
 * The target a release string ("6.1.153", "6.18.44-fc-v657", "5.15.0-91-generic")
 * follows: 6.14+ → 6.18, 6.9..6.13 → 6.12, anything older (or unparsable) → 6.1.
 * (Between 6.4 and 6.8 pipes already had NOWAIT and ioprio hints existed; the
 * model has no row for them and follows 6.1, which the differential run would show.)
 */
export function familyKernel(release: string): FamilyKernel {
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  if (!m) return '6.1';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major > 6 || (major === 6 && minor >= 14)) return '6.18';
  if (major === 6 && minor >= 9) return '6.12';
  return '6.1';
}

/**
 * The environment of a family call: the io_setup environment (profile, CPUs,
 * page size, seccomp filters, CONFIG_AIO) plus the Linux target and whether the
 * caller may ask for realtime I/O priority (CAP_SYS_NICE or CAP_SYS_ADMIN).
 */
export interface FamilyEnv extends Environment {
  /** Absent: 6.18. Ignored by the gVisor profile. */
  readonly kernel?: FamilyKernel;
  /** CAP_SYS_NICE or CAP_SYS_ADMIN in the caller's effective set (R1's EPERM); absent: false. */
  readonly rtIoprio?: boolean;
  /**
   * CONFIG_BLOCK=y. Without a block layer ioprio_check_cap() is the stub in
   * include/linux/ioprio.h returning -ENOTBLK (6.1 and 6.12 alike), so every
   * read/write iocb with IOCB_FLAG_IOPRIO fails with it, whatever its priority.
   * Seen on the small UML kernels (debian-6.1-fault 6.1.192, debian-6.12-fault
   * 6.12.117: `# CONFIG_BLOCK is not set`): io_submit → -1 ENOTBLK. Absent: true.
   */
  readonly blockLayer?: boolean;
  /**
   * The worker is pinned to one CPU (sched_setaffinity) and nothing completes
   * elsewhere: the EAGAIN boundary is exact (§6.3). Absent: true. When false,
   * submissions past the lower bound L are flagged as doubtful.
   */
  readonly pinned?: boolean;
}

export function kernelOf(env: FamilyEnv): FamilyKernel {
  return env.kernel ?? '6.18';
}
