/**
 * Which nr_events io_setup accepts in an environment, from the model alone.
 *
 * The model decides one call at a time; here we need the whole set of u32
 * values it accepts. Every rule that depends on nr_events is monotone in it
 * within each half of the u32 range ([0, 2^31) and [2^31, 2^32)), because
 * ne = 2*max(nr, 4C) in u32 grows with nr inside a half and wraps only between
 * them, and the charge, the ring size and the limits all follow ne or nr. Only
 * the first value of a half is special (nr 0: EINVAL; nr 2^31: ne wraps to 0).
 * So in each half the accepted values form one interval that starts at the
 * half's first or second value, and a binary search over decideIoSetup finds
 * its end exactly. test/doctor/accepted.test.ts checks this against the model.
 */
import {
  decideIoSetup,
  type Environment,
  newProcessState,
  type SetupOutcome,
  U32_MAX,
} from '../../model/index.js';
import { lastTrue } from './search.js';

export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/** [0, 2^31) and [2^31, 2^32): ne = 2*max(nr, 4C) wraps only between them. */
export const U32_HALVES: readonly Interval[] = [
  { lo: 0, hi: 0x7fff_ffff },
  { lo: 0x8000_0000, hi: U32_MAX },
];

/** io_setup(nr, &ctx) with ctx = 0, in a process that holds no context yet. */
export function decideFresh(env: Environment, nrEvents: number): SetupOutcome {
  return decideIoSetup(env, newProcessState(env), { nrEvents, ctx: 'zero' });
}

export function accepts(env: Environment, nrEvents: number): boolean {
  return decideFresh(env, nrEvents).errno === null;
}

/** The accepted nr_events of one half (its first or second value onwards), or null. */
function acceptedIn(half: Interval, ok: (n: number) => boolean): Interval | null {
  const first = [half.lo, half.lo + 1].find(ok);
  return first === undefined ? null : { lo: first, hi: lastTrue(first, half.hi, ok) };
}

/** Every nr_events the model accepts here, as at most one interval per half, in increasing order. */
export function acceptedIntervals(
  env: Environment,
  ok: (n: number) => boolean = (n) => accepts(env, n),
): Interval[] {
  return U32_HALVES.map((h) => acceptedIn(h, ok)).filter((i): i is Interval => i !== null);
}

/**
 * The largest nr_events io_setup accepts now (null: none). With aio-max-nr at
 * 2^31 or more this can be a wrapped value (0x80000001..0x80400000) whose ring
 * is tiny; `largestUnwrapped` is the largest below 2^31.
 */
export function largestAccepted(env: Environment): number | null {
  return acceptedIntervals(env).at(-1)?.hi ?? null;
}

export function largestUnwrapped(env: Environment): number | null {
  const lower = acceptedIntervals(env).find((i) => i.hi <= U32_HALVES[0]!.hi);
  return lower?.hi ?? null;
}
