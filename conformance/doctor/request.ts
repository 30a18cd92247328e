/**
 * Will io_setup(nr_events) fit, and if not, why and what would make it fit.
 * The model decides; this file only sorts its rules into what a user can do
 * about each, and searches the model for the smallest aio-max-nr that works.
 */
import {
  type Environment,
  type ErrnoName,
  profile,
  type SetupRuleId,
  U64_MAX,
} from '../../model/index.js';
import { accepts, decideFresh } from './accepted.js';
import { firstTrueU64, lastTrueU64 } from './search.js';

export type RequestVerdict =
  /** io_setup succeeds now. */
  | 'ok'
  /** EAGAIN whatever others hold: the request alone exceeds the limit (or wraps ne to 0). Retrying never helps. */
  | 'alone-exceeds'
  /** EAGAIN only because of what other contexts hold: it fits once they release enough (or the limit is raised). */
  | 'transient'
  /** EINVAL: past the internal limit (or nr_events 0); no sysctl changes that. */
  | 'internal-limit'
  /** Something else decides (a seccomp filter, no AIO in the kernel, memory limits). */
  | 'other';

/** The rules' meaning for someone whose io_setup fails; rules not listed are 'other'. */
const VERDICT_OF_RULE: Partial<Record<SetupRuleId, RequestVerdict>> = {
  'setup.ok': 'ok',
  'setup.over-max': 'alone-exceeds',
  'setup.ne-wrapped-zero': 'alone-exceeds',
  'setup.over-available': 'transient',
  'setup.internal-limit': 'internal-limit',
  'setup.nr-zero': 'internal-limit',
};

export interface RequestAnswer {
  readonly nrEvents: number;
  readonly verdict: RequestVerdict;
  readonly rule: SetupRuleId;
  readonly errno: ErrnoName | null;
  /** What it would add to aio-nr. */
  readonly charge: bigint;
  /** The smallest aio-max-nr with which it succeeds now, given what others hold (null: none does). */
  readonly neededAioMaxNr: bigint | null;
  /** The smallest aio-max-nr with which it could succeed at all, with nothing else held. */
  readonly neededAloneAioMaxNr: bigint | null;
  /** For 'transient': how much of aio-nr others would have to give back for it to fit now. */
  readonly mustRelease: bigint | null;
  /** A seccomp filter decided instead of the kernel: its action and the profile rule (null: the kernel decided). */
  readonly seccomp: { readonly action: string; readonly rule: string } | null;
}

/**
 * The smallest aio-max-nr (u64) with which `fits(env with it)` holds, or null.
 * A higher limit only ever helps, up to where aio-max-nr times the profile's
 * factor wraps in u64 (v3.12..v4.13 compare with 2*aio-max-nr): the search stops there.
 */
export function smallestAioMaxNr(
  env: Environment,
  fits: (env: Environment) => boolean,
): bigint | null {
  const factor = profile(env.profile).accounting?.limitFactor ?? 1n;
  return firstTrueU64(0n, U64_MAX / factor, (m) => fits({ ...env, aioMaxNr: m }));
}

export function answerRequest(env: Environment, nrEvents: number): RequestAnswer {
  const outcome = decideFresh(env, nrEvents);
  const verdict = VERDICT_OF_RULE[outcome.rule] ?? 'other';
  const needed = smallestAioMaxNr(env, (e) => accepts(e, nrEvents));
  const alone = smallestAioMaxNr({ ...env, aioNr: 0n }, (e) => accepts(e, nrEvents));
  // The most aio-nr may be for the call to fit under today's limit; less held never hurts.
  const bearable =
    verdict === 'transient'
      ? lastTrueU64(0n, env.aioNr, (n) => accepts({ ...env, aioNr: n }, nrEvents))
      : null;
  return {
    nrEvents,
    verdict,
    rule: outcome.rule,
    errno: outcome.errno,
    charge: outcome.facts.charge,
    neededAioMaxNr: needed,
    neededAloneAioMaxNr: alone,
    mustRelease: bearable === null ? null : env.aioNr - bearable,
    seccomp: outcome.rule.startsWith('seccomp.')
      ? { action: outcome.seccomp.action, rule: outcome.seccomp.rule }
      : null,
  };
}
