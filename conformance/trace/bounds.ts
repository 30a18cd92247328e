/**
 * Limits no kernel or worker can exceed, so that a trace value past one is
 * refused as impossible rather than judged. Each says where it comes from.
 */

/**
 * Possible CPUs. The kernel counts at most NR_CPUS of them (cpu_possible_mask
 * is NR_CPUS bits wide), and no architecture's Kconfig lets NR_CPUS past 8192
 * (x86_64 with CPUMASK_OFFSTACK, powerpc; arm64 stops at 4096). 65536 leaves
 * room for that ceiling to be raised three times over while still refusing
 * what no machine reports.
 */
export const MAX_POSSIBLE_CPUS = 65536;

/** errno values: the kernel returns -errno in 1..MAX_ERRNO (include/linux/err.h); 0 means none. */
export const MAX_ERRNO = 4095;

/** Process ids: pid_max cannot be set past PID_MAX_LIMIT, 4 * 1024 * 1024 on 64-bit kernels. */
export const MAX_PID = 4 * 1024 * 1024;

/** /proc/PID/status "Seccomp:": 0 disabled, 1 strict, 2 filter (SECCOMP_MODE_*). */
export const MAX_SECCOMP_MODE = 2;

/**
 * Cases in one suite: `aiospec run --runs` stops at 10,000,000 props cases
 * (conformance/cli/run.ts); stateful sequences and table rows are fewer. A
 * case's index is its position in its suite, so it is below this.
 */
export const MAX_CASES_PER_SUITE = 10_000_000;

/**
 * A trace's seed is written as `--seed` takes it: a u32 (conformance/cli/seed.ts).
 * fast-check reads it as `seed | 0`; a recording with a random seed of 2^31 or
 * more must replay, so the upper half of the range is a seed like any other.
 */
export const SEED_RANGE = { min: 0, max: 2 ** 32 - 1 } as const;

/** A process's exit status as Node reports it (0..255; a signal is reported apart). */
export const MAX_EXIT_CODE = 255;
