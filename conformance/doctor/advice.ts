/**
 * What to do, with the numbers: which sysctl, to what, where, and the
 * commands. Pure: every figure comes from the model (request.ts) and the
 * measured environment.
 */
import { DEFAULT_ENV, type Environment, limitOf, profile, SETUP_RULES } from '../../model/index.js';
import { largestUnwrapped } from './accepted.js';
import type { Availability } from './availability.js';
import type { RequestAnswer } from './request.js';
import { smallestAioMaxNr } from './request.js';
import { unrestricted } from './ring-bounds.js';
import type { Whereabouts } from './where.js';

export const SYSCTL = 'fs.aio-max-nr';
/** The kernel's default aio-max-nr (fs/aio.c aio_max_nr = 0x10000): never advise less. */
const KERNEL_DEFAULT = DEFAULT_ENV.aioMaxNr;
/** Without a request, advise raising the limit once this share of it is used. */
const USED_WARN = 0.9;
export const SYSCTL_CONF = '/etc/sysctl.d/90-aio-max-nr.conf';

export interface SysctlAdvice {
  readonly sysctl: typeof SYSCTL;
  readonly current: bigint;
  /** The smallest value that does the job. */
  readonly minimum: bigint;
  /** That rounded up to a power of two (at least the kernel default). */
  readonly recommended: bigint;
  readonly commands: readonly string[];
  /** Where to run them, in words. */
  readonly where: string;
}

export interface Advice {
  readonly lines: readonly string[];
  readonly sysctl: SysctlAdvice | null;
}

/** The next power of two at or above n, at least the kernel default (n itself past 2^63). */
export function roundUpLimit(n: bigint): bigint {
  if (n > 1n << 63n) return n;
  let p = KERNEL_DEFAULT;
  while (p < n) p <<= 1n;
  return p;
}

/** What io_setup can still charge before aio-nr reaches the limit (null without accounting). */
export function headroom(env: Environment): bigint | null {
  const acct = profile(env.profile).accounting;
  if (!acct) return null;
  const limit = limitOf(acct, env.aioMaxNr);
  return limit > env.aioNr ? limit - env.aioNr : 0n;
}

/** Always said with a sysctl advice: the one fact people miss inside containers. */
export const NODE_WIDE = `${SYSCTL} is one value for the whole kernel (node-wide, not namespaced): inside a container /proc/sys is read-only, so it is set on the node (the host), and Kubernetes cannot set it per pod.`;

function whereText(w: Whereabouts): string {
  if (w.container && w.sysctlWritable)
    return `on the node; this container (${w.container}) can write it, and doing so changes it for the whole node`;
  if (w.container) return `on the node (the host), not in this container (${w.container})`;
  return w.sysctlWritable
    ? 'here, as root (this is the host kernel)'
    : 'as root on this host (this process cannot write it)';
}

function sysctlAdvice(current: bigint, minimum: bigint, w: Whereabouts): SysctlAdvice {
  const recommended = roundUpLimit(minimum);
  return {
    sysctl: SYSCTL,
    current,
    minimum,
    recommended,
    commands: [
      `sysctl -w ${SYSCTL}=${recommended}`,
      `echo '${SYSCTL} = ${recommended}' > ${SYSCTL_CONF}   # keep it across reboots`,
    ],
    where: whereText(w),
  };
}

/** Lines that are the same whatever the numbers, for a given state of AIO. */
const UNAVAILABLE: Readonly<Record<string, string>> = {
  'no-aio':
    'No sysctl helps: the kernel has no AIO (CONFIG_AIO=n). Use a kernel built with it, or configure the application without Linux native AIO (e.g. MySQL innodb_use_native_aio=0).',
  filtered:
    "No sysctl helps: the process's seccomp filter refuses io_setup. Allow io_setup, io_destroy, io_submit, io_getevents and io_cancel in the container's seccomp profile (Docker's and containerd's default profiles allow them).",
  blocked:
    'No sysctl helps: io_setup is refused before the accounting (a security module, or a sandbox).',
  gvisor: 'Nothing to raise: gVisor keeps no aio-nr, so io_setup never fails with EAGAIN there.',
};

export function advise(
  env: Environment,
  avail: Availability,
  request: RequestAnswer | null,
  where: Whereabouts,
): Advice {
  const fixed = UNAVAILABLE[avail.state];
  if (fixed) return { lines: [fixed], sysctl: null };
  const room = headroom(env);
  if (room === null)
    return { lines: ['This kernel keeps no aio-nr: nothing to raise.'], sysctl: null };

  if (request) {
    const n = request.nrEvents;
    switch (request.verdict) {
      case 'ok':
        return {
          lines: [`Nothing to change: io_setup(${n}) fits now, leaving ${room - request.charge}.`],
          sysctl: null,
        };
      case 'internal-limit': {
        const cap = largestUnwrapped(unrestricted(env));
        return {
          lines: [
            n === 0
              ? 'nr_events must be at least 1.'
              : `No sysctl helps: io_setup refuses nr_events above ${cap} with EINVAL whatever aio-max-nr is (the internal limit). Use several contexts of at most ${cap} each.`,
          ],
          sysctl: null,
        };
      }
      case 'alone-exceeds':
      case 'transient': {
        if (request.neededAioMaxNr === null)
          return {
            lines: [
              `No sysctl helps: ${SETUP_RULES[request.rule].when}. Ask for a different nr_events.`,
            ],
            sysctl: null,
          };
        const s = sysctlAdvice(env.aioMaxNr, request.neededAioMaxNr, where);
        const why =
          request.verdict === 'transient'
            ? `io_setup(${n}) fails only because of what others hold: it fits once they give back ${request.mustRelease} events, or with ${SYSCTL} at least ${s.minimum}.`
            : `io_setup(${n}) can never fit under ${SYSCTL} = ${env.aioMaxNr}, retrying will not help: it needs at least ${request.neededAloneAioMaxNr} on an idle host, ${s.minimum} with what is held now.`;
        return { lines: [why], sysctl: s };
      }
      case 'other':
        return {
          lines: [
            `No sysctl helps: ${SETUP_RULES[request.rule].when}${request.seccomp ? ` (profile rule: ${request.seccomp.rule}). Allow io_setup for this nr_events in the container's seccomp profile` : ''}.`,
          ],
          sysctl: null,
        };
    }
  }

  const limit = room + env.aioNr;
  const used = limit === 0n ? 1 : Number(env.aioNr) / Number(limit);
  if (room > 0n && used < USED_WARN)
    return {
      lines: [`Nothing to change: ${room} of ${limit} events are free (${pct(used)} used).`],
      sysctl: null,
    };
  // Room for as much again as is held now.
  const minimum = smallestAioMaxNr(
    env,
    (e) => (headroom(e) ?? 0n) >= (env.aioNr > 0n ? env.aioNr : 1n),
  );
  if (minimum === null)
    return { lines: ['aio-nr is at the largest value aio-max-nr allows.'], sysctl: null };
  const s = sysctlAdvice(env.aioMaxNr, minimum, where);
  return {
    lines: [
      `${pct(used)} of the limit is used (${room} events free): raise ${SYSCTL} to leave as much room again as is held now.`,
    ],
    sysctl: s,
  };
}

/** A share as a percentage, rounded down (99.94% full is not "100%"). */
export function pct(share: number): string {
  return `${(Math.floor(share * 1000) / 10).toFixed(1)}%`;
}
