/**
 * The environment a call runs in: the sysctls, the machine, the process's
 * limits and filters, and which kernel. Everything the model needs besides
 * the call's own arguments and the process's contexts.
 */
import type { ErrnoName } from './abi/errno.js';
import type { SeccompFilter } from './abi/seccomp.js';
import type { ProfileName } from './profiles.js';
import type { PageSize } from './ring.js';
import { isU64 } from './u32.js';

/** A sandbox's own filter answering io_setup alone with an errno (the table suite's sandboxes; `--seccomp ERRNO`). */
export type SeccompAction =
  | { readonly action: 'allow' }
  | { readonly action: 'errno'; readonly errno: ErrnoName };

/**
 * Which kernel allocation fails (fault injection, e.g. CONFIG_FAILSLAB):
 * - ioctx: kmem_cache_zalloc/percpu_ref_init/alloc_percpu in ioctx_alloc()
 * - ring: aio_private_file()/find_or_create_page()/kcalloc() in aio_setup_ring()
 * - table: kzalloc() of a bigger context table in ioctx_add_table(), which
 *   only happens when every slot of the current table is taken
 */
export type AllocSite = 'ioctx' | 'ring' | 'table';

export interface Environment {
  readonly profile: ProfileName;
  /** /proc/sys/fs/aio-max-nr (unsigned long). */
  readonly aioMaxNr: bigint;
  /** /proc/sys/fs/aio-nr when the first call starts (unsigned long). */
  readonly aioNr: bigint;
  /** num_possible_cpus(): /sys/devices/system/cpu/possible, not the online CPUs. */
  readonly possibleCpus: number;
  readonly pageSize: PageSize;
  /** Bytes of address space the process may still map (RLIMIT_AS minus what it uses); null = unlimited. */
  readonly asHeadroom: bigint | null;
  /** CONFIG_AIO=y. */
  readonly aioCompiled: boolean;
  readonly seccomp: SeccompAction;
  /**
   * Whole seccomp profiles the process runs under, resolved for its architecture,
   * oldest first (a container's profile, then any the process added). The
   * `seccomp` filter above, when set, is newer than all of them.
   */
  readonly seccompFilters?: readonly SeccompFilter[];
  readonly failAlloc: AllocSite | null;
}

/** The kernel's own defaults (aio_max_nr = 0x10000 in fs/aio.c) and a 4-CPU, 4 KiB-page machine. */
export const DEFAULT_ENV: Environment = {
  profile: 'linux',
  aioMaxNr: 65536n,
  aioNr: 0n,
  possibleCpus: 4,
  pageSize: 4096,
  asHeadroom: null,
  aioCompiled: true,
  seccomp: { action: 'allow' },
  failAlloc: null,
};

/** NR_CPUS can be at most 8192 on x86_64 (CONFIG_MAXSMP); arm64 allows 4096. */
export const MAX_POSSIBLE_CPUS = 8192;

export function makeEnv(overrides: Partial<Environment> = {}): Environment {
  const env = { ...DEFAULT_ENV, ...overrides };
  const problem = envProblem(env);
  if (problem) throw new RangeError(problem);
  return env;
}

/** Why an environment cannot exist, or null. */
export function envProblem(env: Environment): string | null {
  if (!isU64(env.aioMaxNr)) return 'aio-max-nr must be an unsigned 64-bit integer';
  if (!isU64(env.aioNr)) return 'aio-nr must be an unsigned 64-bit integer';
  if (
    !Number.isInteger(env.possibleCpus) ||
    env.possibleCpus < 1 ||
    env.possibleCpus > MAX_POSSIBLE_CPUS
  )
    return `possible CPUs must be an integer from 1 to ${MAX_POSSIBLE_CPUS}`;
  if (env.asHeadroom !== null && !isU64(env.asHeadroom))
    return 'address-space headroom must be an unsigned 64-bit integer';
  return null;
}
