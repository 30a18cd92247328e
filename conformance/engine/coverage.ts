/**
 * Which of the profile's rules decided at least one step compared against the
 * real kernel, and for the others, why this host cannot reach them.
 */
import { DESTROY_RULES, type Profile, SETUP_RULES } from '../../model/index.js';
import type { HostInfo } from '../../real/protocol.js';
import type { RuleCoverage } from './summary.js';
import type { CaseVerdict } from './verdict.js';

/** Why a rule cannot decide a call on this host (null: it could; no case reached it). */
function unreachableHere(id: string, host: HostInfo, faultInjection: boolean): string | null {
  const rule =
    (SETUP_RULES as Record<string, { unobservable?: string }>)[id] ??
    (DESTROY_RULES as Record<string, { unobservable?: string }>)[id];
  if (rule?.unobservable) return rule.unobservable;
  if (id === 'kernel.no-aio' || id === 'kernel.no-aio-destroy')
    return host.aioMaxNr === null
      ? 'no case reached it'
      : 'this kernel has CONFIG_AIO=y (/proc/sys/fs/aio-* exist); a seccomp ENOSYS looks the same to the caller and is covered by seccomp.errno';
  if (
    (id === 'setup.kmem' || id === 'setup.ring-pages' || id === 'setup.table-grow') &&
    !faultInjection
  )
    return 'needs kernel fault injection (CONFIG_FAULT_INJECTION, /proc/self/fail-nth), which this kernel lacks';
  return null;
}

/** Count, per rule, the compared steps it decided (into `hits`). */
export function countRuleHits(verdicts: readonly CaseVerdict[], hits: Map<string, number>): void {
  for (const v of verdicts)
    for (const s of v.steps) if (s.rule) hits.set(s.rule, (hits.get(s.rule) ?? 0) + 1);
}

export function ruleCoverage(
  profile: Profile,
  hits: ReadonlyMap<string, number>,
  host: HostInfo,
  faultInjection: boolean,
): RuleCoverage[] {
  return [...profile.setupRules, ...profile.destroyRules].map((id) => {
    const n = hits.get(id) ?? 0;
    if (n > 0) return { id, hits: n };
    return {
      id,
      hits: 0,
      unreachable: unreachableHere(id, host, faultInjection) ?? 'no case reached it in this run',
    };
  });
}
