/**
 * The kernel configuration `aiospec kernel build` asks for, as data: a base
 * (the architecture's defconfig, or `small`: tinyconfig plus what the UML
 * target's guest needs), then options per requested feature. Each option is
 * checked in the final .config: a tree where Kconfig refused one (a missing
 * dependency) fails the build instead of booting a kernel without it.
 */

export type ConfigBase = 'defconfig' | 'small';
export type ConfigValue = 'y' | 'n';
export type ConfigOption = readonly [symbol: string, value: ConfigValue];

/**
 * What the UML target's guest uses (real/targets/uml.ts): the host's / over
 * hostfs as root, /proc, /sys, devtmpfs, a tmpfs /dev/shm with a FIFO, the
 * console and two serial lines on host file descriptors, /proc/sysrq-trigger
 * to power off; Node.js inside (futexes, epoll, eventfd, signalfd, timerfd,
 * Unix socket pairs for child processes, madvise), seccomp filters for the
 * sandboxes, and io_setup/io_destroy with its ring mapping.
 */
const GUEST: readonly ConfigOption[] = [
  // tinyconfig leaves UML 32-bit (x86's default without it), which needs a 32-bit C library to build.
  ['64BIT', 'y'],
  ['BINFMT_ELF', 'y'],
  ['BINFMT_SCRIPT', 'y'],
  ['MULTIUSER', 'y'],
  ['PRINTK', 'y'],
  ['TTY', 'y'],
  ['STDERR_CONSOLE', 'y'],
  ['SSL', 'y'],
  ['NULL_CHAN', 'y'],
  ['MAGIC_SYSRQ', 'y'],
  ['PROC_FS', 'y'],
  ['PROC_SYSCTL', 'y'],
  ['SYSFS', 'y'],
  ['DEVTMPFS', 'y'],
  ['DEVTMPFS_MOUNT', 'y'],
  ['SHMEM', 'y'],
  ['TMPFS', 'y'],
  ['HOSTFS', 'y'],
  ['FUTEX', 'y'],
  ['EPOLL', 'y'],
  ['EVENTFD', 'y'],
  ['SIGNALFD', 'y'],
  ['TIMERFD', 'y'],
  ['POSIX_TIMERS', 'y'],
  ['ADVISE_SYSCALLS', 'y'],
  ['FILE_LOCKING', 'y'],
  ['NET', 'y'],
  ['UNIX', 'y'],
  ['SECCOMP', 'y'],
  ['SECCOMP_FILTER', 'y'],
  ['MCONSOLE', 'y'],
];

/** Fault injection for the allocations io_setup makes (slab and page), driven by /proc/thread-self/fail-nth. */
const FAULT_INJECTION: readonly ConfigOption[] = [
  ['DEBUG_KERNEL', 'y'],
  ['DEBUG_FS', 'y'],
  ['FAULT_INJECTION', 'y'],
  ['FAILSLAB', 'y'],
  ['FAIL_PAGE_ALLOC', 'y'],
  ['FAULT_INJECTION_DEBUG_FS', 'y'],
];

/** AIO can only be switched off in an EXPERT configuration (init/Kconfig: `bool "Enable AIO support" if EXPERT`). */
const NO_AIO: readonly ConfigOption[] = [
  ['EXPERT', 'y'],
  ['AIO', 'n'],
];

/**
 * Options only some trees need: each applies where the tree's Kconfig file
 * defines (or lacks) a symbol, so trees without the condition (6.12) get the
 * same list as before, and keep their cache keys (build.ts hashes the list).
 */
export interface TreeOption {
  readonly options: readonly ConfigOption[];
  /** The condition: `file` (relative to the tree) has (`defined`) or lacks a `config SYMBOL` entry. */
  readonly when: { readonly file: string; readonly symbol: string; readonly defined: boolean };
  readonly why: string;
}

export const TREE_OPTIONS: readonly TreeOption[] = [
  {
    // What 6.2 made the default (and removed the options): trust the seeds UML takes from the
    // host's getrandom (arch/um/kernel/um_arch.c setup_arch; asm/archrandom.h).
    options: [
      ['RANDOM_TRUST_BOOTLOADER', 'y'],
      ['RANDOM_TRUST_CPU', 'y'],
    ],
    when: { file: 'drivers/char/Kconfig', symbol: 'RANDOM_TRUST_BOOTLOADER', defined: true },
    why: 'tinyconfig turns off the options (default y) under which the kernel credits those seeds: the random pool is never initialized, getrandom() blocks forever, and Node.js with it at start-up (the worker never says ready). random.trust_bootloader=on comes too late on UML: setup_arch adds the seed before early parameters are parsed',
  },
  {
    // Members of one Kconfig choice: SLOB must be turned off for SLUB to be taken.
    options: [
      ['SLOB', 'n'],
      ['SLUB', 'y'],
    ],
    when: { file: 'mm/Kconfig', symbol: 'SLOB', defined: true },
    why: 'tinyconfig picks SLOB where the tree has it (6.1), and FAILSLAB cannot be set under it (lib/Kconfig.debug: depends on SLAB || SLUB); 6.4 removed SLOB',
  },
  {
    options: [['PTP_1588_CLOCK', 'n']],
    when: { file: 'kernel/rcu/Kconfig', symbol: 'SRCU', defined: true },
    why: 'Where SRCU is built only when selected (6.1), PTP (on by default with ETHERNET) compiles drivers/ptp/ptp_vclock.c, which uses SRCU without selecting it: the build fails. Later kernels always build SRCU. UML has no PTP clock',
  },
];

/** The options of TREE_OPTIONS whose condition holds in a tree whose Kconfig files read so. */
export function treeOptions(kconfig: (file: string) => string): ConfigOption[] {
  return TREE_OPTIONS.filter(({ when }) => {
    const defined = new RegExp(`^(menu)?config ${when.symbol}\\s*$`, 'm').test(kconfig(when.file));
    return defined === when.defined;
  }).flatMap((t) => t.options);
}

export interface BuildOptions {
  readonly base: ConfigBase;
  readonly faultInjection: boolean;
  readonly noAio: boolean;
}

/** The `make ARCH=um` target that starts the configuration. */
export const BASE_TARGET: Readonly<Record<ConfigBase, string>> = {
  defconfig: 'defconfig',
  small: 'tinyconfig',
};

/**
 * Every option to set over the base, in order (a later one wins): the guest's,
 * the tree's own (treeOptions), the features'.
 */
export function configOptions(o: BuildOptions, tree: readonly ConfigOption[] = []): ConfigOption[] {
  return [
    ...GUEST,
    ...tree,
    ...(o.faultInjection ? FAULT_INJECTION : []),
    ...(o.noAio ? NO_AIO : [['AIO', 'y'] as const]),
  ];
}

/** Options the final .config does not hold as asked ("# CONFIG_X is not set" counts as n). */
export function unmetOptions(config: string, wanted: readonly ConfigOption[]): string[] {
  const set = new Map<string, ConfigValue>();
  for (const m of config.matchAll(/^CONFIG_(\w+)=y$/gm)) set.set(m[1]!, 'y');
  return wanted
    .filter(([sym, v]) => (set.get(sym) ?? 'n') !== v)
    .map(([sym, v]) => `CONFIG_${sym}=${v}`);
}
