/**
 * What the kernel the worker runs on offers beyond io_setup itself, detected
 * from inside it (the host's kernel, a UML guest, a gVisor sandbox): the
 * conformance run derives which model rules it can reach from these, and says
 * them in its report.
 */
import { existsSync } from 'node:fs';
import { ERRNO } from '../model/abi/errno.js';
import type { KernelFeatures } from './protocol.js';

export type { KernelFeatures };

/** What the detection looks at (kept apart so that each case can be tested without such a kernel). */
export interface FeatureEvidence {
  readonly failNth: boolean;
  /**
   * errno of io_setup(0, &0): EINVAL where the kernel has AIO (it makes no
   * context), ENOSYS where it has none or a filter says so; undefined when not
   * probed (the sysctls alone decide).
   */
  readonly probeErrno: number | null | undefined;
  readonly seccompMode: number | null;
  readonly aioSysctls: boolean;
  readonly gvisor: boolean;
  /** /proc/partitions exists: block/genhd.c makes it, and only a CONFIG_BLOCK kernel builds that file. */
  readonly procPartitions: boolean;
}

export function kernelFeatures(e: FeatureEvidence): KernelFeatures {
  const enosys = e.probeErrno === undefined || e.probeErrno === ERRNO.ENOSYS.n;
  const kernelEnosys = enosys && e.seccompMode !== 2 && !e.aioSysctls && !e.gvisor;
  // gVisor has no block layer of Linux's kind and no /proc/partitions; its profile never asks.
  return { faultInjection: e.failNth, aio: !kernelEnosys, block: e.procPartitions || e.gvisor };
}

/** Whether this kernel has a block layer (CONFIG_BLOCK): /proc/partitions, from block/genhd.c. */
export function procPartitionsPresent(): boolean {
  return existsSync('/proc/partitions');
}

/** Whether this thread can ask for its Nth allocation to fail. */
export function failNthPresent(): boolean {
  return existsSync('/proc/thread-self/fail-nth') || existsSync('/proc/self/fail-nth');
}
