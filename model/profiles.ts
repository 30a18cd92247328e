/**
 * Kernel profiles: what changed between kernels, as data. The rule table is
 * shared; a profile lists which rules its kernel evaluates, in order, and
 * supplies the few numbers and functions that differ.
 */
import {
  type DestroyRuleId,
  SECCOMP_DESTROY_RULES,
  SECCOMP_SETUP_RULES,
  type SetupRuleId,
} from './rules/rule-ids.js';

/**
 * How io_setup charges /proc/sys/fs/aio-nr.
 * - v4.14+ (commit 2a8a98673c13 "fs: aio: fix the increment of aio-nr and
 *   counting against aio-max-nr"): the caller's nr_events against aio-max-nr.
 * - v3.12..v4.13: the doubled ne = 2*max(nr_events, 4*C) against 2*aio-max-nr.
 */
export interface Accounting {
  readonly charge: 'nr_events' | 'ne';
  readonly limitFactor: 1n | 2n;
}

export type RingModel = 'linux' | 'gvisor-zero-page';

export type ProfileName = 'linux' | 'linux-3.12' | 'gvisor';

export interface Profile {
  readonly name: ProfileName;
  readonly title: string;
  readonly setupRules: readonly SetupRuleId[];
  readonly destroyRules: readonly DestroyRuleId[];
  /** null: the kernel keeps no aio-nr/aio-max-nr (the /proc/sys/fs files do not exist). */
  readonly accounting: Accounting | null;
  readonly ring: RingModel;
  /** Whether the ring records the context's table slot in ring->id. */
  readonly slotIds: boolean;
}

const LINUX_SETUP: readonly SetupRuleId[] = [
  ...SECCOMP_SETUP_RULES,
  'kernel.no-aio',
  'setup.ctx-fault',
  'setup.ctx-nonzero',
  'setup.nr-zero',
  'setup.internal-limit',
  'setup.ne-wrapped-zero',
  'setup.over-max',
  'setup.kmem',
  'setup.ring-pages',
  'setup.mmap-lock-killed',
  'setup.ring-mmap',
  'setup.over-available',
  'setup.table-grow',
  'setup.ctx-write-fault',
  'setup.ok',
];

const LINUX_DESTROY: readonly DestroyRuleId[] = [
  ...SECCOMP_DESTROY_RULES,
  'kernel.no-aio-destroy',
  'destroy.id-fault',
  'destroy.no-table',
  'destroy.id-out-of-range',
  'destroy.slot-empty',
  'destroy.handle-mismatch',
  'destroy.ok',
];

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  linux: {
    name: 'linux',
    title: 'Linux v4.14 and later',
    setupRules: LINUX_SETUP,
    destroyRules: LINUX_DESTROY,
    accounting: { charge: 'nr_events', limitFactor: 1n },
    ring: 'linux',
    slotIds: true,
  },
  'linux-3.12': {
    name: 'linux-3.12',
    title: 'Linux v3.12 to v4.13 (doubled charge against twice aio-max-nr)',
    setupRules: LINUX_SETUP,
    destroyRules: LINUX_DESTROY,
    accounting: { charge: 'ne', limitFactor: 2n },
    ring: 'linux',
    slotIds: true,
  },
  gvisor: {
    name: 'gvisor',
    title: "gVisor's application kernel (runsc)",
    setupRules: [
      ...SECCOMP_SETUP_RULES,
      'setup.ctx-fault',
      'setup.ctx-nonzero',
      'setup.ring-mmap',
      'gvisor.id-collision',
      'setup.ctx-write-fault',
      'setup.ok',
    ],
    destroyRules: [
      ...SECCOMP_DESTROY_RULES,
      'gvisor.destroy-unreadable',
      'gvisor.destroy-not-context',
      'destroy.ok',
    ],
    accounting: null,
    ring: 'gvisor-zero-page',
    slotIds: false,
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(s: string): s is ProfileName {
  return Object.hasOwn(PROFILES, s);
}

export function profile(name: ProfileName): Profile {
  return PROFILES[name];
}

/** What io_setup adds to aio-nr for this call. */
export function chargeOf(acct: Accounting, nrEvents: number, ne: number): bigint {
  return BigInt(acct.charge === 'nr_events' ? nrEvents : ne);
}

/** The limit the charge is compared with: aio-max-nr times the factor, in u64. */
export function limitOf(acct: Accounting, aioMaxNr: bigint): bigint {
  return (aioMaxNr * acct.limitFactor) & ((1n << 64n) - 1n);
}
